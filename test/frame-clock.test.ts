// The page's frame scheduler (src/renderer/view/frame-clock.ts) on fake timers: every part draws
// in one shared animation frame, frames are asked of the browser only when wanted and due, and
// the software frame cap holds however often states arrive.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameClock } from '../src/renderer/view/frame-clock.js';

let rafCalls = 0;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
  rafCalls = 0;
  vi.stubGlobal('window', globalThis);
  // Animation frames on a 60 Hz vsync grid, as a browser offers them.
  const VSYNC = 1000 / 60;
  vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => {
    rafCalls++;
    const now = performance.now();
    return setTimeout(() => cb(performance.now()), VSYNC - (now % VSYNC) || VSYNC);
  });
  vi.stubGlobal('cancelAnimationFrame', (id: number) => clearTimeout(id));
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** Requests at `hz` for `ms` (as the viewer's states arrive), then lets pending frames run. */
function drive(clock: FrameClock, hz: number, ms: number): void {
  const every = 1000 / hz;
  for (let t = 0; t < ms; t += every) {
    clock.request();
    vi.advanceTimersByTime(every);
  }
  vi.advanceTimersByTime(200);
}

describe('FrameClock', () => {
  it('asks for no animation frame while nothing is requested', () => {
    const clock = new FrameClock(100);
    let frames = 0;
    clock.onFrame(() => { frames++; });
    vi.advanceTimersByTime(2000);
    expect(rafCalls).toBe(0);
    expect(frames).toBe(0);
  });

  it('runs every part in the same frame, once per frame however many requests came', () => {
    const clock = new FrameClock(0);
    const seen: number[][] = [[], []];
    clock.onFrame((t) => { seen[0].push(t); });
    clock.onFrame((t) => { seen[1].push(t); });
    for (let i = 0; i < 5; i++) clock.request();
    vi.advanceTimersByTime(50);
    expect(seen[0].length).toBe(1);
    expect(seen[1]).toEqual(seen[0]); // the same frame
    expect(rafCalls).toBe(1);
  });

  it('software cap: 60 requests/s give 10 frames/s and ask for no more animation frames than it draws', () => {
    const clock = new FrameClock(100);
    let frames = 0;
    clock.onFrame(() => { frames++; });
    drive(clock, 60, 3000);
    expect(frames).toBeGreaterThanOrEqual(29);
    expect(frames).toBeLessThanOrEqual(32);
    expect(rafCalls).toBe(frames);
  });

  it('without a cap it follows the requests up to the animation-frame rate', () => {
    const clock = new FrameClock(0);
    let frames = 0;
    clock.onFrame(() => { frames++; });
    drive(clock, 30, 1000);
    expect(frames).toBeGreaterThanOrEqual(29);
    expect(frames).toBeLessThanOrEqual(31);
  });

  it('a part that returns true (camera still easing) gets more frames until it rests, then none', () => {
    const clock = new FrameClock(100);
    let easing = 5, frames = 0;
    clock.onFrame(() => { frames++; return --easing > 0; });
    clock.request();
    vi.advanceTimersByTime(2000);
    expect(frames).toBe(5);
    const asked = rafCalls;
    vi.advanceTimersByTime(2000);
    expect(rafCalls).toBe(asked);
  });

  it('a part draws only when changed, at most every minMs, and the last change is drawn after a burst', () => {
    const clock = new FrameClock(100);
    let frames = 0, plots = 0, lastPlot = -1, seen = -1, value = 0;
    clock.onFrame(() => { frames++; });
    const plot = clock.part(250, (now) => { plots++; lastPlot = now; seen = value; });
    // Poses and μ/σ change 60 times a second for 3 s: frames at the cap, the plot ~4 times/s.
    for (let t = 0; t < 3000; t += 1000 / 60) {
      value++;
      clock.request();
      plot.changed();
      vi.advanceTimersByTime(1000 / 60);
    }
    const stop = performance.now();
    expect(frames).toBeGreaterThanOrEqual(29);
    expect(plots).toBeGreaterThanOrEqual(11);
    expect(plots).toBeLessThanOrEqual(13);
    // The changes after the last plot are not lost: a frame once 250 ms have passed draws them.
    vi.advanceTimersByTime(400);
    expect(seen).toBe(value);
    expect(lastPlot).toBeGreaterThanOrEqual(stop - 250);
    // Frames for other parts do not redraw an unchanged plot.
    const n = plots;
    for (let i = 0; i < 10; i++) { clock.request(); vi.advanceTimersByTime(120); }
    expect(plots).toBe(n);
  });

  it('dispose cancels a pending frame', () => {
    const clock = new FrameClock(100);
    let frames = 0;
    clock.onFrame(() => { frames++; });
    clock.request();
    vi.advanceTimersByTime(50);
    clock.request(); // held back by the cap
    clock.dispose();
    vi.advanceTimersByTime(1000);
    expect(frames).toBe(1);
  });
});
