// Your own robot in the browser (serve mode, real trainer and viewer): Open model… with a zip of
// the fixture quadruped's folder (a browser has no paths), train `stand`, and the 3D view shows
// its meshes — the textured OBJ torso and four STL thighs — with collision geoms hidden until the
// toggle shows them. Screenshots go to test-results/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeHandle } from '../../src/serve/server.js';
import { CHROMIUM } from './browser.js';
import { SHOTS, startServedLab, type ServedLab } from './served-lab.js';

const QUAD = path.resolve('test/fixtures/robots/quadruped');
const hasChromium = existsSync(CHROMIUM);

type Counts = { geoms: number; meshes: number; textured: number };
let lab: ServedLab | undefined;
let s: ServeHandle | undefined;
let page: Page;
const consoleProblems: string[] = [];

async function counts(): Promise<Counts> {
  return page.evaluate(() => window.__labView.visibleCounts());
}

async function until(what: string, ok: (c: Counts) => boolean, timeoutMs: number): Promise<Counts> {
  const t0 = Date.now();
  let c = await counts();
  while (!ok(c)) {
    const err = await page.evaluate(() => window.__labStats.lastError);
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(c)}; page error: ${err}`);
    await new Promise((r) => setTimeout(r, 250));
    c = await counts();
  }
  return c;
}

describe.skipIf(!hasChromium)('your own robot in the browser (serve mode)', () => {
  beforeAll(async () => {
    lab = await startServedLab('lab-e2e-robot-', consoleProblems);
    ({ server: s, page } = lab);
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('opens the quadruped from a zipped folder and shows its meshes', async () => {
    if (!s) throw new Error('server did not start');
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.selectOption('#task', 'custom');
    expect(await page.locator('#train').isDisabled()).toBe(true); // no model yet
    const entries: Record<string, Uint8Array> = {};
    for (const f of ['scene.xml', 'quadruped.xml', 'assets/torso.obj', 'assets/leg.stl', 'assets/skin.png']) entries[`quadruped/${f}`] = readFileSync(path.join(QUAD, f));
    await page.setInputFiles('#mjcf-file', { name: 'quadruped.zip', mimeType: 'application/zip', buffer: Buffer.from(zipSync(entries)) });
    await page.selectOption('#custom-preset', 'stand');
    await page.selectOption('#algo', 'ppo');
    await page.fill('[data-field="numSteps"]', '256');
    await page.fill('[data-field="numMinibatches"]', '4');
    await page.fill('[data-field="updateEpochs"]', '2');
    await page.fill('[data-field="totalSteps"]', '20000');
    await page.locator('#train').click();

    // floor + textured torso + 4 thighs are drawn; the 13 collision capsules, spheres and box are not.
    const shown = await until('the quadruped\'s meshes', (c) => c.meshes === 5 && c.textured === 1, 120_000);
    expect(shown.geoms).toBe(6);
    expect((await page.evaluate(() => window.__labView.sample())).nonBackground).toBeGreaterThan(0.02);
    await page.screenshot({ path: path.join(SHOTS, 'robot-01-quadruped.png') });

    await page.locator('#show-collision').check();
    const all = await counts();
    expect(all.geoms).toBe(6 + 13);
    await page.screenshot({ path: path.join(SHOTS, 'robot-02-collision.png') });
    await page.locator('#show-collision').uncheck();
    expect((await counts()).geoms).toBe(6);

    await page.locator('#stop').click().catch(() => undefined);
    // As lab.e2e: no CSP refusals (a missing favicon's 404 is not a problem of the lab).
    expect(consoleProblems.filter((m) => /Content Security Policy|Refused/.test(m))).toEqual([]);
  }, 300_000);
});
