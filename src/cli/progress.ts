// The train command's live progress line.
import type { MetricsRow } from '../core/protocol.js';

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "[#####-----]  45%  450000/1000000 steps  2600 steps/s  return 1234.5  ETA 3m30s" */
/** `recentReturn`: the latest finite mean return (an update may finish no episode). */
export function progressLine(row: MetricsRow, total: number, startStep: number, elapsed: number, recentReturn = row.returnMean, width = 24): string {
  const frac = Math.min(1, row.steps / total);
  const filled = Math.round(frac * width);
  const rate = (row.steps - startStep) / Math.max(elapsed, 1e-9);
  const eta = rate > 0 ? (total - row.steps) / rate : Infinity;
  const ret = Number.isFinite(recentReturn) ? recentReturn.toFixed(1) : '—';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${row.steps}/${total} steps  ${Math.round(rate)} steps/s  return ${ret}  ETA ${formatDuration(eta)}`;
}
