// The trainer child of the desktop app (built to out/main/trainer.js and forked by main with
// Electron's node mode). The task models are read from the source tree's asset folder, which
// the main build does not copy; POLICY_LAB_ASSETS overrides it for packaged layouts.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setEnvAssetDir } from '../core/envs/assets.js';

const here = dirname(fileURLToPath(import.meta.url));
const assets = process.env.POLICY_LAB_ASSETS ?? resolve(here, '../../src/core/envs/assets');
if (existsSync(assets)) {
  setEnvAssetDir(assets);
  process.env.POLICY_LAB_ASSETS = assets; // inherited by A3C workers
}
// A3C workers are the built a3c-worker.js beside this file (the bundler moves a3c.ts into chunks/).
process.env.POLICY_LAB_A3C_WORKER ??= resolve(here, 'a3c-worker.js');

await import('../core/trainer/child.js');
