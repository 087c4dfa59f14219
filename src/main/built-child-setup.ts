// What every built child of the desktop app (out/main/trainer.js, study-trial.js) sets up before
// loading the engine: the task models are read from the source tree's asset folder, which the
// main build does not copy (POLICY_LAB_ASSETS overrides it for packaged layouts), and A3C workers
// are the built a3c-worker.js beside the entry (the bundler moves a3c.ts into chunks/).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setEnvAssetDir } from '../core/envs/assets.js';

export function setUpBuiltChild(entryUrl: string): void {
  const here = dirname(fileURLToPath(entryUrl));
  const assets = process.env.POLICY_LAB_ASSETS ?? resolve(here, '../../src/core/envs/assets');
  if (existsSync(assets)) {
    setEnvAssetDir(assets);
    process.env.POLICY_LAB_ASSETS = assets; // inherited by A3C workers
  }
  process.env.POLICY_LAB_A3C_WORKER ??= resolve(here, 'a3c-worker.js');
}
