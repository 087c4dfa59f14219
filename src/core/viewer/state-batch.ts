// The viewer process's outgoing states, gathered STATES_PER_BATCH at a time while the user only
// watches, one at a time while a push is held (messages.ts says why). StateBatch holds the
// copies: the player reuses its pose and policy buffers for every state, so a gathered state is
// copied into buffers of its slot, allocated once per size; a batch is valid until the next add
// (the process sends it at once, and sending serializes it). BatchedSender is the rule for when
// a batch goes out (child.ts routes the player through it).

import type { ViewerPlayerMessage, ViewerState, ViewerToHost } from './messages.js';

interface Slot { poses: Float32Array; mu: Float32Array; std: Float32Array; push: Float32Array }

function fit(buf: Float32Array, src: Float32Array): Float32Array {
  const b = buf.length === src.length ? buf : new Float32Array(src.length);
  b.set(src);
  return b;
}

export class StateBatch {
  private readonly slots: Slot[];
  private readonly states: ViewerState[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a batch holds at least one state, got ${capacity}`);
    const empty = new Float32Array(0);
    this.slots = Array.from({ length: capacity }, () => ({ poses: empty, mu: empty, std: empty, push: empty }));
  }

  get length(): number {
    return this.states.length;
  }

  get full(): boolean {
    return this.states.length >= this.capacity;
  }

  /** Copies s into the next slot. */
  add(s: ViewerState): void {
    if (this.full) throw new RangeError('the batch is full: take() it first');
    const slot = this.slots[this.states.length];
    slot.poses = fit(slot.poses, s.poses);
    slot.mu = fit(slot.mu, s.mu);
    slot.std = fit(slot.std, s.std);
    slot.push = fit(slot.push, s.push);
    this.states.push({ ...s, poses: slot.poses, mu: slot.mu, std: slot.std, push: slot.push });
  }

  /** The gathered states, oldest first; the batch is empty afterwards. */
  take(): ViewerState[] {
    return this.states.splice(0);
  }
}

/**
 * While a push is held (holding()), every state goes out at once: the user who shoves the robot
 * sees it react a host trip later, not a batch later. Otherwise, while the player plays
 * (running()), its states go out in full batches only — also the states a control or a load
 * makes between ticks: the page shows a batch's states intervalMs apart from its arrival, so a
 * batch sent short would put its states ahead of the rest (a 50 ms gap after it, simulated time
 * running slow across it; bench:app saw both). Stopped (paused, a single
 * step, no policy), what there is goes out at once. A new scene first sends the states of the
 * old one; an episode point may pass the ≤ capacity − 1 states made before it.
 */
export class BatchedSender {
  private readonly batch: StateBatch;

  constructor(
    private readonly send: (m: ViewerToHost) => void,
    capacity: number,
    private readonly intervalMs: number,
    private readonly running: () => boolean,
    private readonly holding: () => boolean = () => false,
  ) {
    this.batch = new StateBatch(capacity);
  }

  /** The player's send. */
  readonly fromPlayer = (m: ViewerPlayerMessage): void => {
    if (m.type === 'viewer-state') {
      this.batch.add(m);
      if (this.batch.full || !this.running() || this.holding()) this.flush();
      return;
    }
    if (m.type === 'viewer-model') this.flush();
    this.send(m);
  };

  /** Sends what is gathered (the ticks stopped). */
  flush(): void {
    if (this.batch.length > 0) this.send({ type: 'viewer-states', intervalMs: this.intervalMs, states: this.batch.take() });
  }
}
