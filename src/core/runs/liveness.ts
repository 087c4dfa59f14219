// Is the process that wrote a run's status.json still alive? A trainer records its pid and its
// start time (Linux: /proc/<pid>/stat field 22, clock ticks since boot); a reader finds the run
// crashed when that pid is gone or now belongs to a process started at another time (pid reuse).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessStamp {
  readonly pid: number;
  /** /proc start time of the process, where /proc exists; null elsewhere (then only the pid is checked). */
  readonly startTicks: number | null;
  /** The machine it runs on: a status written on another host (a cluster node) cannot be checked here. */
  readonly host?: string;
}

function startTicksOf(pid: number | 'self'): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]); // fields[0] is field 3 (state), so field 22 (starttime) is fields[19]
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

export function selfStamp(): ProcessStamp {
  return { pid: process.pid, startTicks: startTicksOf('self'), host: hostname() };
}

/** False only when the stamped process is certainly gone. */
export function isAlive(stamp: ProcessStamp): boolean {
  if (stamp.host !== undefined && stamp.host !== hostname()) return true; // cannot tell from here
  try {
    process.kill(stamp.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a process with that pid exists (someone else's); fall through to the time check.
  }
  if (stamp.startTicks === null) return true;
  const now = startTicksOf(stamp.pid);
  return now === null || now === stamp.startTicks;
}
