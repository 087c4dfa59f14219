// The lab's build for serve mode. `policy-lab serve` runs the whole app build (electron-vite, as
// `npm run build`) before it starts when the page is missing (straight after `npm install`
// nothing is built) or the build is older than the sources: the page comes from out/renderer and
// the trainer, viewer and study children from out/main (built-children.ts says why); bench:app
// serves the same. The browser tests build private copies of the page alone with buildRenderer.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { builtChildren, packageRoot } from '../backend/built-children.js';

export const PACKAGE_ROOT = packageRoot();

/** Builds src/renderer into outDir (emptied first) and returns outDir. Needs the `vite` dev dependency. */
export async function buildRenderer(outDir: string): Promise<string> {
  const { build } = await import('vite');
  await build({
    root: path.join(PACKAGE_ROOT, 'src/renderer'),
    base: './',
    logLevel: 'warn',
    configFile: false,
    build: { outDir: path.resolve(outDir), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  });
  return path.resolve(outDir);
}

export class RendererBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RendererBuildError';
  }
}

/**
 * The whole app (out/main's child entries, out/preload, out/renderer) built by electron-vite in a
 * child process run from the package root (its config names the sources relative to it), into
 * outDir (default root/out). Needs the `electron-vite` dev dependency.
 */
export function buildApp(outDir = path.join(PACKAGE_ROOT, 'out')): Promise<void> {
  // Its package exports no bin path: found beside its package.json.
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('electron-vite/package.json')), 'bin/electron-vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'build', '--outDir', outDir, '--logLevel', 'warn'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    child.on('error', reject);
    child.on('exit', (code, signal) => code === 0 ? resolve() : reject(new Error(`electron-vite build ${signal ? `was killed (${signal})` : `exited with code ${code}`}: ${err.trim().split('\n').slice(-5).join(' | ')}`)));
  });
}

/**
 * Builds into a sibling folder and then puts it in place of outDir with two renames, so nobody
 * (another lab, a test) ever forks a half-written out/main: between the renames out/ is simply
 * missing, which reads as "not built" and runs the sources.
 */
async function buildAndSwap(outDir: string, build: (outDir: string) => Promise<unknown>): Promise<void> {
  const fresh = `${outDir}.building-${process.pid}`, old = `${outDir}.old-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  try {
    await build(fresh);
    await rm(old, { recursive: true, force: true });
    if (existsSync(outDir)) await rename(outDir, old);
    await rename(fresh, outDir);
  } finally {
    await rm(fresh, { recursive: true, force: true });
    await rm(old, { recursive: true, force: true });
  }
}

/**
 * Before serve starts: builds the app when root/out has no page or its child entries are missing
 * or older than a source file, telling the user via log. A missing page that cannot be built is
 * an error that says exactly what to run; a stale build that cannot be rebuilt is only reported
 * (the page as last built is served and the children run from source).
 */
export async function ensureAppBuilt(log: (line: string) => void, root = PACKAGE_ROOT, build: (outDir: string) => Promise<unknown> = buildApp): Promise<void> {
  const outDir = path.join(root, 'out');
  const page = path.join(outDir, 'renderer', 'index.html');
  const children = builtChildren(root, outDir);
  if (existsSync(page) && children.ok) return;
  const pageMissing = !existsSync(page);
  log(pageMissing
    ? `The lab is not built yet (${outDir}); building it now (once, 10–30 s)…`
    : `The lab's build is out of date (${children.ok ? '' : children.reason}); rebuilding it (10–30 s)…`);
  try {
    await buildAndSwap(outDir, build);
  } catch (e) {
    const what = `run \`npm run build\` in ${root} and start \`policy-lab serve\` again`;
    if (pageMissing) throw new RendererBuildError(`the lab's page is not built and building it failed (${(e as Error).message}); ${what}`);
    log(`Rebuilding failed (${(e as Error).message}); serving the page as last built, the engine runs from source. To refresh: ${what}.`);
    return;
  }
  if (!existsSync(page)) throw new RendererBuildError(`building the lab left no page at ${page}; run \`npm run build\` in ${root}`);
  log('Built.');
}
