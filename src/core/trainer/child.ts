// The trainer process: speaks the protocol over the IPC channel its host opened with fork().
// One process runs one training session (or evaluations); a crash here never takes the host down.

import { getMujoco } from '../envs/mujoco.js';
import type { HostToTrainer, TrainerToHost } from '../protocol.js';
import { selectBackend } from '../rl/backend.js';
import { evaluateBundle, exportRun, isBundleDir } from './run-export.js';
import { resolveRunConfig } from '../runs/run-config.js';
import { evaluateRun } from './evaluate.js';
import { TrainingSession } from './session.js';

// Once the host is gone (killed, or its terminal closed) there is no one to tell: the session
// is stopping (see 'disconnect' below) and a write to the closed channel would crash with EPIPE.
let inFlight = 0;
let sessionOver = false;
/** Resolves once the message is written to the channel (TrainingSession waits so for its policies). */
const send = (m: TrainerToHost): Promise<void> | undefined => {
  if (!process.connected) return;
  inFlight++;
  return new Promise<void>((resolve) => process.send?.(m, undefined, undefined, () => { inFlight--; exitIfOver(); resolve(); }));
};
// One process runs one session: when it is over (finished, stopped or failed) the process ends
// by itself once its last messages ('done') are on their way — an idle trainer holding TF.js
// and MuJoCo (~250 MB) never outlives its run, even if its owner forgets it.
function exitIfOver(): void {
  if (sessionOver && inFlight === 0) process.exit(0);
}
// Load MuJoCo and the default backend while the host is still deciding what to ask for: a
// trainer started ahead of time answers its first 'start' without that delay.
const warm = Promise.all([getMujoco(), selectBackend('auto')]).catch(() => undefined);
const session = new TrainingSession(send);
let running: Promise<unknown> | null = null;

async function handle(msg: HostToTrainer): Promise<void> {
  switch (msg.type) {
    case 'start': {
      if (running || sessionOver) { send({ type: 'error', message: 'this trainer is already running a session', fatal: false }); return; }
      let config;
      try {
        // The host validated it too; the trainer trusts no message (one validator, core/runs/run-config).
        config = resolveRunConfig(msg.config, 'start.config');
      } catch (e) {
        send({ type: 'error', message: (e as Error).message, fatal: true });
        send({ type: 'done', reason: 'failed', steps: 0 });
        sessionOver = true;
        return;
      }
      running = warm.then(() => session.run(config, msg.runDir, msg.resume)).finally(() => {
        running = null;
        sessionOver = true;
        exitIfOver();
      });
      return;
    }
    case 'pause': session.pause(); return;
    case 'resume': session.resume(); return;
    case 'stop': session.stop(); return;
    case 'export': {
      await warm;
      const r = await exportRun(msg.runDir, msg.format, msg.outDir, msg.evalEpisodes);
      send({ type: 'exported', dir: r.dir, files: r.files });
      return;
    }
    case 'evaluate': {
      await warm;
      // A run directory replays its checkpoint; an exported bundle replays its snapshot.
      const r = isBundleDir(msg.runDir)
        ? await evaluateBundle(msg.runDir, msg.episodes, msg.deterministic, msg.record)
        : await evaluateRun(msg.runDir, msg.episodes, msg.deterministic, msg.record);
      send({ type: 'evaluation', ...r });
      return;
    }
  }
}

process.on('message', (msg: HostToTrainer) => {
  handle(msg).catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e), fatal: false }));
});
// The host going away ends the trainer too, after the current update's checkpoint logic.
process.on('disconnect', () => { session.stop(); setTimeout(() => process.exit(0), 2000).unref(); });
