// The lab in headless Chromium against serve mode with the real trainer and viewer: PPO on
// InvertedPendulum — curves gain points, the real-time viewer plays the latest policy (its
// episode return and the evaluation-return curve grow, Ctrl+drag pushes the robot, it keeps
// playing while training is paused and after it stopped), evaluate with playback, export.
// Screenshots go to test-results/.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeHandle } from '../../src/serve/server.js';
import { CHROMIUM } from './browser.js';
import { SHOTS, startServedLab, type ServedLab } from './served-lab.js';

const hasChromium = existsSync(CHROMIUM);

type Stats = { state: string; metricsPoints: number; evalFrames: number; evaluations: number; poseFps: number; timeToFirstPointMs: number | null; lastError: string | null };

let lab: ServedLab | undefined;
let s: ServeHandle | undefined;
let page: Page;
let root: string;
const consoleProblems: string[] = [];

async function stats(): Promise<Stats> {
  return page.evaluate(() => window.__labStats as unknown as Stats);
}

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  const errorBefore = (await stats()).lastError;
  let v = await f();
  while (!ok(v)) {
    const err = (await stats()).lastError;
    if (err !== errorBefore) throw new Error(`the page reported an error while waiting for ${what}: ${err}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}; page error: ${(await stats()).lastError}`);
    await new Promise((r) => setTimeout(r, 250));
    v = await f();
  }
  return v;
}

