// The lab's page (src/renderer) built with Vite, as electron-vite builds it for the app. Serve
// mode builds it on first use when it is missing (straight after `npm install` nothing is
// built), and the browser tests build their own copy with the same function.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
 * Makes sure dir holds a built page: when index.html is missing, builds it (telling the user
 * via log), and when that fails says exactly what to run instead.
 */
export async function ensureRendererBuilt(dir: string, log: (line: string) => void, build: (dir: string) => Promise<unknown> = buildRenderer): Promise<void> {
  if (existsSync(path.join(dir, 'index.html'))) return;
  log(`The lab's page is not built yet (${dir}); building it now (once, ~30 s)…`);
  try {
    await build(dir);
  } catch (e) {
    throw new RendererBuildError(`the lab's page is not built and building it failed (${(e as Error).message}); ` +
      `run \`npx electron-vite build\` in ${PACKAGE_ROOT} and start \`policy-lab serve\` again`);
  }
  if (!existsSync(path.join(dir, 'index.html'))) throw new RendererBuildError(`building the lab's page left no index.html in ${dir}; run \`npx electron-vite build\` in ${PACKAGE_ROOT}`);
  log('Built.');
}
