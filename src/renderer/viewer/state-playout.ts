// The viewer's states arrive in batches (a few states made intervalMs apart, one message: see
// src/core/viewer/messages.ts); the page shows them as they were made: the first at once, the
// k-th k × intervalMs after the batch arrived (each timer aims at that time, so a late timer does
// not delay the ones after it), so poses still change ~60 times a second with a third of the
// messages. A batch arriving while states of the one before still wait shows those at once
// first: a late message never pushes the newest poses further back.

export class StatePlayout<S> {
  private readonly queue: S[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private intervalMs = 0;
  /** When the next waiting state is due (the now() clock). */
  private due = 0;

  constructor(private readonly present: (s: S) => void, private readonly now: () => number = () => performance.now()) {}

  push(states: readonly S[], intervalMs: number): void {
    this.flush();
    if (states.length === 0) return;
    this.intervalMs = Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs : 0;
    for (let i = 1; i < states.length; i++) this.queue.push(states[i]);
    this.due = this.now() + this.intervalMs;
    this.present(states[0]);
    this.schedule();
  }

  /** Shows every waiting state now, in order. */
  flush(): void {
    this.cancel();
    while (this.queue.length > 0) this.present(this.queue.shift() as S);
  }

  /** Drops every waiting state (a new scene: they belong to the old one). */
  clear(): void {
    this.cancel();
    this.queue.length = 0;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.queue.length > 0 && this.timer === undefined) this.timer = setTimeout(this.next, Math.max(0, this.due - this.now()));
  }

  private readonly next = (): void => {
    this.timer = undefined;
    if (this.queue.length > 0) this.present(this.queue.shift() as S);
    this.due += this.intervalMs;
    this.schedule();
  };
}
