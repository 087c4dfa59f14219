// npm run bench:app-parts → bench/results/app-parts.json: where the real-time viewer's cost to
// training goes (issue 13's trainingCostPct). While PPO trains HalfCheetah from the lab page in
// headless Chromium (as bench:app), the page is switched between conditions that each take one
// part of the viewer away, in rounds (every condition once per round, same order), and the cores
// each process role uses are read from /proc over each window:
//   paused     the viewer paused (bench:app's "off")
//   playing    the viewer playing at 1× (bench:app's "on")
//   noPlot     playing; the policy view (μ, σ plot) does not draw, the 3D view does
//   plotEveryFrame playing; the policy view also drawn in every frame (as before it was held to
//              4 redraws/s under software WebGL)
//   noDraw     playing; the page applies every state but neither the 3D view nor the policy view draws
//   ignore     playing; the page receives every batch of states over the WebSocket and drops it
//   fullPixels playing; the 3D view at pixel ratio 1 instead of software WebGL's 0.5
// playing − noDraw is what drawing costs (playing − noPlot of it the policy view; plotEveryFrame
// also keeps the held redraws, so it reads a little high), noDraw − paused what the states' trip
// costs (viewer process, host, WebSocket, page); fullPixels shows how much of drawing scales
// with pixels.
// Flags: --seconds N (window, default 12), --rounds N (default 3).
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { writeFileAtomic } from '../src/core/runs/atomic.js';
import { writeDocSection } from './doc-section.js';
import { machineInfo } from './machine.js';
import { cpuDelta, cpuSnapshot, ROLES, type Role } from './process-cpu.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '12' }, rounds: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds), ROUNDS = Number(values.rounds);
if (!(SECONDS >= 2 && ROUNDS >= 1)) throw new Error('bench:app-parts: --seconds ≥ 2 and --rounds ≥ 1');
const CONDITIONS = ['paused', 'playing', 'noPlot', 'plotEveryFrame', 'noDraw', 'ignore', 'fullPixels'] as const;
type Condition = (typeof CONDITIONS)[number];
const log = (s: string) => console.error(`bench:app-parts: ${s}`);

/** Puts the page (and the viewer) in condition c; each call undoes the previous one first. */
async function enter(page: Page, setPaused: (p: boolean) => void, c: Condition): Promise<void> {
  setPaused(c === 'paused');
  // Reaches past TypeScript's private: a diagnosis of this page, not an API.
  await page.evaluate((c) => {
    type Panel = {
      scene: { renderer: { render: () => void; setPixelRatio: (r: number) => void; getPixelRatio: () => number }; clock: { onFrame: (cb: () => void) => void } };
      policy: { draw: () => void }; onStates: (...a: unknown[]) => void;
      __orig?: { render: () => void; draw: () => void; onStates: (...a: unknown[]) => void; ratio: number; everyFrame: boolean };
    };
    const v = window.__labViewer as unknown as Panel;
    const o = (v.__orig ??= { render: v.scene.renderer.render, draw: v.policy.draw, onStates: v.onStates, ratio: v.scene.renderer.getPixelRatio(), everyFrame: false });
    if (c === 'plotEveryFrame' && !('__everyFrameHook' in v)) {
      Object.assign(v, { __everyFrameHook: true });
      v.scene.clock.onFrame(() => { if (o.everyFrame) o.draw.call(v.policy); });
    }
    o.everyFrame = c === 'plotEveryFrame';
    v.scene.renderer.render = c === 'noDraw' ? () => {} : o.render;
    v.policy.draw = c === 'noDraw' || c === 'noPlot' ? () => {} : o.draw;
    v.onStates = c === 'ignore' ? () => {} : o.onStates;
    v.scene.renderer.setPixelRatio(c === 'fullPixels' ? 1 : o.ratio);
  }, c);
}

