// The "evaluation return" chart beside the training curves: one point per finished viewer
// episode (x: env steps of the policy it played, y: its return), so the deterministic
// evaluation the RL Zoo reports comes for free while training runs. Redrawn once per frame.
import uPlot from 'uplot';

export class EvalCurve {
  private xs: number[] = [];
  private ys: number[] = [];
  private readonly plot: uPlot;
  private readonly box: HTMLElement;
  private pending = false;

  constructor(host: HTMLElement) {
    this.box = document.createElement('div');
    this.box.className = 'chart';
    this.box.dataset.key = 'evalReturn';
    const title = document.createElement('div');
    title.className = 'chart-title';
    title.textContent = 'Evaluation return (viewer episodes)';
    this.box.appendChild(title);
    host.prepend(this.box);
    const axis: uPlot.Axis = { stroke: '#8b95a5', grid: { stroke: '#262d38', width: 1 }, ticks: { stroke: '#262d38', width: 1 }, font: '11px system-ui, sans-serif' };
    this.plot = new uPlot({
      width: 300, height: 150, legend: { show: false }, scales: { x: { time: false } },
      series: [{ label: 'steps' }, { label: 'return', stroke: '#06d6a0', width: 1.5, points: { show: true, size: 5 } }],
      axes: [axis, { ...axis, size: 52 }],
    }, [[], []], this.box);
    new ResizeObserver(() => {
      const h = this.box.clientHeight - 8 - (title.offsetHeight || 18);
      if (this.box.clientWidth > 0 && h > 40) this.plot.setSize({ width: this.box.clientWidth - 4, height: h });
    }).observe(this.box);
  }

  get points(): number {
    return this.xs.length;
  }

  clear(): void {
    this.xs = [];
    this.ys = [];
    this.schedule();
  }

  add(steps: number, ret: number): void {
    // uPlot needs ascending x: a point for an older policy (after a swap back) goes in order.
    let i = this.xs.length;
    while (i > 0 && this.xs[i - 1] > steps) i--;
    this.xs.splice(i, 0, steps);
    this.ys.splice(i, 0, ret);
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.plot.setData([this.xs, this.ys]);
    });
  }
}
