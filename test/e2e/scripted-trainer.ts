// An in-process stand-in for a trainer process that behaves like one over time (rising
// returns, checkpoints, pause/resume/stop, evaluation, crashes on demand), so browser tests of the UI's flows do not depend on learning speed; and one for the viewer
// process (a swinging cart-pole).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RenderDescription } from '../../src/core/envs/types.js';
import type { HostToTrainer, MetricsRow, RunConfig, TrainerToHost } from '../../src/core/protocol.js';
import type { RunInfo } from '../../src/backend/api.js';
import type { BackendDeps, TrainerProcess } from '../../src/backend/lab-backend.js';
import type { ViewerProcessLike } from '../../src/backend/viewer-service.js';
import type { HostToViewer, ViewerToHost } from '../../src/core/viewer/messages.js';
import { fakeCatalog, metricsRow } from '../app-fakes.js';

export const CARTPOLE: RenderDescription = {
  task: 'InvertedPendulum',
  bodyNames: ['world', 'cart', 'pole'],
  trackBody: 1,
  geoms: [
    { name: 'floor', type: 'plane', size: [0, 0, 0.1], rgba: [0.8, 0.8, 0.8, 1], body: 0 },
    { name: 'rail', type: 'capsule', size: [0.02, 1, 0], rgba: [0.3, 0.3, 0.7, 1], body: 0 },
    { name: 'cart', type: 'box', size: [0.1, 0.08, 0.05], rgba: [0.8, 0.7, 0.1, 1], body: 1 },
    { name: 'pole', type: 'capsule', size: [0.045, 0.3, 0], rgba: [0, 0.7, 0.7, 1], body: 2 },
  ],
};
const STRIDE = 7;

function writePoses(out: Float32Array, offset: number, t: number): void {
  const x = 0.4 * Math.sin(t * 1.3), th = 0.35 * Math.sin(t * 2.1);
  const r = Math.SQRT1_2;
  out.set([0, 0, 0, 1, 0, 0, 0], offset);
  out.set([0, 0, 0.5, r, 0, r, 0], offset + STRIDE); // rail along x
  out.set([x, 0, 0.5, 1, 0, 0, 0], offset + 2 * STRIDE);
  // Pole hinged at the cart, tilted by th about y: centre 0.3 up along the tilted axis.
  out.set([x + 0.3 * Math.sin(th), 0, 0.5 + 0.3 * Math.cos(th), Math.cos(th / 2), 0, Math.sin(th / 2), 0], offset + 3 * STRIDE);
}

export class ScriptedTrainer implements TrainerProcess {
  static next = 5000;
  readonly pid = ScriptedTrainer.next++;
  readonly sent: HostToTrainer[] = [];
  private msg: ((m: TrainerToHost) => void)[] = [];
  private exits: ((c: number | null, s: string | null) => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private paused = false;
  private dead = false;
  private step = 0;
  private update = 0;

  send(m: HostToTrainer): void {
    this.sent.push(m);
    if (this.dead) return;
    switch (m.type) {
      case 'start': return this.run(m.runDir, m.resume);
      case 'pause': this.paused = true; return this.emit({ type: 'paused' });
      case 'resume': this.paused = false; return this.emit({ type: 'resumed' });
      case 'stop':
        this.emit({ type: 'done', reason: 'stopped', steps: this.step });
        return this.exit(0, null);
      case 'evaluate': {
        const frameCount = 60;
        const frames = new Float32Array(frameCount * CARTPOLE.geoms.length * STRIDE);
        for (let i = 0; i < frameCount; i++) writePoses(frames, i * CARTPOLE.geoms.length * STRIDE, i * 0.1);
        setTimeout(() => this.emit({ type: 'evaluation', returns: new Float64Array([41.5, 38]), lengths: new Int32Array([30, 30]), render: CARTPOLE, frames, frameCount }), 100);
        return;
      }
    }
  }
  onMessage(cb: (m: TrainerToHost) => void): void { this.msg.push(cb); }
  onExit(cb: (c: number | null, s: string | null) => void): void { this.exits.push(cb); }
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.dead) this.exit(null, signal);
  }

  private run(runDir: string, resume: boolean): void {
    void (async () => {
      const prev = resume ? await readMetrics(runDir) : [];
      this.update = prev.length;
      this.step = prev.at(-1)?.steps ?? 0;
      this.emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render: CARTPOLE, startStep: this.step });
      this.timers.push(setInterval(() => {
        if (this.paused) return;
        this.step += 128;
        this.update++;
        const row = { ...metricsRow(this.update, 10 + 5 * this.update), steps: this.step };
        void writeFile(path.join(runDir, 'metrics.jsonl'), JSON.stringify(row) + '\n', { flag: 'a' });
        this.emit({ type: 'metrics', row });
        this.emit({ type: 'checkpoint', step: this.step, path: path.join(runDir, 'ckpt') });
      }, 250));
    })();
  }

  private emit(m: TrainerToHost): void {
    if (!this.dead) for (const cb of this.msg) cb(m);
  }

  private exit(code: number | null, signal: string | null): void {
    this.dead = true;
    for (const t of this.timers) clearInterval(t);
    setTimeout(() => { for (const cb of this.exits) cb(code, signal); }, 10);
  }
}

