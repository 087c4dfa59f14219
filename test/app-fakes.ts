// Small stand-ins for the core pieces LabBackend uses (trainer process, run store, catalog), so
// the app layer is tested without TensorFlow or MuJoCo.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { choice, int, num, type Schema } from '../src/core/config/schema.js';
import type { HostToTrainer, MetricsRow, RunConfig, TrainerToHost } from '../src/core/protocol.js';
import type { Catalog, LabError } from '../src/backend/api.js';
import type { BackendDeps, TrainerProcess } from '../src/backend/lab-backend.js';
import type { ViewerProcessLike } from '../src/backend/viewer-service.js';
import type { HostToViewer, ViewerToHost } from '../src/core/viewer/messages.js';
import { CUSTOM_PRESETS } from '../src/core/envs/custom.js';
import { EXPORT_FORMATS } from '../src/backend/api.js';

const RUN: Schema = {
  seed: int(1, 'seed', 0, 2 ** 31 - 1),
  totalSteps: int(1_000_000, 'steps', 1_000, 10_000_000_000),
  checkpointEvery: int(10, 'updates between checkpoints', 1, 1_000_000),
  backend: choice('auto', ['auto', 'tensorflow', 'wasm', 'cpu'], 'backend'),
};

export const fakeCatalog: Catalog = {
  tasks: [{ name: 'InvertedPendulum', description: 'cart-pole', obsDim: 4, actDim: 1, actionKind: 'box', frameSkip: 2, maxEpisodeSteps: 1000, rewardTerms: ['alive'] }],
  algos: [{
    name: 'ppo', title: 'PPO', summary: 'clipped surrogate',
    schema: {
      lr: num(3e-4, 'learning rate', { min: 1e-7, max: 1 }),
      epochs: int(10, 'epochs per update', 1, 100),
      phi: choice('gae', ['gae', 'return'], 'advantage estimator'),
    },
  }],
  presets: { ppo: { InvertedPendulum: { epochs: 4 } } },
  customPresets: CUSTOM_PRESETS,
  run: RUN,
  backends: ['auto', 'tensorflow', 'wasm', 'cpu'],
  exportFormats: EXPORT_FORMATS,
};

export class FakeTrainer implements TrainerProcess {
  static nextPid = 1000;
  readonly pid = FakeTrainer.nextPid++;
  readonly sent: HostToTrainer[] = [];
  private msgCbs: ((m: TrainerToHost) => void)[] = [];
  private exitCbs: ((c: number | null, s: string | null) => void)[] = [];
  killed: string | null = null;
  /** Called on every message the host sends (lets a test script the trainer's answers). */
  onSend: (m: HostToTrainer, self: FakeTrainer) => void = () => {};
  send(msg: HostToTrainer): void { this.sent.push(msg); this.onSend(msg, this); }
  onMessage(cb: (m: TrainerToHost) => void): void { this.msgCbs.push(cb); }
  onExit(cb: (c: number | null, s: string | null) => void): void { this.exitCbs.push(cb); }
  kill(signal: NodeJS.Signals = 'SIGTERM'): void { this.killed = signal; }
  emit(m: TrainerToHost): void { for (const cb of this.msgCbs) cb(m); }
  exit(code: number | null, signal: string | null): void { for (const cb of this.exitCbs) cb(code, signal); }
}

/** A viewer process that records what the host sends and emits what the test tells it to. */
export class FakeViewer implements ViewerProcessLike {
  readonly sent: HostToViewer[] = [];
  private msgCbs: ((m: ViewerToHost) => void)[] = [];
  private exitCbs: ((c: number | null, s: string | null) => void)[] = [];
  killed: string | null = null;
  send(msg: HostToViewer): void { this.sent.push(msg); }
  onMessage(cb: (m: ViewerToHost) => void): void { this.msgCbs.push(cb); }
  onExit(cb: (c: number | null, s: string | null) => void): void { this.exitCbs.push(cb); }
  kill(signal: NodeJS.Signals = 'SIGTERM'): void { this.killed = signal; }
  emit(m: ViewerToHost): void { for (const cb of this.msgCbs) cb(m); }
  exit(code: number | null, signal: string | null): void { for (const cb of this.exitCbs) cb(code, signal); }
}

export function fakeDeps(onSpawn: (t: FakeTrainer) => void = () => {}): BackendDeps & { spawned: FakeTrainer[]; created: string[]; viewers: FakeViewer[] } {
  const spawned: FakeTrainer[] = [];
  const created: string[] = [];
  const viewers: FakeViewer[] = [];
  let n = 0;
  return {
    spawned, created, viewers,
    spawnViewer: () => { const v = new FakeViewer(); viewers.push(v); return v; },
    spawnTrainer: () => { const t = new FakeTrainer(); spawned.push(t); onSpawn(t); return t; },
    listRuns: async () => [],
    readRun: async (dir) => ({ config: JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as RunConfig, metrics: [] as MetricsRow[] }),
    newRunDir: async (root, config) => {
      const dir = path.join(root, `run-${++n}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
      created.push(dir);
      return dir;
    },
    exportRun: async (_runDir, format, outDir) => {
      const p = path.join(outDir, `policy.${format}`);
      await writeFile(p, 'x');
      return { dir: outDir, files: [path.basename(p)] };
    },
    importBundle: async () => { throw new Error('fake deps: importBundle is not scripted'); },
    catalog: () => fakeCatalog,
  };
}

export function metricsRow(update: number, ret: number): MetricsRow {
  return {
    update, steps: update * 2048, episodes: update * 10, returnMean: ret, returnMin: ret - 1, returnMax: ret + 1, lengthMean: 50,
    policyLoss: 0.1, valueLoss: 1, entropy: 1.4, approxKl: 0.01, clipFraction: 0.1, explainedVariance: 0.5, gradNorm: 1, stepsPerSecond: 1000, wallTime: update,
  };
}

/** The LabError a request fails with (the test fails if it succeeds). */
export async function failure(p: Promise<unknown>): Promise<LabError> {
  try {
    await p;
  } catch (e) {
    return e as LabError;
  }
  throw new Error('expected the request to fail');
}
