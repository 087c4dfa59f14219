// Property-based fuzzing (fast-check, seeded: a failure prints its seed and path and replays)
// of everything a client can send: the IPC dispatch, the WebSocket server and the wire decoder.
// Invariants: every message gets a well-formed answer (or, past the size limit, a clean close);
// a rejected request changes nothing; the server and the running trainer survive.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError, LAB_METHODS } from '../src/backend/api.js';
import { createDispatcher, toApiError } from '../src/backend/dispatch.js';
import { LabBackend } from '../src/backend/lab-backend.js';
import { decodeMessage, encodeMessage } from '../src/backend/wire.js';
import type { ServeHandle } from '../src/serve/server.js';
import { fakeCatalog, fakeDeps } from './app-fakes.js';
import { connect, exchange, serveWithFakes, type TestServe } from './ws-harness.js';
import { anyWire, deepFrame, ERROR_CODES, goodStart, methodName, payloadFor } from './fuzz-arbitraries.js';

const SEED = 20261201;
const render = { task: 'InvertedPendulum', geoms: [], bodyNames: ['world'], trackBody: 0 };
const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/** A backend with one run training (fake trainer), the state a hostile request must not disturb. */
async function trainingBackend(root: string) {
  const deps = fakeDeps();
  const backend = new LabBackend(root, deps);
  const call = createDispatcher(backend);
  const { runDir } = (await call('start', goodStart)) as { runDir: string };
  deps.spawned[0].emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
  return { deps, backend, call, runDir };
}

async function snapshot(root: string, backend: LabBackend, deps: ReturnType<typeof fakeDeps>): Promise<string> {
  const files = async (d: string): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      out.push(path.join(d, e.name));
      if (e.isDirectory()) out.push(...await files(path.join(d, e.name)));
    }
    return out;
  };
  return JSON.stringify({ status: backend.status, spawned: deps.spawned.length, created: deps.created.length, killed: deps.spawned.map((t) => t.killed), files: await files(root) });
}

const withDeadline = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms))]);

describe('IPC dispatch fuzz', () => {
  it('1,500 hostile requests: each answered or refused with a well-formed error; refusals change nothing', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lab-fuzz-ipc-'));
    const { deps, backend, call } = await trainingBackend(root);
    const protoBefore = protoKeys();
    let refused = 0;
    try {
      await fc.assert(fc.asyncProperty(methodName(), payloadFor(false), async (method, payload) => {
        const before = await snapshot(root, backend, deps);
        let err: unknown = null;
        await withDeadline(call(method, payload), 5000, method).catch((e: unknown) => { err = e; });
        if (err !== null) {
          refused++;
          // What the renderer receives: a known code and a short message (no echo of huge input).
          const shape = toApiError(err);
          expect(err).toBeInstanceOf(LabError);
          expect(ERROR_CODES).toContain(shape.code);
          expect(typeof shape.message).toBe('string');
          expect(shape.message.length).toBeGreaterThan(0);
          expect(shape.message.length).toBeLessThan(2000);
          expect(await snapshot(root, backend, deps)).toBe(before);
        }
        expect(protoKeys()).toBe(protoBefore);
      }), { seed: SEED, numRuns: 1500 });
      expect(refused).toBeGreaterThan(1000);
    } finally {
      backend.dispose();
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('wire decoder fuzz', () => {
  it('random bytes and spoiled encodings decode or throw an Error — nothing else, quickly', () => {
    const spoiled = fc.tuple(anyWire, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat({ max: 64 })).map(([v, flips, cut]) => {
      const b = encodeMessage({ t: 'req', id: 1, method: 'start', payload: v });
      for (const [i, x] of flips) b[i % b.length] = x;
      return b.subarray(0, Math.max(0, b.length - cut));
    });
    const header = fc.tuple(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -8, max: 8 })).map(([json, tail, lie]) => {
      const head = new TextEncoder().encode(json);
      const out = new Uint8Array(4 + head.length + tail.length);
      new DataView(out.buffer).setUint32(0, Math.max(0, head.length + lie), true);
      out.set(head, 4);
      out.set(tail, 4 + head.length);
      return out;
    });
    const typedRefs = fc.tuple(fc.constantFrom('Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'Uint8Array', 'BigInt64Array', 'DataView', '__proto__', 'constructor', 'Array'),
      fc.oneof(fc.integer(), fc.double(), fc.constant('0')), fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 40)), fc.uint8Array({ maxLength: 64 }))
      .map(([ta, o, n, data]) => {
        const head = new TextEncoder().encode(JSON.stringify({ t: 'req', id: 1, method: 'start', payload: { $ta: ta, o, n }, x: { $n: 'NaN' } }));
        const start = (4 + head.length + 7) & ~7;
        const out = new Uint8Array(start + data.length);
        new DataView(out.buffer).setUint32(0, head.length, true);
        out.set(head, 4);
        out.set(data, start);
        return out;
      });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), spoiled, header, typedRefs), (bytes) => {
      const t0 = performance.now();
      try {
        decodeMessage(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
      expect(performance.now() - t0).toBeLessThan(200);
    }), { seed: SEED, numRuns: 3000 });
  });

  it('anything the wire carries round-trips: typed arrays stay typed arrays, NaN and ±Infinity survive', () => {
    fc.assert(fc.property(anyWire, (v) => {
      const back = decodeMessage(encodeMessage({ v })) as { v: unknown };
      const norm = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, y: unknown) => (ArrayBuffer.isView(y) ? { [y.constructor.name]: Array.from(y as Float32Array) } : typeof y === 'number' && !Number.isFinite(y) ? String(y) : Object.is(y, -0) ? 0 : y)));
      expect(norm(back.v)).toEqual(norm(v));
    }), { seed: SEED, numRuns: 1500 });
  });
});