/** A stand-in for the viewer process: on load it shows the cart-pole and swings it ~30 times a second. */
export class ScriptedViewer implements ViewerProcessLike {
  private msg: ((m: ViewerToHost) => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  readonly sent: HostToViewer[] = [];
  send(m: HostToViewer): void {
    this.sent.push(m);
    if (m.type !== 'load' && m.type !== 'play') return;
    for (const cb of this.msg) cb({ type: 'viewer-model', label: 'scripted', spec: fakeCatalog.tasks[0], render: CARTPOLE, pushable: false });
    if (this.timer) return;
    const poses = new Float32Array(CARTPOLE.geoms.length * STRIDE);
    let seq = 0;
    const settings = { paused: false, speed: 1, deterministic: true, swapAtOnce: false };
    this.timer = setInterval(() => {
      seq++;
      writePoses(poses, 0, seq / 30);
      const state: ViewerToHost = {
        type: 'viewer-states', intervalMs: 33, states: [{
          type: 'viewer-state', seq, simTime: seq / 30, poses, mu: new Float32Array([Math.sin(seq / 20)]), std: new Float32Array([0.4]),
          episode: Math.floor(seq / 100), episodeStep: seq % 100, episodeReturn: seq % 100, update: 1, steps: 128, push: new Float32Array(0), settings,
        }],
      };
      for (const cb of this.msg) cb(state);
    }, 33);
  }
  onMessage(cb: (m: ViewerToHost) => void): void { this.msg.push(cb); }
  onExit(): void {}
  kill(): void { if (this.timer) clearInterval(this.timer); this.timer = null; }
}

async function readMetrics(dir: string): Promise<MetricsRow[]> {
  const text = await readFile(path.join(dir, 'metrics.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricsRow);
}

export function scriptedDeps(): BackendDeps & { spawned: ScriptedTrainer[] } {
  const spawned: ScriptedTrainer[] = [];
  let n = 0;
  return {
    spawned,
    spawnTrainer: () => { const t = new ScriptedTrainer(); spawned.push(t); return t; },
    spawnViewer: () => new ScriptedViewer(),
    newRunDir: async (root, config) => {
      const dir = path.join(root, `run-${String(++n).padStart(3, '0')}-${config.task}-${config.algo}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
      return dir;
    },
    readRun: async (dir) => ({ config: JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as RunConfig, metrics: await readMetrics(dir) }),
    listRuns: async (root) => {
      const out: RunInfo[] = [];
      for (const e of await readdir(root, { withFileTypes: true }).catch(() => [])) {
        if (!e.isDirectory() || !e.name.startsWith('run-')) continue;
        const dir = path.join(root, e.name);
        const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as RunConfig;
        const m = await readMetrics(dir);
        out.push({ dir, id: e.name, config, steps: m.at(-1)?.steps ?? 0, lastReturn: m.at(-1)?.returnMean ?? NaN, status: 'stopped' });
      }
      return out.sort((a, b) => b.id.localeCompare(a.id));
    },
    exportRun: async (_runDir, format, outDir) => {
      const file = format === 'tfjs' ? 'model.json' : 'policy.onnx';
      await writeFile(path.join(outDir, file), 'scripted');
      return { dir: outDir, files: [file] };
    },
    importBundle: async () => { throw new Error('scripted deps: importBundle is not scripted'); },
    catalog: () => fakeCatalog,
  };
}
