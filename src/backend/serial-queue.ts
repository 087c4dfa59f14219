// Requests that change what the lab is doing (start, resume, pause, stop) run one after another:
// each sees the state the previous one left. Without this, two starts that both passed the
// "busy?" check before their first await would both launch a trainer.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs fn after every earlier fn has settled; its result or error is the caller's alone. */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}

/**
 * At most `slots` jobs at once; up to `maxWaiting` more wait their turn in order, and any beyond
 * that are refused at once (so a flood of requests cannot queue up unbounded work).
 */
export class JobSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly slots: number, readonly maxWaiting: number) {}

  get active(): number {
    return this.running;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** False when the queue is full (the caller refuses the request). */
  canTake(): boolean {
    return this.running < this.slots || this.waiting.length < this.maxWaiting;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await new Promise<void>((r) => this.waiting.push(r));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next job
      else this.running--;
    }
  }
}
