// The viewer process: plays the latest policy in real time beside training (player.ts) and
// speaks messages.ts with its host. It never trains, holds no TF.js unless asked to play a
// checkpoint, and ticks only while it plays: paused or idle, it wakes for nothing.

import { STATES_PER_BATCH, type HostToViewer, type ViewerToHost } from './messages.js';
import { ViewerPlayer } from './player.js';
import { loadSavedPolicy } from './saved-policy.js';
import { BatchedSender } from './state-batch.js';

/**
 * Ticks (states sent) per second: 60 keeps pose updates ≤ 17 ms apart, well under the 50 ms the
 * view may wait. POLICY_LAB_VIEWER_HZ (an integer 10–120) overrides it for diagnosis: bench:app
 * --states-20 measures what fewer messages save.
 */
const TICK_HZ = tickHz(process.env.POLICY_LAB_VIEWER_HZ);

function tickHz(v: string | undefined): number {
  if (v === undefined || v === '') return 60;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 10 || n > 120) throw new Error(`POLICY_LAB_VIEWER_HZ must be an integer from 10 to 120, got "${v}"`);
  return n;
}

const send = (m: ViewerToHost): void => {
  if (process.connected) process.send?.(m, undefined, undefined, () => {});
};
// States go out STATES_PER_BATCH to a message, one by one while a push is held, by BatchedSender's
// rule (state-batch.ts).
const sender: BatchedSender = new BatchedSender(send, STATES_PER_BATCH, 1000 / TICK_HZ, (): boolean => player.running, (): boolean => player.pushing);
const player: ViewerPlayer = new ViewerPlayer(sender.fromPlayer);
let loading: Promise<void> = Promise.resolve();

function report(e: unknown): void {
  send({ type: 'viewer-error', message: e instanceof Error ? e.message : String(e) });
}

let timer: NodeJS.Timeout | undefined;

/** Ticks run only while the player plays (checked after every message and load). */
function pace(): void {
  if (player.running && !timer) {
    player.restartClock();
    timer = setInterval(tick, 1000 / TICK_HZ);
  } else if (!player.running && timer) {
    clearInterval(timer);
    timer = undefined;
    sender.flush(); // the last states before a pause
  }
}

// A tick that throws (a bad policy for this task) reports once and unloads rather than spamming.
function tick(): void {
  try { player.tick(); } catch (e) { report(e); player.unload(); pace(); }
}

function handle(msg: HostToViewer): void {
  const queue = (job: () => unknown): void => { loading = loading.then(job).catch(report).then(pace); };
  switch (msg.type) {
    case 'load': queue(() => player.load(msg.source, msg.policy)); return;
    case 'play': queue(async () => { const r = await loadSavedPolicy(msg.dir); await player.load(r.source, r.policy); }); return;
    case 'policy': queue(() => player.setPolicy(msg.policy)); return;
    case 'control': player.control(msg.control); return;
    case 'push': player.setPush(msg.push); return;
    case 'unload': queue(() => player.unload()); return;
  }
}

process.on('message', (m: HostToViewer) => {
  try { handle(m); } catch (e) { report(e); }
  pace();
});
// The host going away ends the viewer.
process.on('disconnect', () => { clearInterval(timer); player.unload(); process.exit(0); });
