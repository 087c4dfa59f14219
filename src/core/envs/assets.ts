// The task MJCF files ship next to this module in ./assets. Each URL is a static
// `new URL('./assets/…', import.meta.url)` so bundlers can see and copy the files; a packaged app
// whose layout differs can point setEnvAssetDir() at wherever the .xml files ended up.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type AssetName =
  | 'inverted_pendulum.xml'
  | 'inverted_double_pendulum.xml'
  | 'reacher.xml'
  | 'swimmer.xml'
  | 'half_cheetah.xml'
  | 'hopper.xml'
  | 'walker2d.xml'
  | 'ant.xml';

function assetUrl(name: AssetName): URL {
  switch (name) {
    case 'inverted_pendulum.xml': return new URL('./assets/inverted_pendulum.xml', import.meta.url);
    case 'inverted_double_pendulum.xml': return new URL('./assets/inverted_double_pendulum.xml', import.meta.url);
    case 'reacher.xml': return new URL('./assets/reacher.xml', import.meta.url);
    case 'swimmer.xml': return new URL('./assets/swimmer.xml', import.meta.url);
    case 'half_cheetah.xml': return new URL('./assets/half_cheetah.xml', import.meta.url);
    case 'hopper.xml': return new URL('./assets/hopper.xml', import.meta.url);
    case 'walker2d.xml': return new URL('./assets/walker2d.xml', import.meta.url);
    case 'ant.xml': return new URL('./assets/ant.xml', import.meta.url);
  }
}

let overrideDir: string | undefined;
const cache = new Map<AssetName, string>();

/** Where to read the task .xml files from instead of ./assets next to this module. */
export function setEnvAssetDir(dir: string | undefined): void {
  overrideDir = dir;
  cache.clear();
}

export function readAsset(name: AssetName): string {
  let text = cache.get(name);
  if (text === undefined) {
    const path = overrideDir ? join(overrideDir, name) : fileURLToPath(assetUrl(name));
    text = readFileSync(path, 'utf8');
    cache.set(name, text);
  }
  return text;
}
