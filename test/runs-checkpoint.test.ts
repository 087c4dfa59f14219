import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint } from '../src/core/runs/checkpoint.js';
import { writeFileAtomic } from '../src/core/runs/atomic.js';

function sample(): Checkpoint {
  return {
    state: {
      tensors: {
        w: Float32Array.from([1.5, -2.25, Math.PI, 1e-30]),
        m: Float64Array.from([Math.E, -0, 1 / 3]),
        idx: Int32Array.from([-7, 0, 2147483647]),
        rng: Uint32Array.from([0xdeadbeef, 1, 2, 3]),
        odd: Float32Array.from([7]), // forces alignment padding after it
        after: Float64Array.from([42]),
      },
      json: { epoch: 3, note: 'ünïcode' },
    },
    trainer: { update: 12, steps: 24576, episodes: 30, wallTime: 12.5 },
  };
}

describe('checkpoint container', () => {
  it('round-trips every dtype bit-exactly, with its JSON and counters', () => {
    const c = sample();
    const back = decodeCheckpoint(encodeCheckpoint(c));
    expect(back.trainer).toEqual(c.trainer);
    expect(back.state.json).toEqual(c.state.json);
    for (const [k, v] of Object.entries(c.state.tensors)) {
      const b = back.state.tensors[k];
      expect(b.constructor).toBe(v.constructor);
      expect(Array.from(b)).toEqual(Array.from(v));
    }
    expect(Object.is((back.state.tensors.m as Float64Array)[1], -0)).toBe(true);
  });

  it('refuses a flipped payload byte, a truncated file, bad magic and a garbled header, naming the file', () => {
    const bytes = encodeCheckpoint(sample());
    const flipped = bytes.slice(); flipped[flipped.length - 3] ^= 0x40;
    expect(() => decodeCheckpoint(flipped, 'x.ckpt')).toThrow(/x\.ckpt.*checksum mismatch/);
    expect(() => decodeCheckpoint(bytes.slice(0, bytes.length - 5), 'x.ckpt')).toThrow(CheckpointError);
    const magic = bytes.slice(); magic[0] = 0;
    expect(() => decodeCheckpoint(magic)).toThrow(/bad magic/);
    const header = bytes.slice(); header[13] = 0x7b; header[14] = 0x7b;
    expect(() => decodeCheckpoint(header)).toThrow(/header/);
    expect(() => decodeCheckpoint(new Uint8Array(3))).toThrow(/too short/);
  });

  it('writes atomically: the file is whole, no temporary files remain, a missing file is a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pl-ckpt-'));
    const p = join(dir, 'latest.ckpt');
    writeCheckpoint(p, sample());
    writeCheckpoint(p, { ...sample(), trainer: { update: 13, steps: 1, episodes: 1, wallTime: 1 } });
    expect(readdirSync(dir)).toEqual(['latest.ckpt']);
    expect(readCheckpoint(p).trainer.update).toBe(13);
    expect(() => readCheckpoint(join(dir, 'nope.ckpt'))).toThrow(/cannot read/);
    writeFileSync(p, 'not a checkpoint at all');
    expect(() => readCheckpoint(p)).toThrow(CheckpointError);
  });

  it('atomic text write replaces content whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pl-atomic-'));
    const p = join(dir, 'a.json');
    writeFileAtomic(p, '{"a":1}');
    writeFileAtomic(p, '{"a":2}');
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ a: 2 });
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});

describe('checkpoint read from a Node Buffer', () => {
  it('decodes tensors from a Buffer view (readFileSync) into arrays of their own', () => {
    const bytes = encodeCheckpoint(sample());
    // A Buffer sharing a larger ArrayBuffer, as Node's pooled reads return.
    const pool = Buffer.alloc(bytes.length + 64);
    pool.set(bytes, 16);
    const view = pool.subarray(16, 16 + bytes.length);
    const back = decodeCheckpoint(view);
    expect(Array.from(back.state.tensors.w)).toEqual(Array.from(sample().state.tensors.w));
    expect(back.state.tensors.w.buffer.byteLength).toBe(4 * 4);
  });
});
