// The Study view in headless Chromium against serve mode, with real (tiny) trials in the local
// process pool: define a study from the schema forms, refuse a bad one with the field named,
// watch it live to the end (trial statuses, IQM curves with bands, final-score table with CIs,
// probabilities of improvement, gradient-variance bars), and open a trial as a normal run.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/backend/default-deps.js';
import { LabBackend } from '../../src/backend/lab-backend.js';
import type { ServeHandle } from '../../src/serve/server.js';
import { CHROMIUM } from './browser.js';
import { SHOTS, startServedLab, type ServedLab } from './served-lab.js';
// The scripted trainer serves the single-run side; the studies run real trial processes and
// need the real catalog (tasks, algorithms and their schemas) for the form.
import { scriptedDeps } from './scripted-trainer.js';

type StudyStats = { reports: number; shown: string | null; lastCounts: { finished: number; running: number; failed: number } | null; curvesDrawn: number; varianceBars: number };

let s: ServeHandle | undefined;
let lab: ServedLab | undefined;
let page: Page;
const problems: string[] = [];
const notFound: string[] = [];

const studyStats = (): Promise<StudyStats> => page.evaluate(() => window.__labStudy as unknown as StudyStats);

describe.skipIf(!existsSync(CHROMIUM))('Study view (real tiny trials)', () => {
  beforeAll(async () => {
    lab = await startServedLab('lab-study-e2e-', problems, (root) => new LabBackend(root, { ...scriptedDeps(), catalog: buildCatalog }));
    ({ server: s, page } = lab);
    page.on('response', (r) => { if (r.status() >= 400) notFound.push(new URL(r.url()).pathname); });
  }, 180_000);
  afterAll(async () => {
    await lab?.close();
  });

  it('defines, runs and reports a study live; a bad value is refused naming field and variant; a trial opens as a run', async () => {
    if (!s) throw new Error('no server');
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#study-view').isVisible()).toBe(false);
    await page.click('#studies-toggle');
    await page.waitForSelector('#study-view:not([hidden])');
    await page.waitForSelector('#study-builtins button[data-builtin="phi-estimators"]');
    expect(await page.locator('#study-builtins button').count()).toBe(3);

    await page.fill('#study-name', 'e2e-phi');
    await page.selectOption('#study-task', 'InvertedPendulum');
    await page.selectOption('#study-algo', 'reinforce');
    await page.fill('#study-steps', '2000');
    await page.fill('#study-seeds', '1,2');
    await page.selectOption('#study-vary', 'phi');
    await page.fill('#study-eval', '2');
    await page.fill('#study-workers', '2');
    await page.check('#study-variance');
    await page.locator('#study-hyper summary, details:has(#study-hyper) > summary').first().click();
    await page.fill('#study-hyper [data-field="batchSteps"]', '1000');
    // A wrong value is refused, naming the field and the variant; nothing starts.
    await page.fill('#study-values', 'reward-to-go,bogus');
    await page.click('#study-start');
    await expect.poll(() => page.textContent('#study-problem')).toMatch(/variant "bogus".*phi/);
    expect(await page.evaluate(() => document.querySelector('#study-view')?.getAttribute('data-studies') ?? '0')).toBe('0');

    await page.fill('#study-values', 'reward-to-go,baseline');
    await page.click('#study-start');
    await expect.poll(async () => (await studyStats()).shown, { timeout: 20_000 }).toBeTruthy();
    // Live: reports keep arriving until all four trials are finished and scored.
    await expect.poll(async () => (await studyStats()).lastCounts?.finished ?? 0, { timeout: 240_000, interval: 500 }).toBe(4);
    const st = await studyStats();
    expect(st.reports).toBeGreaterThan(1);
    expect(st.curvesDrawn).toBe(2);
    await expect.poll(async () => (await studyStats()).varianceBars, { timeout: 10_000 }).toBeGreaterThanOrEqual(2 + 6); // rtg: 2 estimators, baseline: 6
    expect(await page.locator('svg[data-chart="curves"] polygon.band').count()).toBe(2);
    expect(await page.locator('#study-trials tr[data-status="finished"]').count()).toBe(4);
    const finalRows = await page.locator('#study-final tr[data-variant]').allTextContents();
    expect(finalRows).toHaveLength(2);
    for (const r of finalRows) expect(r).toMatch(/2\/2.*\[-?\d+\.\d, -?\d+\.\d\]/);
    expect(await page.locator('#study-poi tr').count()).toBe(3); // header + a>b + b>a
    await page.screenshot({ path: path.join(SHOTS, 'study-view.png') });

    // Any trial opens in the lab as a normal run.
    await page.click('#study-trials button[data-open="0"]');
    await page.waitForSelector('#study-view[hidden]', { state: 'attached' });
    await expect.poll(() => page.textContent('#run-label')).toMatch(/000-reward-to-go-s1/);
    await expect.poll(async () => page.evaluate(() => window.__labStats.metricsPoints)).toBe(2);
    // No page request failed; Chromium's own favicon probe (not a page request) may log one 404.
    expect(notFound.filter((p) => p !== '/favicon.ico')).toEqual([]);
    expect(problems.filter((m) => !/Failed to load resource.*404/.test(m))).toEqual([]);
    expect(problems.length).toBeLessThanOrEqual(1);
  }, 400_000);
});
