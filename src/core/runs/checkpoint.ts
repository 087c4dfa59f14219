// The checkpoint file: everything an algorithm needs to continue exactly (AlgoState) plus the
// trainer's own counters, in one binary container with a checksum.
//
// Layout: "PLCK" | u32 version | u32 headerBytes | header JSON (utf-8) | payload.
// The header lists each tensor (name, dtype, byte offset, length) and the sha256 of the payload;
// any mismatch is reported as a CheckpointError instead of loading garbage.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AlgoState } from '../algos/types.js';
import { writeFileAtomic } from './atomic.js';

const MAGIC = 0x4b434c50; // "PLCK" little-endian
const VERSION = 1;

type Dtype = 'float32' | 'float64' | 'int32' | 'uint32';
type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array;
const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array } as const;

export interface Checkpoint {
  readonly state: AlgoState;
  /** Trainer bookkeeping: update count, steps, episodes, wall time so far. */
  readonly trainer: { update: number; steps: number; episodes: number; wallTime: number };
}

interface Header {
  tensors: { name: string; dtype: Dtype; offset: number; length: number }[];
  json: Record<string, unknown>;
  trainer: Checkpoint['trainer'];
  sha256: string;
}

export class CheckpointError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`checkpoint ${path} is unusable: ${reason}`);
    this.name = 'CheckpointError';
  }
}

function dtypeOf(a: TypedArray): Dtype {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint32';
}

export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  const entries = Object.entries(ckpt.state.tensors);
  const tensors: Header['tensors'] = [];
  let size = 0;
  for (const [name, arr] of entries) {
    size = Math.ceil(size / 8) * 8; // keep every tensor aligned for its element size
    tensors.push({ name, dtype: dtypeOf(arr), offset: size, length: arr.length });
    size += arr.byteLength;
  }
  const payload = new Uint8Array(size);
  entries.forEach(([, arr], i) => payload.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), tensors[i].offset));
  const sha256 = createHash('sha256').update(payload).digest('hex');
  const header: Header = { tensors, json: ckpt.state.json, trainer: ckpt.trainer, sha256 };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((12 + headerBytes.length) % 8)) % 8;
  const out = new Uint8Array(12 + headerBytes.length + pad + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, headerBytes.length + pad, true);
  out.set(headerBytes, 12);
  out.fill(0x20, 12 + headerBytes.length, 12 + headerBytes.length + pad); // JSON-safe padding
  out.set(payload, 12 + headerBytes.length + pad);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, path = '<memory>'): Checkpoint {
  if (bytes.byteLength < 12) throw new CheckpointError(path, `file is ${bytes.byteLength} bytes, too short to be a checkpoint`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new CheckpointError(path, 'not a Policy Lab checkpoint (bad magic)');
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new CheckpointError(path, `unsupported checkpoint version ${version}`);
  const headerLen = view.getUint32(8, true);
  if (12 + headerLen > bytes.byteLength) throw new CheckpointError(path, 'header runs past the end of the file (truncated?)');
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 12, headerLen).toString('utf8')) as Header;
  } catch {
    throw new CheckpointError(path, 'header is not valid JSON');
  }
  if (!header || !Array.isArray(header.tensors) || typeof header.sha256 !== 'string' || !header.trainer)
    throw new CheckpointError(path, 'header is missing fields');
  const payload = bytes.subarray(12 + headerLen);
  const sha = createHash('sha256').update(payload).digest('hex');
  if (sha !== header.sha256) throw new CheckpointError(path, 'checksum mismatch (the file was changed or truncated)');
  const tensors: Record<string, TypedArray> = {};
  for (const t of header.tensors) {
    const Ctor = CTORS[t.dtype];
    if (!Ctor) throw new CheckpointError(path, `unknown dtype ${t.dtype} for ${t.name}`);
    const end = t.offset + t.length * Ctor.BYTES_PER_ELEMENT;
    if (t.offset < 0 || end > payload.byteLength) throw new CheckpointError(path, `tensor ${t.name} lies outside the payload`);
    // Copy into a fresh aligned buffer so the caller owns it (Buffer#slice would not copy).
    tensors[t.name] = new Ctor(Uint8Array.prototype.slice.call(payload, t.offset, end).buffer);
  }
  return { state: { tensors, json: header.json ?? {} }, trainer: header.trainer };
}

export function writeCheckpoint(path: string, ckpt: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(ckpt));
}

export function readCheckpoint(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CheckpointError(path, `cannot read it (${(e as Error).message})`);
  }
  return decodeCheckpoint(bytes, path);
}
