// The real-time viewer in the page: applies the viewer process's states (poses into the scene,
// μ/σ into the policy view, the push line), shows which update plays and the running episode
// return and length, adds each finished episode to the evaluation-return chart, and sends the
// controls (pause, step, reset, speed, deterministic, swap at once) and camera follow.
// Per state only copies; labels refresh at most every INFO_MS, in the frames of the 3D view's
// FrameClock (a label written between frames would make the compositor draw a frame of its own).
// States come in batches and are shown intervalMs apart (state-playout.ts); the times they are
// shown are kept in a ring for bench:app.
import type { LabApi, ViewerEvent } from '../../backend/api.js';
import type { RenderDescription } from '../../core/envs/types.js';
import type { ViewerState } from '../../core/viewer/messages.js';
import type { EvalCurve } from '../charts/eval-curve.js';
import type { PolicyView } from '../ui/policy-view.js';
import type { FramePart } from '../view/frame-clock.js';
import type { SceneView } from '../view/scene.js';
import { PushDrag } from './push-drag.js';
import { StatePlayout } from './state-playout.js';

type State = ViewerState;
type States = Extract<ViewerEvent, { type: 'viewer-states' }>;
type Model = Extract<ViewerEvent, { type: 'viewer-model' }>;
type Episode = Extract<ViewerEvent, { type: 'viewer-episode' }>;

/** States remembered for measurements (about 4.5 minutes at 60 per second). */
const RING = 1 << 14;
/** Least milliseconds between label refreshes (the running return changes with every state). */
const INFO_MS = 250;

export class ViewerPanel {
  readonly stats = {
    states: 0, episodes: 0, update: -1, steps: 0, episode: 0, episodeReturn: 0, episodeStep: 0, simTime: 0,
    lastEpisodeReturn: NaN, paused: false, label: '', pushesSent: 0,
    /** Anchor xyz and target xyz of the push the viewer applies, or null (tests read it). */
    push: null as number[] | null,
  };
  /** performance.now() at arrival, simTime and update of the last RING states (index = count % RING). */
  readonly ring = { arrival: new Float64Array(RING), simTime: new Float64Array(RING), update: new Int32Array(RING), count: 0 };
  private model: RenderDescription | null = null;
  private readonly push: PushDrag;
  private readonly el: Record<'pause' | 'step' | 'reset' | 'speed' | 'mode' | 'swap' | 'follow' | 'info', HTMLElement>;
  private readonly info: FramePart;

  constructor(private readonly api: LabApi, private readonly scene: SceneView, private readonly policy: PolicyView, private readonly evalCurve: EvalCurve, private readonly toast: (m: string) => void) {
    const $ = (id: string): HTMLElement => {
      const e = document.getElementById(id);
      if (!e) throw new Error(`missing #${id}`);
      return e;
    };
    this.el = { pause: $('viewer-pause'), step: $('viewer-step'), reset: $('viewer-reset'), speed: $('viewer-speed'), mode: $('viewer-mode'), swap: $('viewer-swap'), follow: $('viewer-follow'), info: $('viewer-info') };
    this.push = new PushDrag(scene, (p) => api.viewerPush(p), (e) => this.fail(e));
    const ctl = (c: Parameters<LabApi['viewerControl']>[0]): void => void api.viewerControl(c).catch((e: unknown) => this.fail(e));
    this.el.pause.addEventListener('click', () => ctl({ paused: !this.stats.paused }));
    this.el.step.addEventListener('click', () => ctl({ step: true }));
    this.el.reset.addEventListener('click', () => ctl({ reset: true }));
    this.el.speed.addEventListener('change', () => ctl({ speed: Number((this.el.speed as HTMLSelectElement).value) }));
    this.el.mode.addEventListener('change', () => ctl({ deterministic: (this.el.mode as HTMLSelectElement).value === 'det' }));
    this.el.swap.addEventListener('change', () => ctl({ swapAtOnce: (this.el.swap as HTMLInputElement).checked }));
    this.el.follow.addEventListener('change', () => { scene.followBody = (this.el.follow as HTMLInputElement).checked; });
    this.info = scene.clock.part(INFO_MS, () => this.showInfo());
    this.showInfo();
  }

  /** The 3D view's draw statistics (bench:app reads them with the viewer's). */
  get sceneStats(): SceneView['stats'] {
    return this.scene.stats;
  }

  get currentModel(): RenderDescription | null {
    return this.model;
  }

  /** The scene the viewer plays (also used to show it again after an evaluation replay). */
  onModel(e: Model): void {
    this.playout.clear(); // states of the scene before, still waiting to be shown
    this.model = e.render;
    this.stats.label = e.label;
    this.stats.lastEpisodeReturn = NaN;
    this.scene.setModel(e.render);
    this.push.setModel(e.render, e.pushable);
    this.policy.clear();
    this.evalCurve.clear();
    this.info.changed();
  }

  /** A batch of states, shown one by one; show(): false while an evaluation replay owns the scene. */
  onStates(e: States, show: () => boolean): void {
    this.show = show;
    this.playout.push(e.states, e.intervalMs);
  }

  private show: () => boolean = () => true;
  private readonly playout = new StatePlayout<State>((s) => this.onState(s, this.show()));

  /** show: false while something else (an evaluation replay) owns the scene. */
  onState(e: State, show: boolean): void {
    const s = this.stats, r = this.ring;
    const i = r.count % RING;
    r.arrival[i] = performance.now();
    r.simTime[i] = e.simTime;
    r.update[i] = e.update;
    r.count++;
    s.states++;
    s.update = e.update;
    s.steps = e.steps;
    s.episode = e.episode;
    s.episodeReturn = e.episodeReturn;
    s.episodeStep = e.episodeStep;
    s.simTime = e.simTime;
    s.paused = e.settings.paused;
    s.pushesSent = this.push.sent;
    if (e.push.length === 6) { s.push ??= [0, 0, 0, 0, 0, 0]; for (let k = 0; k < 6; k++) s.push[k] = e.push[k]; } else s.push = null;
    this.info.changed();
    if (!show) return;
    this.scene.setPoses(e.poses);
    if (e.mu.length > 0) this.policy.update(e.mu, e.std);
    this.push.showLine(e.push);
  }

  onEpisode(e: Episode): void {
    this.stats.episodes++;
    this.stats.lastEpisodeReturn = e.return;
    this.evalCurve.add(e.steps, e.return);
    this.info.changed();
  }

  /** Writes only what changed: every DOM change costs a compositor frame (CPU under software WebGL). */
  private showInfo(): void {
    const s = this.stats;
    const set = (el: HTMLElement, text: string): void => { if (el.textContent !== text) el.textContent = text; };
    set(this.el.pause, s.paused ? '▶' : '❚❚');
    const step = this.el.step as HTMLButtonElement;
    if (step.disabled === s.paused) step.disabled = !s.paused;
    if (s.states === 0) { set(this.el.info, 'Ctrl+drag a body to push it'); return; }
    const upd = s.update < 0 ? 'checkpoint' : `update ${s.update}`;
    set(this.el.info, `${s.label} · ${upd} (${s.steps.toLocaleString('en-US')} steps) · episode ${s.episode + 1}: ` +
      `return ${s.episodeReturn.toFixed(1)}, length ${s.episodeStep}` +
      (Number.isFinite(s.lastEpisodeReturn) ? ` · last ${s.lastEpisodeReturn.toFixed(1)}` : '') + ' · Ctrl+drag to push');
  }

  private fail(e: unknown): void {
    this.toast(`Viewer: ${e instanceof Error ? e.message : String(e)}`);
  }
}