describe('WebSocket server fuzz', () => {
  let t: TestServe;
  let s: ServeHandle;
  let root: string;
  let deps: ReturnType<typeof fakeDeps>;

  beforeAll(async () => {
    const f = await serveWithFakes();
    ({ s, root, deps } = f);
    t = f;
  });
  afterAll(async () => { await t?.close(); });

  const conn = () => connect(s);

  it('1,200 hostile frames on one connection: each answered under its id; the run keeps training', async () => {
    const ws = await conn();
    const started = await exchange(ws, encodeMessage({ t: 'req', id: 0, method: 'start', payload: goodStart }));
    expect(started).toMatchObject({ ok: true });
    const trainer = deps.spawned[0];
    trainer.emit({ type: 'started', runDir: deps.created[0], backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    const frame = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(methodName(['stop', 'pause']), payloadFor(true), fc.oneof(fc.nat(), fc.constant(-5), fc.constant(1.5))).map(([method, payload, id]) => ({ kind: 'req' as const, id, data: encodeMessage({ t: 'req', id, method, payload }) })) },
      { weight: 1, arbitrary: anyWire.map((v) => ({ kind: 'junk' as const, id: -1, data: encodeMessage(v) })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => ({ kind: 'bytes' as const, id: -1, data: b })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 64 }).map((t) => ({ kind: 'text' as const, id: -1, data: t })) },
      { weight: 1, arbitrary: deepFrame.map((b) => ({ kind: 'deep' as const, id: 3, data: b })) },
    );
    let n = 0;
    await fc.assert(fc.asyncProperty(frame, async (f) => {
      n++;
      const r = await exchange(ws, f.data);
      expect(r).not.toBe('closed');
      if (r === 'closed' || r.t !== 'res') return;
      if ((f.kind === 'req' || f.kind === 'deep') && Number.isSafeInteger(f.id)) expect([f.id, -1]).toContain(r.id);
      if (f.kind !== 'req') expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(ERROR_CODES).toContain(r.error.code);
        expect(r.error.message.length).toBeLessThan(2000);
      }
      expect(trainer.killed).toBeNull();
      expect(s.backend.status.state).toBe('running');
    }), { seed: SEED, numRuns: 1200 });
    expect(n).toBeGreaterThanOrEqual(1200);
    // Still the same connection, still serving, still one trainer.
    const cat = await exchange(ws, encodeMessage({ t: 'req', id: 99_999, method: 'getCatalog', payload: null }));
    expect(cat).toMatchObject({ id: 99_999, ok: true });
    expect(deps.spawned).toHaveLength(1);
    ws.close();
  }, 180_000);

  it('every method, every spoiled start: refusals name the field; the run folder count does not change', async () => {
    const ws = await conn();
    const before = (await readdir(root)).length;
    for (const m of LAB_METHODS) {
      // Own __proto__ and constructor keys, as JSON.parse makes them on the server.
      const payload = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 5}') as unknown;
      const r = await exchange(ws, encodeMessage({ t: 'req', id: 7, method: m, payload }));
      if (r === 'closed' || r.t !== 'res') throw new Error('no answer');
      expect(r.id).toBe(7);
      if (!r.ok) expect(r.error.message).toMatch(/./);
      else expect(['getCatalog', 'listRuns', 'builtinStudies', 'listStudies']).toContain(m);
    }
    expect((await readdir(root)).length).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    ws.close();
  });
});
