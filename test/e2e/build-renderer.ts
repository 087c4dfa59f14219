// Builds the renderer (as electron-vite would) for the browser tests, so `npm test` needs no
// separate build step.
import path from 'node:path';
import { build } from 'vite';

export async function buildRenderer(outDir: string): Promise<string> {
  await build({
    root: path.resolve('src/renderer'),
    base: './',
    logLevel: 'warn',
    configFile: false,
    build: { outDir: path.resolve(outDir), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  });
  return path.resolve(outDir);
}
