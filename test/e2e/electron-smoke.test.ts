// The real desktop app under Playwright's Electron driver: window opens, the sandboxed page
// sees only window.policyLab (no Node), the catalog loads over IPC, navigation is blocked.
// Needs Electron's binary, which cannot be downloaded everywhere: skipped when absent.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { LAB_METHODS } from '../../src/backend/api.js';

function electronBinary(): { path: string | null; why: string } {
  const dir = path.resolve('node_modules/electron');
  const txt = path.join(dir, 'path.txt');
  if (!existsSync(txt)) return { path: null, why: 'node_modules/electron/path.txt is missing (the Electron binary was not downloaded)' };
  const bin = path.join(dir, 'dist', readFileSync(txt, 'utf8').trim());
  if (!existsSync(bin)) return { path: null, why: `${bin} is missing` };
  return { path: bin, why: '' };
}

const bin = electronBinary();
const title = bin.path ? 'Electron app smoke test' : `Electron app smoke test — SKIPPED: ${bin.why}`;

describe.skipIf(!bin.path)(title, () => {
  it('opens a locked-down window that talks to main only through policyLab', async () => {
    execFileSync('npx', ['electron-vite', 'build'], { stdio: 'ignore' });
    const runs = await mkdtemp(path.join(tmpdir(), 'lab-electron-'));
    const shots = path.resolve('test-results');
    await mkdir(shots, { recursive: true });
    const app = await _electron.launch({
      executablePath: bin.path as string,
      args: ['--no-sandbox', path.resolve('out/main/index.js')],
      env: { ...process.env, POLICY_LAB_RUNS: runs },
    });
    try {
      const page = await app.firstWindow();
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      const surface = await page.evaluate(() => ({
        api: Object.keys(window.policyLab ?? {}).sort(),
        node: typeof (globalThis as { require?: unknown }).require,
        proc: typeof (globalThis as { process?: unknown }).process,
        bridge: window.__labStats.bridge,
      }));
      // Exactly the API's methods (derived from LAB_METHODS, so the list cannot drift) and onEvent.
      expect(surface.api).toEqual([...LAB_METHODS, 'onEvent'].sort());
      expect(surface.node).toBe('undefined');
      expect(surface.proc).toBe('undefined');
      expect(surface.bridge).toBe('ipc');
      expect(await page.locator('#task option').count()).toBeGreaterThan(1);
      const before = page.url();
      await page.evaluate(() => { location.href = 'https://example.com/'; });
      await page.waitForTimeout(500);
      expect(page.url()).toBe(before);
      // A malformed request is rejected by main with a clear message.
      const err = await page.evaluate(() => window.policyLab?.viewerControl({ speed: 1e9 }).then(() => null, (e: Error) => e.message));
      expect(err).toMatch(/speed: must be between 0.1 and 4/);
      await page.screenshot({ path: path.join(shots, 'electron-smoke.png') });
    } finally {
      await app.close();
      await rm(runs, { recursive: true, force: true });
    }
  }, 300_000);
});
