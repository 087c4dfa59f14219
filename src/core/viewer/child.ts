// The viewer process: plays the latest policy in real time beside training (player.ts) and
// speaks messages.ts with its host. It never trains, holds no TF.js unless asked to play a
// checkpoint, and idles between ticks, so it costs the trainer's core nothing.

import type { HostToViewer, ViewerToHost } from './messages.js';
import { ViewerPlayer } from './player.js';
import { loadSavedPolicy } from './saved-policy.js';

/** Ticks per second: pose updates ≤ 17 ms apart, well under the 50 ms the view may wait. */
const TICK_HZ = 60;

const send = (m: ViewerToHost): void => {
  if (process.connected) process.send?.(m, undefined, undefined, () => {});
};
const player = new ViewerPlayer(send);
let loading: Promise<void> = Promise.resolve();

function report(e: unknown): void {
  send({ type: 'viewer-error', message: e instanceof Error ? e.message : String(e) });
}

function handle(msg: HostToViewer): void {
  switch (msg.type) {
    case 'load': loading = loading.then(() => player.load(msg.source, msg.policy)).catch(report); return;
    case 'play': loading = loading.then(async () => { const r = await loadSavedPolicy(msg.dir); await player.load(r.source, r.policy); }).catch(report); return;
    case 'policy': loading = loading.then(() => player.setPolicy(msg.policy)).catch(report); return;
    case 'control': player.control(msg.control); return;
    case 'push': player.setPush(msg.push); return;
    case 'unload': loading = loading.then(() => player.unload()); return;
  }
}

process.on('message', (m: HostToViewer) => {
  try { handle(m); } catch (e) { report(e); }
});
// A tick that throws (a bad policy for this task) reports once and unloads rather than spamming.
const timer = setInterval(() => {
  try { player.tick(); } catch (e) { report(e); player.unload(); }
}, 1000 / TICK_HZ);
// The host going away ends the viewer.
process.on('disconnect', () => { clearInterval(timer); player.unload(); process.exit(0); });
