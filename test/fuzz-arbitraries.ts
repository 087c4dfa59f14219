// Generators of hostile and clumsy requests for the fuzz tests (fast-check): random shapes,
// types, sizes and nesting; own prototype keys (__proto__, constructor…); typed arrays; paths
// that escape, point at devices or hold NUL; and near-valid requests with one field spoiled.
import fc from 'fast-check';
import { LAB_METHODS } from '../src/backend/api.js';

export const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', 'isPrototypeOf', '__defineGetter__'];
const FIELD_NAMES = ['task', 'algo', 'seed', 'totalSteps', 'backend', 'checkpointEvery', 'algoConfig', 'custom', 'runDir', 'outDir', 'format',
  'episodes', 'deterministic', 'path', 'name', 'content', 'preset', 'lr', 'epochs', 'phi', 'enabled', 'fps', 'source', 'mjcfPath'];

/** Paths a hostile client would try. */
export const hostilePath = fc.oneof(
  fc.constantFrom('/etc/passwd', '/dev/zero', '/dev/stdin', '/proc/self/environ', '..', '../..', '../../etc', '.', '', '/', 'run-1', 'run-1/../../x',
    'imports', 'models', 'a\0b', '/tmp', '~', 'C:\\Windows', '\\\\server\\share', 'run-1/export', 'x'.repeat(5000), '%2e%2e/%2e%2e'),
  fc.string({ maxLength: 64 }),
  fc.array(fc.constantFrom('..', '.', 'run-1', 'imports', 'a', '', '\0'), { maxLength: 6 }).map((p) => p.join('/')),
);

/** An object whose own keys include prototype names (made with defineProperty, so __proto__ is an own key, as JSON.parse makes it). */
export const protoKeyObject = fc.array(fc.tuple(fc.constantFrom(...PROTO_KEYS, ...FIELD_NAMES), fc.oneof(fc.anything({ maxDepth: 1 }), hostilePath)), { maxLength: 6 }).map((entries) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
});

/** Anything structured clone (Electron IPC) can carry. */
export const anyClonable = fc.anything({
  withTypedArray: true, withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withDate: true,
  withSparseArray: true, withBoxedValues: true, maxDepth: 4, maxKeys: 8,
});

/** Anything the WebSocket wire format can carry (JSON with typed arrays and non-finite numbers). */
export const anyWire = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, NaN, Infinity, -Infinity, 2 ** 53, -0, 1e308),
    fc.double(), fc.integer(), fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), hostilePath,
    fc.float32Array({ maxLength: 16 }), fc.int32Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 32 }), fc.float64Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...PROTO_KEYS, ...FIELD_NAMES, '$ta', '$n'), fc.string({ maxLength: 12 })), tie('value'), { maxKeys: 6 }),
  ),
})).value;

/** Deep nesting, in arrays or objects. */
export const deepNest = fc.tuple(fc.integer({ min: 50, max: 5000 }), fc.boolean()).map(([depth, asObject]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = asObject ? { algoConfig: v } : [v];
  return v;
});

/** A good start request (for the fake catalog) with zero or more fields spoiled. */
export const goodStart = { task: 'InvertedPendulum', algo: 'ppo', seed: 1, totalSteps: 10_000, backend: 'cpu', checkpointEvery: 1, algoConfig: { lr: 1e-3 } };
export const spoiledStart = fc.array(fc.tuple(fc.constantFrom(...Object.keys(goodStart), 'custom', ...PROTO_KEYS), fc.oneof(anyWire, protoKeyObject)), { maxLength: 3 })
  .map((spoil) => {
    const o: Record<string, unknown> = { ...goodStart, algoConfig: { ...goodStart.algoConfig } };
    for (const [k, v] of spoil) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  });

/** Method names: every real one, and names that are not (prototype names among them). */
export const methodName = (exclude: readonly string[] = []) => fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...LAB_METHODS.filter((m) => !exclude.includes(m))) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS, 'spawn', 'dispose', 'launch', 'startNow', 'onEvent', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** A payload for a given method: mostly hostile, sometimes near-valid. */
export const payloadFor = (wire: boolean) => fc.oneof(
  { weight: 3, arbitrary: wire ? anyWire : anyClonable },
  { weight: 2, arbitrary: protoKeyObject },
  { weight: 2, arbitrary: spoiledStart },
  { weight: 1, arbitrary: fc.record({ runDir: hostilePath }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ runDir: hostilePath, format: fc.constantFrom('onnx', 'tfjs', 'all', 'exe'), outDir: hostilePath }, { requiredKeys: ['runDir'] }) },
  { weight: 1, arbitrary: fc.record({ path: hostilePath }) },
  // The wire's encoder is recursive (JSON.stringify): deep frames are built as raw bytes (deepFrame) instead.
  ...(wire ? [] : [{ weight: 1, arbitrary: deepNest }]),
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** A request frame whose payload nests `depth` arrays or objects deep, written byte by byte. */
export const deepFrame = fc.tuple(fc.integer({ min: 100, max: 200_000 }), fc.boolean()).map(([depth, asObject]) => {
  const open = asObject ? '{"a":' : '[';
  const close = asObject ? '}' : ']';
  const head = new TextEncoder().encode(`{"t":"req","id":3,"method":"start","payload":${open.repeat(depth)}1${close.repeat(depth)}}`);
  const out = new Uint8Array(4 + head.length);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  return out;
});

export const ERROR_CODES = ['invalid', 'busy', 'not-found', 'failed'];
