// Picks the TensorFlow.js backend: native tfjs-node when present, else WebAssembly, else plain JS.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendChoice, BackendName } from '../protocol.js';

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

async function tryTensorflow(): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers and tsc from resolving the optional package.
    const spec = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ spec);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (typeof process !== 'undefined' && process.versions?.node) {
      // In Node the .wasm binaries are read from disk: point the loader at the package's dist/.
      const req = createRequire(import.meta.url);
      const dist = path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      const dir = path.join(dist, 'dist') + path.sep;
      // usePlatformFetch=false: Emscripten then reads the file with fs (Node's fetch rejects paths).
      wasm.setWasmPaths(dir, false);
    }
    if (!(await tf.setBackend('wasm'))) return false;
    await tf.ready();
    // Really run a kernel: registration can succeed while instantiation later fails.
    const y = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).sum());
    const v = (await y.data())[0];
    y.dispose();
    return v === 12;
  } catch {
    return false;
  }
}

/** Activates a backend and returns the one actually active. Explicit choices that fail throw. */
export async function selectBackend(choice: BackendChoice): Promise<BackendName> {
  // We report the active backend ourselves; prod mode silences tfjs's "install tfjs-node" banner
  // (printed once per process, by every trainer and worker) and its debug-only checks.
  tf.enableProdMode();
  let ok: boolean;
  switch (choice) {
    case 'tensorflow':
      ok = await tryTensorflow();
      break;
    case 'wasm':
      ok = await tryWasm();
      break;
    case 'cpu':
      ok = await tf.setBackend('cpu');
      break;
    case 'auto':
      ok = (await tryTensorflow()) || (await tryWasm()) || (await tf.setBackend('cpu'));
      break;
    default:
      throw new BackendError(`unknown backend "${String(choice)}" (expected auto | tensorflow | wasm | cpu)`);
  }
  if (!ok) throw new BackendError(`backend "${choice}" could not be initialised`);
  await tf.ready();
  const active = tf.getBackend();
  if (active !== 'tensorflow' && active !== 'wasm' && active !== 'cpu') throw new BackendError(`unexpected active backend "${active}"`);
  return active;
}
