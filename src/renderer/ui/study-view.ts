// The Study view: define a study with the same schema forms as a run (base settings, one
// setting to vary, seeds), or start a built-in one with a click; watch it live (per-trial status,
// the variants' IQM curves with 95% bands, the final-score table with CIs, probabilities of
// improvement, the gradient-variance chart); open any trial as a normal run. The numbers come
// from the backend (core/studies/report.ts); this module only draws them.
import './study-view.css';
import type { Catalog, LabApi, LabEvent, StudyInfo, StudyReport } from '../../backend/api.js';
import type { Field } from '../../core/config/schema.js';
import { buildSchemaForm, type SchemaForm } from './schema-form.js';
import { curvesChart, varianceChart, VARIANT_COLORS } from './study-charts.js';

export interface StudyViewHooks {
  /** Opens a trial's run directory in the lab's normal view (curves, viewer, evaluate). */
  openRun(runDir: string): void;
  toast(message: string, kind?: 'error' | 'info'): void;
}

/** Numbers for the e2e test (window.__labStudy). */
export interface StudyViewStats { reports: number; shown: string | null; lastCounts: StudyReport['counts'] | null; curvesDrawn: number; varianceBars: number }

const h = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(e, rest);
  if (dataset) for (const [k, v] of Object.entries(dataset)) e.dataset[k] = v;
  e.append(...kids);
  return e;
};
const num = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

/** Parses the "values to try" box for one field: comma-separated, lists as 64x64. */
export function parseVaryValues(f: Field | 'algo' | 'task', raw: string): unknown[] {
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (f === 'algo' || f === 'task') return parts;
  switch (f.kind) {
    case 'number': return parts.map(Number);
    case 'boolean': return parts.map((p) => p === 'true');
    case 'choice': return parts;
    case 'list': return parts.map((p) => p.split(/[x×]/).map(Number));
  }
}

export class StudyView {
  readonly stats: StudyViewStats = { reports: 0, shown: null, lastCounts: null, curvesDrawn: 0, varianceBars: 0 };
  private studies: StudyInfo[] = [];
  /** Studies this lab runs now (from the list, then kept current by study-state events). */
  private readonly running = new Set<string>();
  private lastReport: StudyReport | null = null;
  private shown: string | null = null;
  private hyper: SchemaForm | null = null;
  private readonly listEl = h('div', { className: 'study-list' });
  private readonly reportEl = h('div', { className: 'study-report' });

  constructor(private readonly root: HTMLElement, private readonly api: LabApi, private readonly catalog: Catalog, private readonly hooks: StudyViewHooks) {
    root.replaceChildren(h('div', { className: 'col' }, this.buildForm(), h('section', { className: 'panel' }, h('h2', {}, 'Studies ', this.button('Refresh', () => void this.refresh(), 'small')), this.listEl)), h('div', { className: 'col' }, this.reportEl));
  }

  private button(label: string, onClick: () => void, className = '', id = ''): HTMLButtonElement {
    const b = h('button', { textContent: label, className, ...(id ? { id } : {}) });
    b.addEventListener('click', onClick);
    return b;
  }

  show(on: boolean): void {
    this.root.hidden = !on;
    if (on) void this.refresh();
  }