const root = await mkdtemp(path.join(tmpdir(), 'bench-parts-runs-'));
const load0 = loadavg().map((x) => +x.toFixed(2));
const t0 = performance.now();
await (await import('../src/serve/renderer-build.js')).ensureAppBuilt(log);
const { startServe } = await import('../src/serve/server.js');
const serve = await startServe({ host: '127.0.0.1', port: 0, runsRoot: root });
if (serve.children.from !== 'build') throw new Error('bench:app-parts: the lab\'s children would run from source, not from the app build');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
const windows = Object.fromEntries(CONDITIONS.map((c) => [c, []])) as unknown as Record<Condition, Record<Role, number>[]>;
let chromiumVersion = '';
try {
  chromiumVersion = browser.version();
  const page = await browser.newPage({ viewport: { width: 1500, height: 940 } });
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.goto(serve.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.selectOption('#task', 'HalfCheetah');
  await page.selectOption('#algo', 'ppo');
  await page.fill('.sidebar [data-field="totalSteps"]', '10000000');
  serve.backend.viewer.control({ paused: false, speed: 1, deterministic: true });
  let updates = 0;
  serve.backend.onEvent((e) => { if (e.type === 'metrics') updates++; });
  await page.click('#train');
  for (const start = Date.now(); updates < 2; await new Promise((r) => setTimeout(r, 200))) if (Date.now() - start > 300_000) throw new Error('no update in 5 minutes');
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CONDITIONS) {
      await enter(page, (p) => serve.backend.viewer.control({ paused: p }), c);
      await new Promise((r) => setTimeout(r, 2000)); // settle
      const a = await cpuSnapshot(), w0 = performance.now();
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const d = cpuDelta(a, await cpuSnapshot()), wall = (performance.now() - w0) / 1000;
      windows[c].push(Object.fromEntries(ROLES.map((r) => [r, d[r] / wall])) as Record<Role, number>);
      log(`round ${round + 1} ${c}: ${ROLES.map((r) => `${r} ${(d[r] / wall).toFixed(3)}`).join(', ')}`);
    }
  }
  await page.click('#stop');
} finally {
  await browser.close();
  await serve.close();
  await rm(root, { recursive: true, force: true });
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
/** Mean cores per role over a condition's windows, and their sum without the trainer. */
function mean(ws: Record<Role, number>[]) {
  const m = Object.fromEntries(ROLES.map((r) => [r, r3(ws.reduce((s, w) => s + w[r], 0) / ws.length)])) as Record<Role, number>;
  return { ...m, besideTrainer: r3(ROLES.filter((r) => r !== 'trainer').reduce((s, r) => s + m[r], 0)) };
}
const cores = Object.fromEntries(CONDITIONS.map((c) => [c, mean(windows[c])])) as Record<Condition, ReturnType<typeof mean>>;
const beside = (c: Condition) => cores[c].besideTrainer;
const result = {
  machine: machineInfo(), chromium: chromiumVersion, loadavg: { start: load0, end: loadavg().map((x) => +x.toFixed(2)) },
  seconds: Math.round((performance.now() - t0) / 1000),
  conditions: `PPO HalfCheetah (task preset) training from the lab page in headless Chromium (software WebGL, 1500×940 page), ${ROUNDS} rounds of ${SECONDS} s windows per condition`,
  /** Cores (CPU seconds per wall second) per process role, mean over the rounds. */
  cores,
  /** Cores beside the trainer that each part of the viewer adds (differences of besideTrainer). */
  parts: {
    playingOverPaused: r3(beside('playing') - beside('paused')),
    drawing: r3(beside('playing') - beside('noDraw')),
    policyViewPlot: r3(beside('playing') - beside('noPlot')),
    plotEveryFrameOverThrottled: r3(beside('plotEveryFrame') - beside('playing')),
    statesTrip: r3(beside('ignore') - beside('paused')),
    applyingStates: r3(beside('noDraw') - beside('ignore')),
    fullPixelsOverHalf: r3(beside('fullPixels') - beside('playing')),
  },
  windows,
};
mkdirSync('bench/results', { recursive: true });
writeFileAtomic('bench/results/app-parts.json', JSON.stringify(result, null, 2) + '\n');
const c2 = (x: number) => x.toFixed(2);
const row = (c: Condition, what: string) => `| ${c} | ${what} | ${c2(cores[c].trainer)} | ${c2(cores[c].viewer)} | ${c2(cores[c].host)} | ${c2(cores[c].chromiumGpu)} | ${c2(cores[c].chromiumRenderer)} | ${c2(cores[c].chromiumOther)} | **${c2(cores[c].besideTrainer)}** |`;
writeDocSection('docs/BENCHMARKS.md', 'app-parts', [
  '<!-- app-parts:begin -->',
  '## Where the viewer\'s cost goes (bench:app-parts)',
  '',
  `\`npm run bench:app-parts\` → \`bench/results/app-parts.json\` (${result.machine.date.slice(0, 10)}; ${result.conditions}; load average ${result.loadavg.start[0]} → ${result.loadavg.end[0]}). Cores (CPU seconds per wall second) per process:`,
  '',
  '| condition | what the page does | trainer | viewer process | host (serve) | Chromium GPU | Chromium renderer | other Chromium | beside the trainer |',
  '|---|---|---|---|---|---|---|---|---|',
  row('paused', 'viewer paused (bench:app\'s "off")'),
  row('playing', 'viewer playing at 1× (bench:app\'s "on")'),
  row('noPlot', 'playing, the policy view not drawn'),
  row('plotEveryFrame', 'playing, the policy view drawn in every frame (not held to 4/s)'),
  row('noDraw', 'applies every state, draws nothing'),
  row('ignore', 'receives every batch of states, drops it'),
  row('fullPixels', 'playing, 3D view at pixel ratio 1 (software default 0.5)'),
  '',
  `Beside the trainer, playing adds ${c2(result.parts.playingOverPaused)} of a core to paused: drawing ${c2(result.parts.drawing)} (playing − noDraw; ` +
    `the policy view's plot ${c2(result.parts.policyViewPlot)} of it, playing − noPlot, and ${c2(result.parts.plotEveryFrameOverThrottled)} more when drawn in every frame), ` +
    `the states' trip from the viewer process through the host and the WebSocket into the page ${c2(result.parts.statesTrip)} (ignore − paused), ` +
    `applying them ${c2(result.parts.applyingStates)} (noDraw − ignore); four times the pixels add ${c2(result.parts.fullPixelsOverHalf)}.`,
  '<!-- app-parts:end -->',
].join('\n'));
console.log(JSON.stringify({ cores: result.cores, parts: result.parts }, null, 2));
process.exit(0);
