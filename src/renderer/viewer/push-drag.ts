// The mouse push of MuJoCo's simulate, on the renderer side: Ctrl+drag on a body picks it (ray
// cast against the geom meshes), then moves a target point in the camera-facing plane through
// the picked point; the viewer process applies the spring force. While held, a line is drawn
// from the body's anchor to the target (both as the viewer reports them). Only asks and draws.
import { BufferAttribute, BufferGeometry, Line, LineBasicMaterial, Plane, Raycaster, Vector2, Vector3, type Object3D } from 'three';
import type { RenderDescription } from '../../core/envs/types.js';
import type { ViewerPushRequest } from '../../backend/api.js';
import type { SceneView } from '../view/scene.js';
import { toMujoco } from '../view/mujoco-frame.js';

export class PushDrag {
  private desc: RenderDescription | null = null;
  private enabled = false;
  private body = -1;
  private readonly ray = new Raycaster();
  private readonly ndc = new Vector2();
  private readonly plane = new Plane();
  private readonly hit = new Vector3();
  private readonly mj = new Vector3();
  private readonly normal = new Vector3();
  private readonly line: Line;
  private readonly linePos = new Float32Array(6);
  /** One request in flight; newer targets wait here (latest wins). */
  private inFlight = false;
  private queued: ViewerPushRequest | null = null;
  /** Pushes sent (tests read it). */
  sent = 0;

  constructor(private readonly scene: SceneView, private readonly send: (p: ViewerPushRequest) => Promise<void>, private readonly onError: (e: unknown) => void) {
    const geo = new BufferGeometry();
    geo.setAttribute('position', new BufferAttribute(this.linePos, 3));
    this.line = new Line(geo, new LineBasicMaterial({ color: 0xff5050, depthTest: false }));
    this.line.renderOrder = 10;
    this.line.frustumCulled = false;
    this.line.visible = false;
    const { canvas } = scene.parts;
    const host = canvas.parentElement ?? canvas;
    // Capture phase on the parent: a Ctrl-press never reaches OrbitControls on the canvas.
    host.addEventListener('pointerdown', (e) => this.down(e), { capture: true });
    window.addEventListener('pointermove', (e) => this.move(e));
    window.addEventListener('pointerup', () => this.up());
  }

  /** The model now playing; pushable: whether the viewer's env accepts pushes. */
  setModel(desc: RenderDescription, pushable: boolean): void {
    this.up();
    this.desc = desc;
    this.enabled = pushable;
    const world = this.scene.parts.world;
    if (this.line.parent !== world) world.add(this.line);
  }

  /** Draws the push line from the viewer's state (anchor xyz, target xyz) or hides it (empty). */
  showLine(push: Float32Array): void {
    const on = push.length === 6;
    if (on) {
      this.linePos.set(push);
      (this.line.geometry.getAttribute('position') as BufferAttribute).needsUpdate = true;
    }
    if (on || this.line.visible) this.scene.invalidate();
    this.line.visible = on;
  }

  get holding(): boolean {
    return this.body > 0;
  }

  private pick(e: PointerEvent): boolean {
    const { canvas, camera } = this.scene.parts;
    const r = canvas.getBoundingClientRect();
    this.ndc.set(((e.clientX - r.left) / r.width) * 2 - 1, -((e.clientY - r.top) / r.height) * 2 + 1);
    this.ray.setFromCamera(this.ndc, camera);
    return true;
  }

  private down(e: PointerEvent): void {
    if (!e.ctrlKey || e.button !== 0 || !this.enabled || !this.desc) return;
    e.stopPropagation();
    e.preventDefault();
    this.pick(e);
    const { objects, world, camera } = this.scene.parts;
    const meshes = objects.filter((o): o is Object3D => o !== null);
    for (const h of this.ray.intersectObjects(meshes, false)) {
      const gi = objects.indexOf(h.object);
      const body = gi >= 0 ? this.desc.geoms[gi].body : 0;
      if (body <= 0) continue; // the world (floor) cannot be pushed
      this.body = body;
      this.hit.copy(h.point);
      camera.getWorldDirection(this.normal);
      this.plane.setFromNormalAndCoplanarPoint(this.normal, this.hit);
      const p = toMujoco(world, this.hit, this.mj);
      const point: [number, number, number] = [p.x, p.y, p.z];
      this.request({ body, grab: point, target: point });
      return;
    }
  }

  private move(e: PointerEvent): void {
    if (this.body <= 0) return;
    this.pick(e);
    if (!this.ray.ray.intersectPlane(this.plane, this.hit)) return;
    const p = toMujoco(this.scene.parts.world, this.hit, this.mj);
    this.request({ body: this.body, target: [p.x, p.y, p.z] });
  }

  private up(): void {
    if (this.body <= 0) return;
    this.body = -1;
    this.request({});
  }

  private request(p: ViewerPushRequest): void {
    // A release or a new grab must not be dropped; only intermediate targets may be.
    if (this.inFlight) { this.queued = p.grab || p.body === undefined ? p : this.queued?.grab ? this.queued : p; return; }
    this.inFlight = true;
    this.sent++;
    this.send(p).catch(this.onError).finally(() => {
      this.inFlight = false;
      const q = this.queued;
      this.queued = null;
      if (q) this.request(q);
    });
  }
}
