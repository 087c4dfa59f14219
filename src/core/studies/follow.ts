// Follows a study folder live while its trials run — in this machine's pool or on a cluster's
// compute nodes writing to a shared filesystem. Watches plan.json and each trial's status.json,
// metrics.jsonl and final-eval.json (chokidar), and reads only the bytes appended since the last
// read (one offset per file; a last line still being written waits for its newline). A metrics
// file that shrinks or is replaced (resume rewrites it up to the checkpoint) is read again from
// the start after a 'metrics-reset'. The initial state arrives as the same events, so a view
// builds itself with one code path.
//
// Shared filesystems: inotify does not see writes made by other hosts over NFS, Lustre or GPFS,
// so on such mounts the watcher polls with stat() (never rereading whole files); `usePolling`
// overrides the guess.

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { MetricsRow } from '../protocol.js';
import { parseMetricsLine, readStatus, type StatusFile } from '../runs/store.js';
import type { TrialDef } from './study-file.js';
import { readFinalEval, readPlan, studyFiles, type FinalEval } from './study-folder.js';

export type StudyFollowEvent =
  | { readonly type: 'plan'; readonly trials: readonly TrialDef[] }
  | { readonly type: 'status'; readonly index: number; readonly status: StatusFile }
  | { readonly type: 'metrics'; readonly index: number; readonly rows: readonly MetricsRow[] }
  | { readonly type: 'metrics-reset'; readonly index: number }
  | { readonly type: 'score'; readonly index: number; readonly finalEval: FinalEval }
  | { readonly type: 'error'; readonly index?: number; readonly message: string };

export interface FollowOptions {
  /** Poll with stat() instead of inotify; default: true on network filesystems (see above). */
  readonly usePolling?: boolean;
  /** Polling interval in ms (default 1000). */
  readonly intervalMs?: number;
}

export interface StudyFollower {
  /** Resolves once the watcher runs and the initial state has been emitted. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Filesystem types on which inotify misses other hosts' writes. */
const NETWORK_FS = /^(nfs4?|lustre|gpfs|cifs|smb3?|beegfs|ceph|fuse\.[a-z0-9_.-]+|9p|afs|panfs|wekafs|glusterfs)$/;

/** The type of the filesystem holding `path` (longest matching mount point), from /proc/mounts. */
export function filesystemType(path: string, mounts?: string): string | undefined {
  let text = mounts;
  if (text === undefined) {
    try { text = readFileSync('/proc/mounts', 'utf8'); } catch { return undefined; }
  }
  const abs = resolve(path);
  let best: { mount: string; type: string } | undefined;
  for (const line of text.split('\n')) {
    const [, mountRaw, type] = line.split(' ');
    if (!mountRaw || !type) continue;
    const mount = mountRaw.replace(/\\040/g, ' ');
    const inside = mount === '/' || abs === mount || abs.startsWith(mount.endsWith(sep) ? mount : mount + sep);
    if (inside && (!best || mount.length >= best.mount.length)) best = { mount, type };
  }
  return best?.type;
}

export function isNetworkFilesystem(path: string, mounts?: string): boolean {
  const t = filesystemType(path, mounts);
  return t !== undefined && NETWORK_FS.test(t);
}

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Reads a file that only grows, a piece at a time: each read() returns the complete lines added
 * since the last one; a last line without its newline is kept until the newline arrives (bytes,
 * so a character split across two appends is whole when decoded). A file that shrank or was
 * replaced (another inode) is read again from the start, with reset = true.
 */
export class AppendedLines {
  private offset = 0;
  private ino = 0;
  private partial: Buffer = Buffer.alloc(0);
  constructor(readonly path: string) {}

  /** null while the file does not exist. */
  read(): { reset: boolean; lines: string[] } | null {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return null; // not there (yet)
    }
    try {
      const st = fstatSync(fd);
      let reset = false;
      if ((this.ino !== 0 && st.ino !== this.ino) || st.size < this.offset) {
        reset = this.offset > 0 || this.partial.length > 0;
        this.offset = 0;
        this.partial = Buffer.alloc(0);
      }
      this.ino = st.ino;
      const lines: string[] = [];
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(0, st.size - this.offset)));
      while (this.offset < st.size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, st.size - this.offset), this.offset);
        if (n <= 0) break;
        this.offset += n;
        let data = this.partial.length ? Buffer.concat([this.partial, buf.subarray(0, n)]) : buf.subarray(0, n);
        let nl: number;
        while ((nl = data.indexOf(NEWLINE)) >= 0) {
          lines.push(data.subarray(0, nl).toString('utf8'));
          data = data.subarray(nl + 1);
        }
        this.partial = Buffer.from(data); // a copy: `buf` is reused
      }
      return { reset, lines };
    } finally {
      closeSync(fd);
    }
  }
}

type FileKind = 'metrics' | 'status' | 'score';
const FILE_KIND: Record<string, FileKind> = { 'metrics.jsonl': 'metrics', 'status.json': 'status', 'final-eval.json': 'score' };

