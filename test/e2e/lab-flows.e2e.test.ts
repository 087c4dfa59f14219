// UI flows in headless Chromium against serve mode with a scripted trainer: the Φ_t picker,
// live view, a killed trainer reported in plain words and resumed from its checkpoint,
// evaluation playback with the scrubber, export, and run overlays.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabBackend } from '../../src/backend/lab-backend.js';
import { startServe, type ServeHandle } from '../../src/serve/server.js';
import { CHROMIUM, launchLabPage } from './browser.js';
import { buildRenderer } from './build-renderer.js';
import { scriptedDeps } from './scripted-trainer.js';

const SHOTS = path.resolve('test-results');

type Stats = { state: string; metricsPoints: number; evalFrames: number; lastError: string | null };

let s: ServeHandle | undefined;
let browser: Browser | undefined;
let page: Page;
let root: string;
let deps: ReturnType<typeof scriptedDeps>;
const consoleProblems: string[] = [];

const stats = (): Promise<Stats> => page.evaluate(() => window.__labStats as unknown as Stats);
async function until(what: string, ok: (v: Stats) => boolean, timeoutMs = 20_000): Promise<Stats> {
  const t0 = Date.now();
  for (;;) {
    const v = await stats();
    if (ok(v)) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!existsSync(CHROMIUM))('lab UI flows (scripted trainer)', () => {
  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = await buildRenderer(path.join(SHOTS, 'e2e-renderer-flows'));
    root = await mkdtemp(path.join(tmpdir(), 'lab-flows-'));
    deps = scriptedDeps();
    s = await startServe({ host: '127.0.0.1', port: 0, runsRoot: root, rendererDir, backend: new LabBackend(root, deps) });
    ({ browser, page } = await launchLabPage(consoleProblems, ['error', 'warning']));
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('without the token the page is refused', async () => {
    const r = await page.goto(s ? `http://127.0.0.1:${s.port}/` : 'about:blank');
    expect(r?.status()).toBe(403);
  });

  it('trains, survives a killed trainer, resumes, evaluates with playback, exports, overlays', async () => {
    if (!s) throw new Error('no server');
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]');
    // The Φ_t estimator is its own picker (from the schema's 'phi' field) and is sent along.
    expect(await page.locator('#phi-row').isVisible()).toBe(true);
    await page.selectOption('#phi', 'return');
    expect(await page.getAttribute('[data-field="lr"]', 'title')).toBe('learning rate');
    // The token leaves the address bar; a reload still works through the session cookie.
    expect(page.url()).toBe(`http://127.0.0.1:${s.port}/`);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#task option').count()).toBeGreaterThan(1);
    await page.selectOption('#phi', 'return');
    await page.click('#train');
    await until('curve points', (v) => v.metricsPoints >= 3);
    const start = deps.spawned[0].sent.find((m) => m.type === 'start');
    expect(start?.type === 'start' && start.config.algoConfig.phi).toBe('return');
    expect(start?.type === 'start' && start.config.algoConfig.epochs).toBe(4); // the task preset

    const px = await page.evaluate(() => window.__labView.sample());
    expect(px.nonBackground).toBeGreaterThan(0.05);
    const a = await page.evaluate(() => window.__labView.trackedPosition());
    await page.waitForTimeout(300);
    const b = await page.evaluate(() => window.__labView.trackedPosition());
    expect(a).not.toEqual(b);

    // The trainer process dies: the page says what happened and how to continue.
    const pointsBefore = (await stats()).metricsPoints;
    deps.spawned[0].kill('SIGKILL');
    await until('crashed', (v) => v.state === 'crashed');
    await page.waitForSelector('.toast');
    const msg = await page.locator('.toast').last().textContent();
    expect(msg).toMatch(/trainer process was killed \(SIGKILL\); last checkpoint at step \d+; press Resume to continue/);
    await page.screenshot({ path: path.join(SHOTS, 'flows-01-crashed.png') });
    expect(await page.locator('#resume').isEnabled()).toBe(true);
    await page.click('#resume');
    await until('running after resume', (v) => v.state === 'running');
    const resumed = deps.spawned[1].sent.find((m) => m.type === 'start');
    expect(resumed).toMatchObject({ type: 'start', resume: true });
    await until('new points after resume', (v) => v.metricsPoints > pointsBefore + 1);
    expect(await page.locator('.toast.crash').count()).toBe(0);

    await page.click('#pause');
    await until('paused', (v) => v.state === 'paused');
    await page.click('#stop');
    await until('stopped', (v) => v.state === 'stopped');

    // Evaluation: recorded frames play back; the scrubber moves the bodies.
    await page.click('#evaluate');
    await until('evaluation', (v) => v.evalFrames === 60);
    expect(await page.locator('#eval-result').textContent()).toMatch(/return 39\.8/);
    expect(await page.getAttribute('#scrub', 'max')).toBe('59');
    await page.click('#play'); // pause playback
    await page.locator('#scrub').fill('5');
    const sig5 = await page.evaluate(() => window.__labView.posesSignature());
    await page.locator('#scrub').fill('40');
    const sig40 = await page.evaluate(() => window.__labView.posesSignature());
    expect(sig40).not.toBe(sig5);
    expect(await page.locator('#frame-label').textContent()).toBe('41 / 60');

    await page.selectOption('#export-format', 'tfjs');
    await page.click('#export');
    await page.waitForFunction(() => /model\.json/.test(document.getElementById('export-result')?.textContent ?? ''));
    const runDir = (await readdir(root)).find((d) => d.startsWith('run-')) as string;
    expect(await readdir(path.join(root, runDir, 'export'))).toEqual(['model.json']);

    // A second run, then overlay the first on its curves.
    await page.click('#train');
    await until('second run points', (v) => v.state === 'running' && v.metricsPoints >= 2);
    await page.click('#refresh-runs');
    await page.waitForFunction(() => document.querySelectorAll('.run').length === 2);
    await page.locator('.run').nth(1).locator('input[type=checkbox]').check();
    await page.waitForFunction(() => document.querySelectorAll('.chart[data-key="returnMean"] .chart-key').length === 2);
    expect(await page.locator('.chart[data-key="returnMean"] .chart-key').allTextContents()).toEqual([expect.stringMatching(/run-002/), expect.stringMatching(/run-001/)]);
    expect(await page.locator('.chart[data-key="entropy"] .chart-key').count()).toBe(2);
    await page.screenshot({ path: path.join(SHOTS, 'flows-02-overlay.png') });
    await page.click('#stop');
    await until('stopped', (v) => v.state === 'stopped');
    // The strict CSP (no inline styles or scripts) holds: nothing was refused, nothing threw.
    expect(consoleProblems.filter((m) => /Content Security Policy|Refused|Uncaught/i.test(m))).toEqual([]);
  }, 180_000);
});
