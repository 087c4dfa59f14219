// The WebSocket wire format of LabApi: every message is one binary frame holding a JSON header
// followed by the raw bytes of its typed arrays (poses, μ/σ, evaluation recordings), so bulk
// data never goes through JSON. NaN/±Infinity (common in MetricsRow) survive the trip.
// Pure TypeScript: used by the Node server and the browser client alike.

import type { ApiErrorShape, LabEvent, LabMethod } from './api.js';

export type ClientMessage = { readonly t: 'req'; readonly id: number; readonly method: LabMethod; readonly payload: unknown };
export type ServerMessage =
  | { readonly t: 'res'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly t: 'res'; readonly id: number; readonly ok: false; readonly error: ApiErrorShape }
  | { readonly t: 'event'; readonly event: LabEvent };

type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
const CTORS = { Float32Array, Float64Array, Int32Array, Uint32Array, Uint8Array } as const;
type CtorName = keyof typeof CTORS;

const MAX_HEADER = 16 * 1024 * 1024;

function ctorName(v: unknown): CtorName | null {
  if (!ArrayBuffer.isView(v)) return null;
  const n = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof n === 'string' && Object.hasOwn(CTORS, n) ? (n as CtorName) : null;
}

/** Keys the format itself uses: an object of the caller's that has one travels as {$o: entries}. */
const hasMarker = (v: object): boolean => Object.hasOwn(v, '$n') || Object.hasOwn(v, '$ta') || Object.hasOwn(v, '$o');

/** Encodes any JSON-like value whose leaves may be typed arrays or non-finite numbers. */
export function encodeMessage(msg: unknown): Uint8Array {
  const arrays: TypedArray[] = [];
  const offsets: number[] = [];
  let bytes = 0;
  const header = JSON.stringify(msg, function (this: unknown, _k, v: unknown) {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $n: String(v) };
    const name = ctorName(v);
    if (name) {
      const ta = v as TypedArray;
      bytes = align8(bytes);
      offsets.push(bytes);
      arrays.push(ta);
      const ref = { $ta: name, o: bytes, n: ta.length };
      bytes += ta.byteLength;
      return ref;
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && hasMarker(v)) return { $o: Object.entries(v) };
    return v;
  });
  const head = new TextEncoder().encode(header);
  const dataStart = align8(4 + head.length);
  const out = new Uint8Array(dataStart + bytes);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i];
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), dataStart + offsets[i]);
  }
  return out;
}

/** Decodes encodeMessage's output. Typed arrays are views when aligned, copies otherwise. */
export function decodeMessage(data: ArrayBuffer | Uint8Array): unknown {
  const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (u8.length < 4) throw new Error('wire: message too short');
  const headLen = new DataView(u8.buffer, u8.byteOffset, u8.byteLength).getUint32(0, true);
  if (headLen > MAX_HEADER || 4 + headLen > u8.length) throw new Error('wire: bad header length');
  const dataStart = align8(4 + headLen);
  const header = new TextDecoder().decode(u8.subarray(4, 4 + headLen));
  return JSON.parse(header, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const r = v as { $n?: string; $ta?: string; o?: number; n?: number; $o?: unknown };
      if (Array.isArray(r.$o)) {
        if (!r.$o.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) throw new Error('wire: bad escaped object');
        return Object.fromEntries(r.$o as [string, unknown][]);
      }
      if (typeof r.$n === 'string') return Number(r.$n);
      if (typeof r.$ta === 'string') {
        if (!Object.hasOwn(CTORS, r.$ta)) throw new Error(`wire: unknown array type ${r.$ta}`);
        const C = CTORS[r.$ta as CtorName];
        const o = Number(r.o);
        const n = Number(r.n);
        const start = u8.byteOffset + dataStart + o;
        if (!Number.isInteger(o) || !Number.isInteger(n) || o < 0 || n < 0 || dataStart + o + n * C.BYTES_PER_ELEMENT > u8.length)
          throw new Error('wire: array out of bounds');
        if (start % C.BYTES_PER_ELEMENT === 0) return new C(u8.buffer as ArrayBuffer, start, n);
        return new C(u8.slice(dataStart + o, dataStart + o + n * C.BYTES_PER_ELEMENT).buffer);
      }
    }
    return v;
  });
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
