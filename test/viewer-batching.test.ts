// The viewer's states travel a few to a message (src/core/viewer/state-batch.ts, child.ts) and the
// page shows them as they were made (src/renderer/viewer/state-playout.ts): the batch holds
// copies (the player reuses its buffers), batches go out full while the player plays, and the playout shows the first state at once, the rest
// intervalMs apart, flushes a late batch's leftovers before the next and drops them for a new scene.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ViewerState, ViewerToHost } from '../src/core/viewer/messages.js';
import { BatchedSender, StateBatch } from '../src/core/viewer/state-batch.js';
import { StatePlayout } from '../src/renderer/viewer/state-playout.js';

function state(seq: number, poses: Float32Array, mu = new Float32Array([seq])): ViewerState {
  return {
    type: 'viewer-state', seq, simTime: seq / 60, poses, mu, std: new Float32Array([0.5]), episode: 0, episodeStep: seq,
    episodeReturn: seq, update: 1, steps: 0, push: new Float32Array(0), settings: { paused: false, speed: 1, deterministic: true, swapAtOnce: false },
  };
}

describe('StateBatch', () => {
  it('holds copies of the player\'s reused buffers, up to its capacity, oldest first', () => {
    const b = new StateBatch(3);
    const poses = new Float32Array([1, 2, 3]);
    const mu = new Float32Array([0.1]);
    b.add(state(1, poses, mu));
    poses[0] = 10; mu[0] = 0.2; // the player writes its next state into the same buffers
    b.add(state(2, poses, mu));
    expect(b.full).toBe(false);
    poses[0] = 100;
    b.add(state(3, poses, mu));
    expect(b.full).toBe(true);
    expect(() => b.add(state(4, poses))).toThrow(RangeError);
    const out = b.take();
    expect(out.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(out.map((s) => s.poses[0])).toEqual([1, 10, 100]);
    expect(Array.from(out[0].mu)).toEqual([Math.fround(0.1)]);
    expect(out[0].poses).not.toBe(poses);
    expect(b.length).toBe(0);
    // A model with another size (a new scene) gets buffers of that size.
    b.add(state(5, new Float32Array([7, 8, 9, 10, 11])));
    expect(Array.from(b.take()[0].poses)).toEqual([7, 8, 9, 10, 11]);
    expect(() => new StateBatch(0)).toThrow(RangeError);
  });
});

describe('BatchedSender', () => {
  const model = { type: 'viewer-model', label: 'm', spec: {} as never, render: {} as never, pushable: false } as const;
  const episode = { type: 'viewer-episode', episode: 0, return: 1, length: 2, update: 1, steps: 0, deterministic: true } as const;
  const shape = (out: ViewerToHost[]) => out.map((m) => (m.type === 'viewer-states' ? m.states.map((x) => x.seq) : m.type));

  it('while playing sends only full batches, also when a control makes a state between ticks', () => {
    const out: ViewerToHost[] = [];
    const s = new BatchedSender((m) => out.push(m), 3, 1000 / 60, () => true);
    const p = new Float32Array(2);
    s.fromPlayer(state(1, p)); // a tick
    s.fromPlayer(state(2, p)); // a control's echo between ticks: joins the batch, no short send
    expect(out).toEqual([]);
    s.fromPlayer(state(3, p));
    s.fromPlayer(episode); // an episode point passes the states gathered since
    s.fromPlayer(state(4, p));
    expect(shape(out)).toEqual([[1, 2, 3], 'viewer-episode']);
    expect(out[0].type === 'viewer-states' && out[0].intervalMs).toBeCloseTo(1000 / 60, 9);
    s.fromPlayer(model); // a new scene: the old scene's states go first
    expect(shape(out)).toEqual([[1, 2, 3], 'viewer-episode', [4], 'viewer-model']);
  });

  it('while a push is held, every state goes out at once; released, full batches again', () => {
    const out: ViewerToHost[] = [];
    let holding = false;
    const s = new BatchedSender((m) => out.push(m), 3, 1000 / 60, () => true, () => holding);
    const p = new Float32Array(2);
    s.fromPlayer(state(1, p));
    holding = true; // the user grabs a body: what was gathered goes with the first pushed state
    s.fromPlayer(state(2, p));
    s.fromPlayer(state(3, p));
    holding = false;
    s.fromPlayer(state(4, p));
    s.fromPlayer(state(5, p));
    expect(shape(out)).toEqual([[1, 2], [3]]);
    s.fromPlayer(state(6, p));
    expect(shape(out)).toEqual([[1, 2], [3], [4, 5, 6]]);
  });

  it('stopped, every state goes out at once; flush sends what is gathered', () => {
    const out: ViewerToHost[] = [];
    let running = true;
    const s = new BatchedSender((m) => out.push(m), 3, 16, () => running);
    const p = new Float32Array(2);
    s.fromPlayer(state(1, p));
    s.flush(); // the ticks stopped
    s.flush(); // nothing left: nothing sent
    running = false;
    s.fromPlayer(state(2, p)); // a single step while paused
    expect(shape(out)).toEqual([[1], [2]]);
  });
});

describe('StatePlayout', () => {
  afterEach(() => vi.useRealTimers());

  it('shows a batch\'s first state at once and the rest intervalMs apart', () => {
    vi.useFakeTimers();
    const shown: [number, number][] = [];
    const p = new StatePlayout<number>((s) => shown.push([s, Date.now()]), () => Date.now());
    const t0 = Date.now();
    p.push([1, 2, 3], 20);
    expect(shown).toEqual([[1, t0]]);
    vi.advanceTimersByTime(19);
    expect(shown.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(shown.at(-1)).toEqual([2, t0 + 20]);
    vi.advanceTimersByTime(20);
    expect(shown.at(-1)).toEqual([3, t0 + 40]);
    expect(p.waiting).toBe(0);
    vi.advanceTimersByTime(100);
    expect(shown.length).toBe(3);
  });

  it('aims every timer at the batch\'s schedule: a late one does not delay the states after it', () => {
    vi.useFakeTimers();
    let skew = 0; // the playout's clock runs ahead of the timers by this much once a callback ran late
    const shown: [number, number][] = [];
    const p = new StatePlayout<number>((s) => {
      shown.push([s, Date.now()]);
      if (s === 2) skew = 8; // state 2's timer "fired 8 ms late"
    }, () => Date.now() + skew);
    const t0 = Date.now();
    p.push([1, 2, 3], 20);
    vi.advanceTimersByTime(20);
    expect(shown.at(-1)).toEqual([2, t0 + 20]);
    vi.advanceTimersByTime(11);
    expect(shown.length).toBe(2);
    vi.advanceTimersByTime(1);
    // Due at 40 on the playout's clock, which reads 8 ms ahead: 12 ms after state 2, not 20.
    expect(shown.at(-1)).toEqual([3, t0 + 32]);
  });

  it('a batch arriving early shows the leftovers of the one before at once, then itself', () => {
    vi.useFakeTimers();
    const shown: number[] = [];
    const p = new StatePlayout<number>((s) => shown.push(s), () => Date.now());
    p.push([1, 2, 3], 20);
    vi.advanceTimersByTime(5);
    p.push([4, 5, 6], 20);
    expect(shown).toEqual([1, 2, 3, 4]);
    vi.advanceTimersByTime(40);
    expect(shown).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('clear drops waiting states (a new scene); an empty batch or a bad interval shows nothing late', () => {
    vi.useFakeTimers();
    const shown: number[] = [];
    const p = new StatePlayout<number>((s) => shown.push(s), () => Date.now());
    p.push([1, 2, 3], 20);
    p.clear();
    vi.advanceTimersByTime(100);
    expect(shown).toEqual([1]);
    p.push([], 20);
    expect(shown).toEqual([1]);
    p.push([7, 8], Number.NaN); // treated as 0: the rest on the next timer turn
    expect(shown).toEqual([1, 7]);
    vi.advanceTimersByTime(0);
    expect(shown).toEqual([1, 7, 8]);
  });
});
