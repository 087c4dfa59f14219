// The 3D view: a scene built once per RenderDescription; per frame only poses are copied into
// the existing meshes. Renders on demand (new poses, camera moves, resize) in the frames of its
// FrameClock (shared with the policy view and the viewer's labels), follows trackBody.
import {
  AmbientLight, Box3, Color, DirectionalLight, Fog, GridHelper, HemisphereLight, Mesh, PCFSoftShadowMap, PerspectiveCamera, PlaneGeometry, Scene,
  SRGBColorSpace, Vector3, WebGLRenderer, type Object3D,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { POSE_STRIDE, type RenderDescription } from '../../core/envs/types.js';
import { FrameClock } from './frame-clock.js';
import { floorMaterial, isCollisionGeom, meshFor } from './geoms.js';
import { applyPoses, createMujocoRoot } from './mujoco-frame.js';

export interface ViewStats {
  /** Pose updates drawn per second (the live or playback rate actually shown). */
  poseFps: number;
  /** Frames rendered per second. */
  renderFps: number;
  poseFrames: number;
  /** Milliseconds the last render took (software WebGL: tens of ms). */
  renderMs: number;
  /** Whether WebGL runs in software (SwiftShader, llvmpipe): then the view draws at most SOFTWARE_FPS (10) times a second. */
  software: boolean;
}

export class SceneView {
  readonly canvas: HTMLCanvasElement;
  readonly stats: ViewStats = { poseFps: 0, renderFps: 0, poseFrames: 0, renderMs: 0, software: false };
  /**
   * The page's frame scheduler. Software WebGL spends a CPU core on drawing, which training
   * needs: there the viewer's ~60 pose updates/s are all received but only the latest is
   * applied and drawn, at most SOFTWARE_FPS times/s.
   */
  readonly clock: FrameClock;
  private readonly renderer: WebGLRenderer;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(45, 1, 0.02, 200);
  private readonly controls: OrbitControls;
  private readonly world = createMujocoRoot();
  private readonly sun = new DirectionalLight(0xffffff, 2.2);
  /** Floor for models without a plane of their own (scene space, Y-up; not a MuJoCo geom). */
  private readonly floor: Mesh;
  private readonly grid = new GridHelper(40, 40, 0x56657a, 0x3b4556);
  private objects: (Object3D | null)[] = [];
  private tracked: Object3D | null = null;
  private readonly followPos = new Vector3();
  private readonly lastFollow = new Vector3();
  private readonly delta = new Vector3();
  private readonly box = new Box3();
  private hasPlane = false;
  private showCollision = false;
  /** Camera follows the tracked body (the viewer's "follow root"), else it stays where orbited. */
  followBody = true;
  private needsAim = true;
  private placedFloor = false;
  private dirty = true;
  private model: RenderDescription | null = null;
  private counters = { poses: 0, renders: 0, since: performance.now() };
  /** The latest poses not yet copied into the meshes (copied at the next frame, or when read). */
  private pending = new Float32Array(0);
  private hasPending = false;
  private readonly rates: number;

  constructor(private readonly host: HTMLElement) {
    // Software WebGL (no GPU: SwiftShader, llvmpipe) draws on the CPU cores training needs: there
    // the view skips multisampling and soft shadows, renders at half resolution and at most
    // SOFTWARE_FPS frames/s with Lambert instead of PBR materials and coarser round geoms (the
    // viewer's pose updates are all received; the latest is drawn). Measured in headless Chromium
    // (1500×940 page, viewer playing HalfCheetah): Chromium's GPU process took 0.6 of a core with
    // PBR materials at every animation frame, 0.3 with Lambert at 15 frames/s, 0.2 at 10, 0.14 with
    // a quarter of the triangles (geoms.ts); clear-only frames at 10/s still cost 0.07 (read-back
    // and page compositing), so fewer frames and triangles are what help most, pixels less.
    const software = isSoftwareWebGl();
    this.stats.software = software;
    this.renderer = new WebGLRenderer({ antialias: !software, preserveDrawingBuffer: true, powerPreference: 'high-performance' });
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.shadowMap.enabled = !software;
    this.renderer.shadowMap.type = PCFSoftShadowMap;
    this.renderer.setPixelRatio(software ? SOFTWARE_PIXEL_RATIO : Math.min(window.devicePixelRatio, 2));
    this.canvas = this.renderer.domElement;
    this.clock = new FrameClock(software ? 1000 / SOFTWARE_FPS : 0);
    this.clock.onFrame(() => this.frame());
    this.canvas.className = 'scene-canvas';
    host.appendChild(this.canvas);

    this.scene.background = new Color(0x1a1f27);
    this.scene.fog = new Fog(0x1a1f27, 12, 40);
    this.scene.add(new HemisphereLight(0xdfe8ff, 0x30343c, 1.1));
    this.scene.add(new AmbientLight(0xffffff, 0.25));
    this.sun.position.set(4, 8, 3);
    this.sun.castShadow = true;
    this.sun.shadow.mapSize.set(2048, 2048);
    const sc = this.sun.shadow.camera;
    sc.left = sc.bottom = -4; sc.right = sc.top = 4; sc.near = 0.5; sc.far = 30;
    this.sun.shadow.bias = -0.0005;
    this.scene.add(this.sun, this.sun.target, this.world);
    this.floor = new Mesh(new PlaneGeometry(40, 40).rotateX(-Math.PI / 2), floorMaterial(20, 20, software, 0.95));
    this.floor.receiveShadow = true;
    this.grid.position.y = 0.002;
    this.floor.add(this.grid);
    this.floor.visible = false;
    this.scene.add(this.floor);

    this.camera.position.set(2.2, 1.4, 3.0);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = true;
    this.controls.target.set(0, 0.5, 0);
    this.controls.addEventListener('change', () => this.invalidate());

    new ResizeObserver(() => this.resize()).observe(host);
    this.resize();
    this.rates = window.setInterval(() => this.countRates(), 1000);
    this.clock.request();
  }

  /** For the viewer's picking and push line (src/renderer/viewer): camera, orbit controls, the MuJoCo-frame root and the mesh of each geom. */
  get parts(): { camera: PerspectiveCamera; controls: OrbitControls; world: Object3D; objects: readonly (Object3D | null)[]; canvas: HTMLCanvasElement } {
    return { camera: this.camera, controls: this.controls, world: this.world, objects: this.objects, canvas: this.canvas };
  }

  /**
   * Asks for a render in the next frame (an overlay such as the push line changed). Frames run
   * only while there is something to draw or the orbit controls are still easing: an idle page
   * asks nothing of the compositor, whose every frame costs CPU with software WebGL.
   */
  invalidate(): void {
    this.dirty = true;
    this.clock.request();
  }

  /** Draw collision geoms (group ≥ 3) too; MuJoCo's viewer hides them by default. */
  setShowCollision(on: boolean): void {
    this.showCollision = on;
    const geoms = this.model?.geoms ?? [];
    this.objects.forEach((o, i) => {
      if (o && geoms[i]) o.visible = !isCollisionGeom(geoms[i]) || on;
    });
    this.invalidate();
  }

  /** How many geoms are drawn now, and how many of those are meshes (tests). */
  visibleCounts(): { geoms: number; meshes: number; textured: number } {
    const geoms = this.model?.geoms ?? [];
    let n = 0, meshes = 0, textured = 0;
    this.objects.forEach((o, i) => {
      if (!o?.visible) return;
      n++;
      if (geoms[i]?.type === 'mesh') meshes++;
      if (o instanceof Mesh && (o.material as { map?: unknown }).map && geoms[i]?.type === 'mesh') textured++;
    });
    return { geoms: n, meshes, textured };
  }

  get ngeom(): number {
    return this.model?.geoms.length ?? 0;
  }

  /** Builds the scene for a task; a no-op when the same description is shown already. */
  setModel(desc: RenderDescription): void {
    if (this.model && sameModel(this.model, desc)) return;
    this.clearModel();
    this.model = desc;
    this.objects = desc.geoms.map((g) => {
      const m = meshFor(g, desc.textures, this.stats.software);
      if (m) {
        // Collision geoms (group ≥ 3) keep their slot for poses but are drawn only on request.
        m.visible = !isCollisionGeom(g) || this.showCollision;
        this.world.add(m);
      }
      return m;
    });
    this.hasPlane = desc.geoms.some((g) => g.type === 'plane');
    this.floor.visible = !this.hasPlane;
    this.placedFloor = this.hasPlane;
    this.needsAim = true;
    const ti = desc.geoms.findIndex((g) => g.body === desc.trackBody && g.type !== 'plane' && !isCollisionGeom(g));
    this.tracked = this.objects[ti >= 0 ? ti : desc.geoms.findIndex((g) => g.type !== 'plane')] ?? null;
    this.invalidate();
  }

  /**
   * Takes one frame of poses (ngeom × POSE_STRIDE starting at offset); the meshes get the latest
   * of them at the next frame drawn, so poses arriving faster than frames cost one copy each.
   */
  setPoses(poses: Float32Array, offset = 0): void {
    const n = this.ngeom * POSE_STRIDE;
    if (!this.model || poses.length - offset < n) return;
    if (this.pending.length !== n) this.pending = new Float32Array(n);
    this.pending.set(offset === 0 && poses.length === n ? poses : poses.subarray(offset, offset + n));
    this.hasPending = true;
    this.counters.poses++;
    this.stats.poseFrames++;
    this.invalidate();
  }

  /** Copies the latest poses into the meshes (at a frame, or before tests read the meshes). */
  private applyPending(): void {
    if (!this.hasPending) return;
    this.hasPending = false;
    applyPoses(this.objects, this.pending, 0);
    if (!this.placedFloor) this.placeGrid();
    this.follow();
  }

  /** Mean colour statistics of the drawn image (tests and the blank-canvas check). */
  sample(): { nonBackground: number; checksum: number } {
    const w = 64, h = 48;
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const ctx = c.getContext('2d');
    if (!ctx) return { nonBackground: 0, checksum: 0 };
    ctx.drawImage(this.canvas, 0, 0, w, h);
    const d = ctx.getImageData(0, 0, w, h).data;
    const bg = [d[0], d[1], d[2]];
    let diff = 0, sum = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 24) diff++;
      sum = (sum * 31 + d[i] + 3 * d[i + 1] + 7 * d[i + 2]) % 1_000_000_007;
    }
    return { nonBackground: diff / (w * h), checksum: sum };
  }

  /** Sum of every mesh's pose numbers: changes whenever any body moved (tests). */
  posesSignature(): number {
    this.applyPending();
    let sum = 0;
    for (const o of this.objects) {
      if (!o) continue;
      sum += o.position.x * 1.3 + o.position.y * 1.7 + o.position.z * 1.9 + o.quaternion.x * 2.3 + o.quaternion.y * 2.9 + o.quaternion.z * 3.1 + o.quaternion.w * 3.7;
    }
    return sum;
  }

  /** World (three) position of the tracked body, for tests: proves bodies move between frames. */
  trackedPosition(): [number, number, number] | null {
    if (!this.tracked) return null;
    this.applyPending();
    this.world.updateMatrixWorld();
    const p = this.tracked.getWorldPosition(new Vector3());
    return [p.x, p.y, p.z];
  }

  /** Page coordinates of the tracked body's origin (tests aim the mouse push at it). */
  trackedOnScreen(): [number, number] | null {
    const p = this.trackedPosition();
    if (!p) return null;
    const v = this.delta.set(p[0], p[1], p[2]).project(this.camera);
    const r = this.canvas.getBoundingClientRect();
    return [r.left + ((v.x + 1) / 2) * r.width, r.top + ((1 - v.y) / 2) * r.height];
  }

  private clearModel(): void {
    for (const o of this.objects) {
      if (o instanceof Mesh) {
        o.geometry.dispose();
        const mat = o.material as { map?: { dispose(): void } | null; dispose(): void };
        mat.map?.dispose();
        mat.dispose();
        this.world.remove(o);
      }
    }
    this.objects = [];
    this.tracked = null;
    this.hasPending = false;
  }

  /** Without a floor plane, a floor goes just under the lowest geom of the first frame. */
  private placeGrid(): void {
    this.world.updateMatrixWorld();
    let minY = Infinity;
    const p = this.delta;
    for (const o of this.objects) if (o) minY = Math.min(minY, o.getWorldPosition(p).y);
    this.floor.position.y = Number.isFinite(minY) ? minY - 0.15 : 0;
    this.placedFloor = true;
  }

  private follow(): void {
    if (!this.tracked) return;
    this.world.updateMatrixWorld();
    this.tracked.getWorldPosition(this.followPos);
    if (this.needsAim) {
      this.needsAim = false;
      // First frame of a model: aim at the body from a sensible distance (closer for small robots).
      this.controls.target.copy(this.followPos);
      const scale = this.aimScale();
      this.camera.position.copy(this.followPos).add(this.delta.set(1.7, 0.9, 2.3).multiplyScalar(scale));
      this.lastFollow.copy(this.followPos);
    }
    if (!this.followBody) return;
    // Move camera and target by the body's displacement (horizontal only, smoothed) so the
    // user's orbit is kept while the robot runs away.
    this.delta.subVectors(this.followPos, this.lastFollow).multiplyScalar(0.2);
    this.delta.y = 0;
    this.camera.position.add(this.delta);
    this.controls.target.add(this.delta);
    this.lastFollow.add(this.delta);
    this.sun.position.set(this.lastFollow.x + 4, 8, this.lastFollow.z + 3);
    this.sun.target.position.copy(this.lastFollow);
  }

  /**
   * 1 for robots about a metre across or larger; down to 0.25 for small ones (a 40 cm quadruped),
   * from the bounding box of the drawn geoms other than planes at the first frame.
   */
  private aimScale(): number {
    const box = this.box.makeEmpty();
    const geoms = this.model?.geoms ?? [];
    this.objects.forEach((o, i) => {
      if (o?.visible && geoms[i] && geoms[i].type !== 'plane' && geoms[i].type !== 'hfield') box.expandByObject(o);
    });
    if (box.isEmpty()) return 1;
    const radius = box.getSize(this.delta).length() / 2;
    return Math.min(1, Math.max(0.25, radius / 0.6));
  }

  private resize(): void {
    const w = Math.max(1, this.host.clientWidth);
    const h = Math.max(1, this.host.clientHeight);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.invalidate();
  }

  /** The 3D view's part of a frame; true while damping still moves the camera (more frames). */
  private frame(): boolean {
    this.applyPending();
    const easing = this.controls.update();
    if (this.dirty) {
      const t = performance.now();
      this.dirty = false;
      this.renderer.render(this.scene, this.camera);
      this.counters.renders++;
      this.stats.renderMs = performance.now() - t;
    }
    return easing;
  }

  /** Once a second, also while no frames run (an idle view reads 0 fps). */
  private countRates(): void {
    const now = performance.now();
    const dt = now - this.counters.since;
    this.stats.poseFps = (this.counters.poses * 1000) / dt;
    this.stats.renderFps = (this.counters.renders * 1000) / dt;
    this.counters.poses = this.counters.renders = 0;
    this.counters.since = now;
  }

  dispose(): void {
    this.clock.dispose();
    clearInterval(this.rates);
    this.clearModel();
    this.controls.dispose();
    this.renderer.dispose();
  }
}

/** Frames per second drawn at most by software WebGL, and its resolution (CSS pixels per pixel). */
const SOFTWARE_FPS = 10;
const SOFTWARE_PIXEL_RATIO = 0.5;

/** Whether this page's WebGL renders in software (asked once of a throwaway context). */
function isSoftwareWebGl(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return /SwiftShader|llvmpipe|software/i.test(name);
}

function sameModel(a: RenderDescription, b: RenderDescription): boolean {
  return a.task === b.task && a.geoms.length === b.geoms.length && a.geoms.every((g, i) => g.name === b.geoms[i].name && g.type === b.geoms[i].type);
}
