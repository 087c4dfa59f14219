// One lab served headless for a browser test: the renderer built once, serve mode on a fresh
// runs folder (real trainer and viewer), and a Chromium page — the set-up every serve-mode E2E
// test needs, with one close() that ends all three.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { LabBackend } from '../../src/backend/lab-backend.js';
import type { ServeHandle } from '../../src/serve/server.js';
import { launchLabPage } from './browser.js';
import { buildRenderer } from './build-renderer.js';

export const SHOTS = path.resolve('test-results');

export interface ServedLab {
  readonly server: ServeHandle;
  readonly browser: Browser;
  readonly page: Page;
  /** The runs folder the server owns (removed by close). */
  readonly root: string;
  close(): Promise<void>;
}

/** backendFor: a backend of the test's own on the runs folder (default: the real one). */
export async function startServedLab(rootPrefix: string, consoleProblems: string[], backendFor?: (root: string) => LabBackend): Promise<ServedLab> {
  await mkdir(SHOTS, { recursive: true });
  // One build folder per test file: vite empties its outDir, so two files building into one
  // folder at once (vitest runs files in parallel) would delete each other's page.
  const rendererDir = await buildRenderer(path.join(SHOTS, `e2e-renderer-${rootPrefix.replace(/-+$/, '')}`));
  const root = await mkdtemp(path.join(tmpdir(), rootPrefix));
  const { startServe } = await import('../../src/serve/server.js');
  const server = await startServe({ host: '127.0.0.1', port: 0, runsRoot: root, rendererDir, backend: backendFor?.(root) });
  const { browser, page } = await launchLabPage(consoleProblems);
  return {
    server, browser, page, root,
    async close() {
      await browser.close();
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
