// The runs folder as a list: select (reopen curves), resume, overlay on the charts. Imported
// policy bundles are listed too (status 'imported'): selectable for Evaluate, nothing else.
import type { RunInfo } from '../../backend/api.js';

export interface RunsListHandlers {
  open(run: RunInfo): void;
  resume(run: RunInfo): void;
  overlay(run: RunInfo, on: boolean): void;
}

export function renderRunsList(host: HTMLElement, runs: readonly RunInfo[], selected: string | null, overlaid: readonly string[], h: RunsListHandlers): void {
  host.replaceChildren();
  if (runs.length === 0) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = 'No runs yet. Pick a task and press Train.';
    host.appendChild(p);
    return;
  }
  for (const r of runs) {
    const row = document.createElement('div');
    row.className = 'run' + (r.dir === selected ? ' selected' : '');
    row.dataset.runDir = r.dir;
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.title = 'Overlay this run on the charts';
    cb.checked = overlaid.includes(r.dir);
    cb.disabled = r.dir === selected;
    cb.addEventListener('click', (e) => e.stopPropagation());
    cb.addEventListener('change', () => h.overlay(r, cb.checked));
    const mid = document.createElement('div');
    const name = document.createElement('div');
    name.className = 'name';
    name.textContent = r.id;
    name.title = r.dir;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const ret = Number.isFinite(r.lastReturn) ? r.lastReturn.toFixed(1) : '–';
    meta.textContent = `${r.config.algo} · ${r.config.task} · ${fmtSteps(r.steps)} steps · R ${ret} `;
    const st = document.createElement('span');
    st.className = `run-status ${r.status}`;
    st.textContent = r.status;
    meta.appendChild(st);
    mid.append(name, meta);
    const acts = document.createElement('div');
    acts.className = 'acts';
    // An imported bundle has no checkpoint to continue from: it can only be evaluated.
    if (!r.bundle && r.status !== 'finished' && r.status !== 'running') {
      const b = document.createElement('button');
      b.className = 'small';
      b.textContent = 'Resume';
      b.title = 'Continue this run from its last checkpoint';
      b.addEventListener('click', (e) => { e.stopPropagation(); h.resume(r); });
      acts.appendChild(b);
    }
    row.append(cb, mid, acts);
    row.addEventListener('click', () => h.open(r));
    host.appendChild(row);
  }
}

function fmtSteps(n: number): string {
  return n >= 1e6 ? (n / 1e6).toFixed(2) + 'M' : n >= 1e3 ? (n / 1e3).toFixed(0) + 'k' : String(n);
}