/** Follows `studyDir`; `onEvent` is called synchronously from the watcher's callbacks. */
export function followStudy(studyDir: string, onEvent: (e: StudyFollowEvent) => void, opts: FollowOptions = {}): StudyFollower {
  const dir = resolve(studyDir);
  const usePolling = opts.usePolling ?? isNetworkFilesystem(dir);
  let trials: readonly TrialDef[] | null = null;
  let planText = '';
  const byDir = new Map<string, number>(); // trial folder (relative, e.g. trials/000-a-s1) → index
  const readers = new Map<number, AppendedLines>();
  const lastStatus = new Map<number, string>();
  const lastScore = new Map<number, string>();
  let closed = false;

  const emit = (e: StudyFollowEvent) => {
    if (closed) return;
    try { onEvent(e); } catch { /* a listener's bug must not stop the following */ }
  };

  const syncMetrics = (index: number, trialDir: string) => {
    let reader = readers.get(index);
    if (!reader) { reader = new AppendedLines(join(trialDir, 'metrics.jsonl')); readers.set(index, reader); }
    let r: ReturnType<AppendedLines['read']>;
    try {
      r = reader.read();
    } catch (e) {
      emit({ type: 'error', index, message: `${join(trialDir, 'metrics.jsonl')}: ${(e as Error).message}` });
      return;
    }
    if (!r) return;
    if (r.reset) emit({ type: 'metrics-reset', index });
    const rows: MetricsRow[] = [];
    for (const line of r.lines) {
      if (!line.trim()) continue;
      const row = parseMetricsLine(line);
      if (row) rows.push(row);
      else emit({ type: 'error', index, message: `${join(trialDir, 'metrics.jsonl')}: a line that is not a metrics row was skipped` });
    }
    if (rows.length) emit({ type: 'metrics', index, rows });
  };

  const syncStatus = (index: number, trialDir: string) => {
    const s = readStatus(trialDir);
    const key = JSON.stringify(s);
    if (lastStatus.get(index) === key) return;
    lastStatus.set(index, key);
    emit({ type: 'status', index, status: s });
  };

  const syncScore = (index: number, trialDir: string) => {
    const f = readFinalEval(trialDir);
    if (!f) return;
    const key = JSON.stringify(f);
    if (lastScore.get(index) === key) return;
    lastScore.set(index, key);
    emit({ type: 'score', index, finalEval: f });
  };

  const syncTrial = (index: number) => {
    const t = trials?.[index];
    if (!t) return;
    const td = studyFiles.trialDir(dir, t);
    syncStatus(index, td);
    syncMetrics(index, td);
    syncScore(index, td);
  };

  const syncPlan = () => {
    let text: string;
    try { text = readFileSync(studyFiles.plan(dir), 'utf8'); } catch { return; } // not written yet
    if (text === planText) return;
    try {
      trials = readPlan(dir).trials;
    } catch (e) {
      emit({ type: 'error', message: (e as Error).message });
      return;
    }
    planText = text;
    byDir.clear();
    for (const t of trials) byDir.set(t.dir, t.index);
    emit({ type: 'plan', trials });
    for (const t of trials) syncTrial(t.index);
  };

  // chokidar drops a path's change events for 50 ms after one it delivers (no trailing event),
  // so every delivered event is followed by one more look 100 ms later: the reads are
  // "from the last offset to now", so looking again costs a stat when nothing changed.
  const trailing = new Map<string, NodeJS.Timeout>();
  const onFsEvent = (path: string) => {
    syncPath(path);
    if (closed || trailing.has(path)) return;
    trailing.set(path, setTimeout(() => { trailing.delete(path); syncPath(path); }, 100));
  };

  const syncPath = (path: string) => {
    if (closed) return;
    const rel = relative(dir, path).split(sep).join('/');
    if (rel === 'plan.json') { syncPlan(); return; }
    const m = /^(trials\/[^/]+)\/([^/]+)$/.exec(rel);
    if (!m) return;
    const index = byDir.get(m[1]);
    const kind = FILE_KIND[m[2]];
    if (index === undefined || !kind || !trials) return;
    const td = studyFiles.trialDir(dir, trials[index]);
    if (kind === 'metrics') syncMetrics(index, td);
    else if (kind === 'status') syncStatus(index, td);
    else syncScore(index, td);
  };

  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    usePolling,
    interval: opts.intervalMs ?? 1000,
    depth: 2, // DIR/trials/<trial>/<file>
    // Checkpoints and temporary files of atomic writes are not followed.
    ignored: (p: string) => {
      const rel = relative(dir, p).split(sep).join('/');
      return /^trials\/[^/]+\/checkpoints(\/|$)/.test(rel) || /(^|\/)\.[^/]*\.tmp$/.test(rel);
    },
  });
  watcher.on('add', onFsEvent);
  watcher.on('change', onFsEvent);
  watcher.on('error', (e: unknown) => emit({ type: 'error', message: `watching ${dir}: ${e instanceof Error ? e.message : String(e)}` }));
  // After the watcher is ready, read the current state: any change from then on fires an event,
  // and every handler reads "from where it was to now", so nothing is missed or read twice.
  const ready = new Promise<void>((res) => watcher.once('ready', () => { syncPlan(); settle(3); res(); }));
  // With polling, a file's poller may take its baseline stat only after 'ready': a change made in
  // between would never differ from it. A few more looks, one interval apart, cover that window
  // (each costs a stat per file when nothing changed).
  let settling: NodeJS.Timeout | undefined;
  const settle = (looks: number) => {
    if (!usePolling || looks === 0 || closed) return;
    settling = setTimeout(() => {
      for (const t of trials ?? []) syncTrial(t.index);
      settle(looks - 1);
    }, opts.intervalMs ?? 1000);
  };

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(settling);
      for (const t of trailing.values()) clearTimeout(t);
      trailing.clear();
      await watcher.close();
    },
  };
}
