// The processes below this test process, read from /proc (Linux): tests that count, find or
// time the lab's children (trainers, the viewer) by their command lines.
import { readdirSync, readFileSync } from 'node:fs';

/** /proc/PID/stat's fields after the command name (index 0 = state, 1 = ppid, 11/12 = utime/stime). */
function statFields(pid: number): string[] {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return st.slice(st.lastIndexOf(')') + 2).split(' ');
}

/** Every live descendant of this process: pid and command line (arguments joined by spaces). */
export function descendants(): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>(), cmd = new Map<number, string>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      parent.set(Number(n), Number(statFields(Number(n))[1]));
      cmd.set(Number(n), readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch { /* gone */ }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...cmd].filter(([pid]) => below(pid)).map(([pid, c]) => ({ pid, cmd: c }));
}

/** CPU time (user + system) a process has used so far, ms (USER_HZ 100: 10 ms ticks). */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) * 10;
}
