// CPU time of this process and of its descendants, by role, read from /proc (Linux): bench:app
// attributes it to the viewer's playing and paused windows, which shows where the viewer's cost
// goes (Chromium's GPU process, its renderer, the host, the viewer process) and how much CPU the
// trainer gets beside them — a far steadier reading than the trainer's per-update rate. The reads
// are asynchronous: bench:app's process is also the lab's host, and reading /proc synchronously
// (5 ms typical, 40 ms at worst here) would hold up the viewer states it relays.
import { readdir, readFile } from 'node:fs/promises';

export const ROLES = ['trainer', 'viewer', 'host', 'chromiumGpu', 'chromiumRenderer', 'chromiumOther', 'other'] as const;
export type Role = (typeof ROLES)[number];
export type CpuSnapshot = Map<number, { role: Role; seconds: number }>;

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const HZ = 100;

function roleOf(pid: number, cmdline: string): Role {
  if (pid === process.pid) return 'host';
  // From source (tsx) or from the app build (out/main), as serve-mode labs fork them.
  if (/trainer\/child\.ts|main\/trainer\.js/.test(cmdline)) return 'trainer';
  if (/viewer\/child\.ts|main\/viewer\.js/.test(cmdline)) return 'viewer';
  if (/chrom/.test(cmdline)) {
    const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
    return type === 'gpu-process' ? 'chromiumGpu' : type === 'renderer' ? 'chromiumRenderer' : 'chromiumOther';
  }
  return 'other';
}

/** utime + stime of this process and every live descendant. */
export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const stat = new Map<number, { ppid: number; seconds: number }>();
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const s = await readFile(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start with the state.
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      stat.set(Number(p), { ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / HZ });
    } catch { /* exited meanwhile */ }
  }
  const out: CpuSnapshot = new Map();
  for (const [pid, st] of stat) {
    let q = pid, mine = false;
    for (let k = 0; k < 30 && q > 1; k++) {
      if (q === process.pid) { mine = true; break; }
      q = stat.get(q)?.ppid ?? 0;
    }
    if (!mine) continue;
    let cmd = '';
    try { cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' '); } catch { continue; }
    out.set(pid, { role: roleOf(pid, cmd), seconds: st.seconds });
  }
  return out;
}

/** CPU seconds per role between two snapshots (a process new in `b` counts from zero). */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): Record<Role, number> {
  const d = Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<Role, number>;
  for (const [pid, v] of b) d[v.role] += v.seconds - (a.get(pid)?.seconds ?? 0);
  return d;
}