  private buildForm(): HTMLElement {
    const c = this.catalog;
    const name = h('input', { type: 'text', value: 'my-study', id: 'study-name', spellcheck: false });
    const task = h('select', { id: 'study-task' });
    for (const t of c.tasks) task.add(new Option(t.name, t.name));
    task.value = c.tasks.some((t) => t.name === 'InvertedPendulum') ? 'InvertedPendulum' : c.tasks[0]?.name ?? '';
    const algo = h('select', { id: 'study-algo' });
    for (const a of c.algos) algo.add(new Option(a.title, a.name));
    algo.value = c.algos.some((a) => a.name === 'reinforce') ? 'reinforce' : c.algos[0]?.name ?? '';
    const steps = h('input', { type: 'number', value: '100000', min: '1000', id: 'study-steps' });
    const seeds = h('input', { type: 'text', value: '1,2,3,4,5', id: 'study-seeds', title: 'Comma-separated seeds: one trial per seed and variant' });
    const vary = h('select', { id: 'study-vary', title: 'The setting the variants differ in (a grid over its values)' });
    const values = h('input', { type: 'text', id: 'study-values', title: 'Values to try, comma-separated (lists as 64x64)' });
    const workers = h('input', { type: 'number', value: '', min: '1', placeholder: 'cores', id: 'study-workers', title: 'Trial processes at once (default: all cores)' });
    const evalEps = h('input', { type: 'number', value: '10', min: '1', id: 'study-eval', title: 'Deterministic evaluation episodes of each final policy (its score)' });
    const hyperBox = h('div', { id: 'study-hyper' });
    const probe = h('input', { type: 'checkbox', id: 'study-variance', title: 'Measure the policy-gradient estimate\'s variance for every Φt at 50% and 100% of training (10 batches × 3 episodes each)' });
    const problem = h('p', { className: 'problem', id: 'study-problem' });
    const field = (label: string, input: HTMLElement, title = ''): HTMLElement => h('label', { className: 'field', title }, h('span', { className: 'field-name', textContent: label }), input);
    const rebuild = () => {
      const a = c.algos.find((x) => x.name === algo.value);
      if (!a) return;
      const preset = c.presets[a.name]?.[task.value] ?? {};
      this.hyper = buildSchemaForm(a.schema, preset, () => {});
      hyperBox.replaceChildren(this.hyper.element);
      const keep = vary.value;
      vary.replaceChildren(new Option('algo', 'algo'), new Option('task', 'task'), ...Object.keys(a.schema).map((k) => new Option(k, k)));
      vary.value = keep && [...vary.options].some((o) => o.value === keep) ? keep : ('phi' in a.schema ? 'phi' : 'algo');
      const f = a.schema[vary.value];
      if (!values.value || values.dataset.auto === '1') { values.value = f && f.kind === 'choice' ? f.choices.join(',') : vary.value === 'algo' ? 'ppo,a2c' : ''; values.dataset.auto = '1'; }
    };
    values.addEventListener('input', () => { values.dataset.auto = '0'; });
    vary.addEventListener('change', () => { values.dataset.auto = '1'; values.value = ''; rebuild(); });
    algo.addEventListener('change', rebuild);
    task.addEventListener('change', rebuild);
    rebuild();
    const start = this.button('Start study', async () => {
      problem.textContent = '';
      const a = c.algos.find((x) => x.name === algo.value);
      const hp = this.hyper?.values();
      if (!a || !hp) { problem.textContent = this.hyper?.problem() ?? 'pick an algorithm'; return; }
      const seedList = seeds.value.split(',').map((s) => Number(s.trim())).filter((s) => s !== 0 || seeds.value.includes('0'));
      const field = vary.value === 'algo' || vary.value === 'task' ? vary.value : a.schema[vary.value];
      const vals = field ? parseVaryValues(field, values.value) : [];
      // Only settings that differ from the schema defaults go in the file (the presets apply under them).
      const base: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(hp)) if (k !== vary.value && JSON.stringify(v) !== JSON.stringify(a.schema[k]?.default)) base[k] = v;
      const study: Record<string, unknown> = { name: name.value, task: task.value, algo: algo.value, steps: Number(steps.value), seeds: seedList, evalEpisodes: Number(evalEps.value), ...base };
      if (vals.length) study.grid = { [vary.value]: vals };
      if (probe.checked) study.variance = { at: [0.5, 1], batches: 10, episodesPerBatch: 3 };
      try {
        const r = await this.api.startStudy({ study, ...(workers.value ? { workers: Number(workers.value) } : {}) });
        this.hooks.toast(`study ${name.value} started`, 'info');
        await this.refresh();
        await this.open(r.studyDir);
      } catch (e) {
        problem.textContent = e instanceof Error ? e.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '') : String(e);
      }
    }, 'primary', 'study-start');
    const builtins = h('div', { className: 'builtins', id: 'study-builtins' });
    void this.api.builtinStudies().then((bs) => {
      for (const b of bs) {
        const btn = this.button(b.name, async () => {
          try {
            const r = await this.api.startStudy({ builtin: b.name });
            await this.refresh();
            await this.open(r.studyDir);
          } catch (e) { this.hooks.toast(`Cannot start ${b.name}: ${e instanceof Error ? e.message : String(e)}`); }
        }, 'small');
        btn.title = b.description;
        btn.dataset.builtin = b.name;
        builtins.appendChild(btn);
      }
    }, () => {});
    return h('section', { className: 'panel' },
      h('h2', {}, 'New study'),
      field('name', name), field('task', task), field('algorithm', algo), field('steps', steps, 'Environment steps per trial'), field('seeds', seeds),
      field('vary', vary), field('values', values), field('evalEpisodes', evalEps), field('workers', workers), field('gradient variance', probe),
      h('details', {}, h('summary', {}, 'Base hyperparameters'), hyperBox),
      h('div', { className: 'buttons' }, start), problem,
      h('h2', {}, 'Built-in studies'), builtins);
  }

  async refresh(): Promise<void> {
    try {
      this.studies = await this.api.listStudies();
    } catch (e) {
      this.hooks.toast(`Cannot list studies: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.root.dataset.studies = String(this.studies.length);
    this.running.clear();
    for (const s of this.studies) if (s.running) this.running.add(s.dir);
    this.listEl.replaceChildren(...this.studies.map((s) => {
      const row = h('div', { className: `study-row${s.dir === this.shown ? ' selected' : ''}`, dataset: { dir: s.dir, name: s.name } },
        h('span', { textContent: s.id }),
        h('span', { className: `badge${s.running ? ' running' : ''}`, textContent: s.running ? 'running' : s.counts.finished === s.trials ? 'done' : 'stopped' }),
        h('span', { className: 'counts', textContent: `${s.counts.finished}/${s.trials} finished · ${s.counts.running} running · ${s.counts.failed} failed` }));
      row.addEventListener('click', () => void this.open(s.dir));
      return row;
    }));
    if (!this.studies.length) this.listEl.replaceChildren(h('p', { className: 'hint', textContent: 'No studies yet.' }));
  }

  async open(dir: string): Promise<void> {
    this.shown = dir;
    this.stats.shown = dir;
    try {
      this.render(await this.api.studyReport({ studyDir: dir }));
    } catch (e) {
      this.hooks.toast(`Cannot open the study: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const r of this.listEl.querySelectorAll<HTMLElement>('.study-row')) r.classList.toggle('selected', r.dataset.dir === dir);
  }

  onEvent(e: LabEvent): void {
    if (e.type === 'study-report' && e.studyDir === this.shown) this.render(e.report);
    else if (e.type === 'study-state') {
      if (e.running) this.running.add(e.studyDir);
      else this.running.delete(e.studyDir);
      if (e.studyDir === this.shown && this.lastReport) this.render(this.lastReport);
      if (!e.running && e.message) this.hooks.toast(`study ${e.studyDir.split(/[\\/]/).pop()}: ${e.message}`, 'info');
      if (!this.root.hidden) void this.refresh();
    }
  }

  private render(r: StudyReport): void {
    this.stats.reports++;
    this.stats.lastCounts = r.counts;
    this.lastReport = r;
    const running = this.running.has(r.dir);
    const head = h('div', { className: 'report-head' },
      h('h2', { textContent: `${r.name}: ${r.counts.finished} finished, ${r.counts.running} running, ${r.counts.stopped} stopped, ${r.counts.failed} failed, ${r.counts.pending} pending — ${r.steps.toLocaleString('en-US')} / ${r.totalSteps.toLocaleString('en-US')} steps` }),
      running
        ? this.button('Stop', () => void this.api.stopStudy({ studyDir: r.dir }).then(() => this.refresh(), (e: unknown) => this.hooks.toast(String(e))), 'small danger', 'study-stop')
        : r.counts.finished < r.variants.reduce((s, v) => s + v.trials.length, 0)
          ? this.button('Continue', () => void this.api.resumeStudy({ studyDir: r.dir }).then(() => this.refresh(), (e: unknown) => this.hooks.toast(String(e))), 'small', 'study-continue')
          : '');
    const legend = h('div', { className: 'legend' }, ...r.variants.map((v, i) => h('span', {}, h('i', { className: 'swatch', dataset: { color: VARIANT_COLORS[i % VARIANT_COLORS.length] } }), v.name)));
    for (const i of legend.querySelectorAll<HTMLElement>('i.swatch')) i.style.background = i.dataset.color ?? '';
    const curves = curvesChart(r);
    const variance = varianceChart(r);
    this.stats.curvesDrawn = Number(curves.dataset.variants ?? 0);
    this.stats.varianceBars = variance ? variance.querySelectorAll('rect.bar').length : 0;
    const finalTable = h('table', { id: 'study-final' },
      h('tr', {}, ...['variant', 'scored', 'mean', 'IQM', 'IQM 95% CI', 'mean 95% CI', 'train time'].map((t) => h('th', { textContent: t }))),
      ...r.variants.map((v) => h('tr', { dataset: { variant: v.name } },
        h('td', { textContent: v.name }), h('td', { className: 'num', textContent: `${v.final?.scored ?? 0}/${v.trials.length}` }),
        h('td', { className: 'num', textContent: num(v.final?.mean) }), h('td', { className: 'num', textContent: num(v.final?.iqm) }),
        h('td', { className: 'num', textContent: v.final ? `[${num(v.final.ci95[0])}, ${num(v.final.ci95[1])}]` : '—' }),
        h('td', { className: 'num', textContent: v.final ? `[${num(v.final.meanCi95[0])}, ${num(v.final.meanCi95[1])}]` : '—' }),
        h('td', { className: 'num', textContent: v.meanWallTime !== null ? `${num(v.meanWallTime, 0)} s` : '—', title: 'Mean training wall time of the finished trials' }))));
    const poi = h('table', { id: 'study-poi' },
      h('tr', {}, ...['P(a > b)', 'b', 'value', '95% CI'].map((t) => h('th', { textContent: t }))),
      ...r.comparisons.map((c) => h('tr', {}, h('td', { textContent: c.a }), h('td', { textContent: c.b }), h('td', { className: 'num', textContent: num(c.probabilityOfImprovement, 2) }), h('td', { className: 'num', textContent: `[${num(c.ci95[0], 2)}, ${num(c.ci95[1], 2)}]` }))));
    const trials = h('table', { id: 'study-trials' },
      h('tr', {}, ...['#', 'variant', 'seed', 'status', 'steps', 'score', ''].map((t) => h('th', { textContent: t }))),
      ...r.variants.flatMap((v) => v.trials.map((t) => {
        const open = this.button('open', () => this.hooks.openRun(t.runDir), 'small');
        open.dataset.open = String(t.index);
        open.title = 'Open this trial as a normal run (curves, viewer, evaluate, export)';
        return h('tr', { dataset: { status: t.status, index: String(t.index) }, title: t.message ?? '' },
          h('td', { className: 'num', textContent: String(t.index) }), h('td', { textContent: v.name }), h('td', { className: 'num', textContent: String(t.seed) }),
          h('td', { className: 'status', textContent: t.status }), h('td', { className: 'num', textContent: `${t.steps.toLocaleString('en-US')} / ${t.totalSteps.toLocaleString('en-US')}` }),
          h('td', { className: 'num', textContent: num(t.finalReturn) }), h('td', {}, open));
      })));
    this.reportEl.replaceChildren(h('section', { className: 'panel' }, head, legend,
      h('div', { className: 'charts-row' },
        h('div', {}, h('h2', { textContent: 'Training return (IQM, 95% band)' }), curves),
        h('div', {}, h('h2', { textContent: 'Gradient variance per Φt (log)' }), variance ?? h('p', { className: 'hint', textContent: 'No gradient-variance probes in this study (add "variance" to the study file, or run the built-in phi-estimators).' }))),
      h('h2', { textContent: 'Final score (deterministic evaluation of each final policy)' }), finalTable,
      h('h2', { textContent: 'Probability of improvement' }), poi,
      h('h2', { textContent: 'Trials' }), trials));
  }
}
