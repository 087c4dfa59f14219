// The policy at the watched state: per action dimension, the Gaussian N(μ, σ²) drawn over the
// action range with μ marked (categorical policies: probabilities as bars). Redrawn from the
// latest μ/σ, reusing its buffers, in the frames of the 3D view's FrameClock: every frame costs
// the compositor CPU that training needs with software WebGL, so the two views share frames, and
// there the plot redraws at most every minMs (main.ts: 250 ms under software WebGL, where
// drawing it in every frame took 0.05 of a core more, bench:app-parts; every frame otherwise).
import type { FrameClock, FramePart } from '../view/frame-clock.js';

/** Least milliseconds between redraws of the plot under software WebGL. */
export const SOFTWARE_PLOT_MS = 250;

export class PolicyView {
  private readonly ctx: CanvasRenderingContext2D | null;
  private mu = new Float32Array(0);
  private std = new Float32Array(0);
  private dims = 0;
  private readonly part: FramePart;
  private low = -1;
  private high = 1;
  private span = 1;

  constructor(private readonly canvas: HTMLCanvasElement, clock: FrameClock, minMs = 0) {
    this.ctx = canvas.getContext('2d');
    this.part = clock.part(minMs, () => this.draw());
    this.part.changed();
    new ResizeObserver(() => this.part.changed()).observe(canvas);
  }

  /** Action bounds drawn on the x axis (the task's box, default [-1, 1]). */
  setRange(low: number, high: number): void {
    this.low = low;
    this.high = high;
  }

  update(mu: Float32Array, std: Float32Array): void {
    if (this.mu.length !== mu.length) this.mu = new Float32Array(mu.length);
    if (this.std.length !== std.length) this.std = new Float32Array(std.length);
    this.mu.set(mu);
    this.std.set(std);
    this.dims = mu.length;
    // The x range grows to fit μ ± 2.5σ (whole units) and never shrinks during a run, so the
    // axis does not jump from frame to frame.
    for (let d = 0; d < std.length; d++) {
      const need = Math.ceil(Math.abs(mu[d]) + 2.5 * std[d]);
      if (Number.isFinite(need) && need > this.span && need <= 100) this.span = need;
    }
    this.part.changed();
  }

  clear(): void {
    this.dims = 0;
    this.span = 1;
    this.part.changed();
  }

  private draw(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    if (this.dims === 0) {
      ctx.fillStyle = '#6b7585';
      ctx.fillText('μ and σ of the policy appear here while a run is watched.', 10, 20);
      return;
    }
    const categorical = this.std.length === 0;
    const rows = categorical ? 1 : this.dims;
    const rowH = Math.max(18, Math.min(54, (h - 8) / rows));
    const left = 44, right = w - 8;
    const lo = Math.min(this.low, -this.span), hi = Math.max(this.high, this.span);
    const xOf = (a: number): number => left + ((a - lo) / (hi - lo)) * (right - left);
    if (categorical) {
      const bw = (right - left) / this.dims;
      for (let i = 0; i < this.dims; i++) {
        const p = this.mu[i];
        ctx.fillStyle = '#4cc9f0';
        ctx.fillRect(left + i * bw + 2, 8 + (1 - p) * (rowH * 2), bw - 4, p * rowH * 2);
      }
      return;
    }
    for (let d = 0; d < rows; d++) {
      const y0 = 4 + d * rowH, base = y0 + rowH - 4, top = y0 + 4;
      const mu = this.mu[d], sd = Math.max(this.std[d], 1e-4);
      ctx.fillStyle = '#8b95a5';
      ctx.fillText(`a${d}`, 6, base - 2);
      ctx.strokeStyle = '#2a313c';
      ctx.beginPath(); ctx.moveTo(left, base); ctx.lineTo(right, base); ctx.stroke();
      ctx.strokeStyle = '#3a4250';
      ctx.beginPath(); ctx.moveTo(xOf(this.low), top); ctx.lineTo(xOf(this.low), base); ctx.moveTo(xOf(this.high), top); ctx.lineTo(xOf(this.high), base); ctx.stroke();
      // Density scaled so its peak fills the row: the width shows σ, the position μ.
      ctx.beginPath();
      const steps = 80;
      for (let k = 0; k <= steps; k++) {
        const a = lo + ((hi - lo) * k) / steps;
        const z = (a - mu) / sd;
        const y = base - Math.exp(-0.5 * z * z) * (base - top);
        if (k === 0) ctx.moveTo(xOf(a), y); else ctx.lineTo(xOf(a), y);
      }
      ctx.lineTo(xOf(hi), base); ctx.lineTo(xOf(lo), base); ctx.closePath();
      ctx.fillStyle = 'rgba(76, 201, 240, 0.25)';
      ctx.fill();
      ctx.strokeStyle = '#4cc9f0';
      ctx.stroke();
      ctx.strokeStyle = '#f72585';
      ctx.beginPath(); ctx.moveTo(xOf(mu), top); ctx.lineTo(xOf(mu), base); ctx.stroke();
      ctx.fillStyle = '#c8d0dc';
      ctx.fillText(`μ ${mu.toFixed(2)}  σ ${sd.toFixed(2)}`, right - 100, top + 9);
    }
  }
}
