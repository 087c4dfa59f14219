import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

// Output goes to electron-vite's default folders (out/main, out/preload, out/renderer), so
// `electron-vite build --outDir DIR` (a test's private build) moves all three.
// Native and WASM engine packages stay external: they are loaded from node_modules at run time.
const external = ['mujoco-js', '@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm'];

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        external,
        // The trainer and the real-time viewer run in child processes of their own, and A3C's workers in theirs: entries of the main build.
        input: {
          index: resolve('src/main/index.ts'),
          trainer: resolve('src/main/trainer-entry.ts'),
          viewer: resolve('src/main/viewer-entry.ts'),
          'study-trial': resolve('src/main/study-trial-entry.ts'),
          'a3c-worker': resolve('src/core/algos/a3c-worker.ts'),
        },
      },
    },
  },
  preload: {
    // A sandboxed preload cannot be an ES module: emit CommonJS (out/preload/index.cjs).
    build: {
      rollupOptions: { input: { index: resolve('src/preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: 'src/renderer',
    build: { rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
  },
});
