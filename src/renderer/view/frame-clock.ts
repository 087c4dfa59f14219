// One animation-frame scheduler for everything the viewer redraws: the 3D view, the policy view
// and the viewer's labels draw in the same frame, so the compositor makes one frame where each
// used to make its own. A frame is asked of the browser only when one is wanted and due (at most
// one every minFrameMs): under software WebGL every animation frame — even one that draws
// nothing — costs a compositor pass on the CPU cores training needs, and the viewer's ~60
// states/s used to ask for ~60 of them while only 10 were drawn.

/** A part of the page drawn in the shared frame; returns true to ask for another frame (easing). */
export type FrameCallback = (now: number) => boolean | void;

/** A part drawn at most every so often (FrameClock.part): mark it changed with changed(). */
export interface FramePart {
  changed(): void;
}

export class FrameClock {
  private readonly callbacks: FrameCallback[] = [];
  private wanted = false;
  private raf = 0;
  private timer = 0;
  private last = -Infinity;
  private disposed = false;

  /** minFrameMs: least time between frames (0: every animation frame the browser offers). */
  constructor(readonly minFrameMs = 0) {
    this.run = this.run.bind(this);
  }

  /** Adds a part drawn in every frame (in the order added). */
  onFrame(cb: FrameCallback): void {
    this.callbacks.push(cb);
  }

  /**
   * Adds a part drawn only after changed(), and at most every minMs: a frame sooner leaves it
   * changed and asks for a frame once minMs has passed (text and plots read at a few updates a
   * second; redrawing them with every pose costs software raster and compositing for nothing).
   */
  part(minMs: number, draw: (now: number) => void): FramePart {
    let changed = false, last = -Infinity, timer = 0;
    this.onFrame((now) => {
      if (!changed) return;
      if (now - last >= minMs) {
        changed = false;
        last = now;
        draw(now);
      } else if (timer === 0 && !this.disposed) {
        timer = window.setTimeout(() => { timer = 0; this.request(); }, minMs - (now - last));
      }
    });
    return { changed: () => { changed = true; this.request(); } };
  }

  /** Something changed: draw it in the next frame that is due. */
  request(): void {
    this.wanted = true;
    if (this.raf !== 0 || this.timer !== 0 || this.disposed) return;
    // 2 ms slack: a frame due now is not put off to the next animation frame by timer jitter.
    const wait = this.last + this.minFrameMs - 2 - performance.now();
    if (wait > 0) this.timer = window.setTimeout(() => { this.timer = 0; this.ask(); }, wait);
    else this.ask();
  }

  dispose(): void {
    this.disposed = true;
    cancelAnimationFrame(this.raf);
    clearTimeout(this.timer);
  }

  private ask(): void {
    if (!this.disposed) this.raf = requestAnimationFrame(this.run);
  }

  private run(): void {
    this.raf = 0;
    if (!this.wanted) return;
    this.wanted = false;
    const now = performance.now();
    this.last = now;
    let again = false;
    for (const cb of this.callbacks) {
      if (cb(now) === true) again = true;
    }
    if (again) this.request();
  }
}
