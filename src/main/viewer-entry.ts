// The real-time viewer's process in the desktop app (built to out/main/viewer.js and forked by
// main with Electron's node mode). Task models come from the same asset folder as the trainer's.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setEnvAssetDir } from '../core/envs/assets.js';

const here = dirname(fileURLToPath(import.meta.url));
const assets = process.env.POLICY_LAB_ASSETS ?? resolve(here, '../../src/core/envs/assets');
if (existsSync(assets)) setEnvAssetDir(assets);

await import('../core/viewer/child.js');
