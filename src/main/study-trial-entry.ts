// A study's trial process in the desktop app (built to out/main/study-trial.js and forked by the
// studies' local executor with Electron's node mode). Task models come from the same asset folder
// as the trainer's; an A3C trial's workers are the built a3c-worker.js beside this file.
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
process.env.POLICY_LAB_A3C_WORKER ??= resolve(here, 'a3c-worker.js');

const { trialChildMain } = await import('../core/studies/trial-child.js');
trialChildMain();