describe.skipIf(!hasChromium)('lab in the browser (serve mode)', () => {
  beforeAll(async () => {
    lab = await startServedLab('lab-e2e-', consoleProblems);
    ({ server: s, page, root } = lab);
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('trains PPO on InvertedPendulum, shows it, pauses, resumes, evaluates and exports', async () => {
    if (!s) throw new Error('server did not start');
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await page.locator('#task').inputValue()).toBe('InvertedPendulum');
    await page.selectOption('#algo', 'ppo');
    // Small rollouts so updates (and curve points) come quickly on two shared cores.
    await page.fill('.sidebar [data-field="numSteps"]', '256');
    await page.fill('.sidebar [data-field="numMinibatches"]', '4');
    await page.fill('.sidebar [data-field="updateEpochs"]', '2');
    await page.fill('.sidebar [data-field="checkpointEvery"]', '1');
    await page.fill('.sidebar [data-field="totalSteps"]', '200000');
    await page.screenshot({ path: path.join(SHOTS, 'lab-01-setup.png') });

    // A bad value is caught in the page before anything is sent.
    await page.fill('.sidebar [data-field="gamma"]', '7');
    expect(await page.locator('#train').isDisabled()).toBe(true);
    expect(await page.locator('#form-problem').textContent()).toMatch(/gamma: must be ≤ 1/);
    await page.fill('.sidebar [data-field="gamma"]', '0.99');

    await page.click('#train');
    const first = await until('two curve points', stats, (v) => v.metricsPoints >= 2, 240_000);
    expect(first.timeToFirstPointMs).toBeGreaterThan(0);
    const vs = () => page.evaluate(() => ({ ...window.__labViewer.stats }));
    // The viewer plays a trained policy (update ≥ 1), not training env 0.
    await until('the viewer playing update ≥ 1', vs, (v) => v.states >= 5 && v.update >= 1, 60_000);
    // Its running episode return grows within an episode; finished episodes become curve points.
    const r1 = await until('an episode under way', vs, (v) => v.episodeStep >= 2, 30_000);
    const r2 = await until('the same episode further on', vs, (v) => v.episode !== r1.episode || v.episodeStep > r1.episodeStep + 2, 30_000);
    if (r2.episode === r1.episode) expect(r2.episodeReturn).toBeGreaterThan(r1.episodeReturn);
    await page.selectOption('#viewer-speed', '4');
    await until('two evaluation points', vs, (v) => v.episodes >= 2, 120_000);
    expect(await page.locator('.chart[data-key="evalReturn"] canvas').count()).toBeGreaterThan(0);
    await page.selectOption('#viewer-speed', '1');
    expect(await page.locator('#viewer-info').textContent()).toMatch(/update \d+ .* return -?\d/);


    // The 3D canvas is not blank, and bodies move between frames.
    await page.waitForTimeout(300);
    const px = await page.evaluate(() => window.__labView.sample());
    expect(px.nonBackground).toBeGreaterThan(0.02);
    const sig1 = await page.evaluate(() => window.__labView.posesSignature());
    await page.waitForTimeout(700);
    const sig2 = await page.evaluate(() => window.__labView.posesSignature());
    expect(sig2).not.toBe(sig1);
    const chartPx = await page.locator('.chart[data-key="returnMean"] canvas').count();
    expect(chartPx).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'lab-02-training.png') });

    // Pause: no new points; resume: points again.
    await page.click('#pause');
    await until('paused', stats, (v) => v.state === 'paused', 120_000);
    const pausedAt = (await stats()).metricsPoints;
    const viewerAtPause = await vs();
    await page.waitForTimeout(2500);
    expect((await stats()).metricsPoints).toBe(pausedAt);
    // Training paused, the viewer plays on.
    const viewerLater = await vs();
    expect(viewerLater.states).toBeGreaterThan(viewerAtPause.states + 30);
    expect(viewerLater.simTime - viewerAtPause.simTime).toBeGreaterThan(1.5);
    await page.click('#resume');
    await until('running again', stats, (v) => v.state === 'running', 30_000);
    await until('a point after resuming', stats, (v) => v.metricsPoints > pausedAt, 120_000);

    await page.click('#stop');
    await until('stopped', stats, (v) => v.state === 'stopped' || v.state === 'finished', 60_000);
    // … and after training ended.
    const afterStop = await vs();
    await page.waitForTimeout(1500);
    expect((await vs()).states).toBeGreaterThan(afterStop.states + 20);
    expect(await page.locator('.run').count()).toBeGreaterThanOrEqual(1);

    // Evaluate (deterministic) and play the recording back.
    await page.fill('#eval-episodes', '1');
    await page.click('#evaluate');
    await until('evaluation frames', stats, (v) => v.evalFrames > 0, 120_000);
    expect(await page.locator('#eval-result').textContent()).toMatch(/return -?\d/);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, 'lab-03-evaluated.png') });
    const scrubMax = Number(await page.locator('#scrub').getAttribute('max'));
    expect(scrubMax).toBeGreaterThan(0);

    // Export an ONNX model.
    await page.selectOption('#export-format', 'onnx');
    await page.click('#export');
    await page.waitForFunction(() => /\.onnx/.test(document.getElementById('export-result')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const runDirs = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'models' && d.name !== 'imports');
    const exported = await readdir(path.join(root, runDirs[0].name, 'export'));
    expect(exported.some((f) => f.endsWith('.onnx'))).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'lab-04-exported.png') });

    // Import that bundle back: it is verified, copied under imports/, selected and replayed.
    const evalsBefore = (await stats()).evaluations;
    await page.fill('#import-path', path.join(root, runDirs[0].name, 'export'));
    await page.click('#import');
    await page.waitForFunction(() => /InvertedPendulum · ppo · [\d,]+ steps/.test(document.getElementById('import-result')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect((await readdir(path.join(root, 'imports'))).filter((d) => !d.startsWith('.'))).toHaveLength(1);
    expect(await page.locator('#export').isDisabled()).toBe(true);
    await page.selectOption('#eval-mode', 'sto');
    await page.click('#evaluate');
    await until('evaluation of the imported policy', stats, (v) => v.evaluations > evalsBefore, 60_000);
    expect(await page.locator('#eval-result').textContent()).toMatch(/return -?\d/);
    expect(await page.locator('.run-status.imported').count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'lab-05-imported.png') });

    // The viewer plays the imported bundle (its policy, on its task) in place of the replay.
    await page.click('#viewer-play');
    await until('the viewer playing the bundle', vs, (v) => /\(bundle\)/.test(v.label) && v.update === -1, 60_000);
    const b0 = (await vs()).states;
    await page.waitForTimeout(1000);
    expect((await vs()).states).toBeGreaterThan(b0 + 20);
    await page.screenshot({ path: path.join(SHOTS, 'lab-06-viewer-bundle.png') });

    // Ctrl+drag on a HalfCheetah's torso (no episode end can undo the push): the viewer pulls it
    // up toward the cursor, and the line shows while held.
    await page.selectOption('#task', 'HalfCheetah');
    await page.fill('.sidebar [data-field="totalSteps"]', '200000');
    await page.click('#train');
    await until('the viewer playing HalfCheetah', vs, (v) => /HalfCheetah/.test(v.label) && v.update >= 0 && v.states > 10, 120_000);
    await page.waitForTimeout(500);
    // The robot moves: aim at where its torso is drawn now, and try again if the press missed.
    let at: [number, number] | null = null;
    let grabbed: number[] | null = null;
    await page.keyboard.down('Control');
    for (let attempt = 0; attempt < 4 && !grabbed; attempt++) {
      at = await page.evaluate(() => window.__labView.trackedOnScreen());
      if (!at) throw new Error('no tracked body on screen');
      await page.mouse.move(at[0], at[1]);
      await page.mouse.down();
      const t0 = Date.now();
      while (!grabbed && Date.now() - t0 < 3000) {
        grabbed = (await vs()).push;
        if (!grabbed) await page.waitForTimeout(100);
      }
      if (!grabbed) await page.mouse.up();
    }
    if (!grabbed || !at) throw new Error('Ctrl+press on the torso never started a push');
    await page.mouse.move(at[0], at[1] - 150, { steps: 8 });
    const lifted = await until('the torso to rise', vs, (v) => v.push !== null && v.push[2] > grabbed[2] + 0.3, 15_000);
    expect((lifted.push as number[])[5]).toBeGreaterThan(grabbed[5] + 0.3); // the target went up too
    await page.screenshot({ path: path.join(SHOTS, 'lab-07-push.png') });
    await page.mouse.up();
    await page.keyboard.up('Control');
    await until('the push released', vs, (v) => v.push === null, 10_000);
    expect((await vs()).pushesSent).toBeGreaterThan(2);
    await page.click('#stop');
    await until('stopped', stats, (v) => v.state === 'stopped' || v.state === 'finished', 60_000);

    expect(consoleProblems.filter((m) => /Content Security Policy|Refused/.test(m))).toEqual([]);
    const st = await stats();
    console.log(`e2e: time to first point ${st.timeToFirstPointMs?.toFixed(0)} ms, view ${st.poseFps.toFixed(1)} fps, viewer states ${(await vs()).states}`);
  }, 600_000);
});
