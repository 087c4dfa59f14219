// The lab page: wires the controls, the 3D view, the curves and the policy view to a LabApi.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import type { BundleSummary, Catalog, EvaluationResult, LabApi, LabEvent, LabState, RunInfo, StartRequest } from '../backend/api.js';
import { POSE_STRIDE } from '../core/envs/types.js';
import { connectLab } from './bridge/index.js';
import { Curves } from './charts/curves.js';
import { EvalCurve } from './charts/eval-curve.js';
import { pickedModel, robotOptionsOf, type PickedModel } from './ui/model-picker.js';
import { PolicyView, SOFTWARE_PLOT_MS } from './ui/policy-view.js';
import { renderRunsList } from './ui/runs-list.js';
import { buildSchemaForm, type SchemaForm } from './ui/schema-form.js';
import { SceneView } from './view/scene.js';
import { StudyView, type StudyViewStats } from './ui/study-view.js';
import { ViewerPanel } from './viewer/viewer-panel.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

/** Numbers for benchmarks and tests (read by the e2e test via window.__labStats). */
const labStats = {
  bridge: 'ipc' as 'ipc' | 'ws',
  state: 'idle' as LabState,
  poseFps: 0,
  renderFps: 0,
  metricsPoints: 0,
  /** ms from pressing Train to the first metrics point on the return chart. */
  timeToFirstPointMs: null as number | null,
  lastError: null as string | null,
  evalFrames: 0,
  /** Completed evaluations (each replaces the playback). */
  evaluations: 0,
};
declare global {
  interface Window { __labStudy?: StudyViewStats; __labStats: typeof labStats; __labViewer: ViewerPanel; __labView: { sample(): { nonBackground: number; checksum: number }; trackedPosition(): [number, number, number] | null; posesSignature(): number; trackedOnScreen(): [number, number] | null; visibleCounts(): { geoms: number; meshes: number; textured: number } } }
}
window.__labStats = labStats;

function toast(message: string, kind: 'error' | 'info' | 'crash' = 'error'): void {
  if (kind !== 'info') labStats.lastError = message;
  const t = document.createElement('div');
  t.className = `toast ${kind}`;
  t.textContent = message;
  const x = document.createElement('button');
  x.textContent = '×';
  x.title = 'Dismiss';
  x.addEventListener('click', () => t.remove());
  t.appendChild(x);
  $('toasts').appendChild(t);
  if (kind === 'info') setTimeout(() => t.remove(), 6000);
  while ($('toasts').childElementCount > 4) $('toasts').firstElementChild?.remove();
}

/** Errors in plain words: the API's message, without transport noise. */
function explain(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
}

async function main(): Promise<void> {
  const api: LabApi = connectLab((why) => toast(why));
  labStats.bridge = window.policyLab ? 'ipc' : 'ws';
  const scene = new SceneView($('scene'));
  window.__labView = { sample: () => scene.sample(), trackedPosition: () => scene.trackedPosition(), posesSignature: () => scene.posesSignature(), trackedOnScreen: () => scene.trackedOnScreen(), visibleCounts: () => scene.visibleCounts() };
  const curves = new Curves($('charts'));
  curves.setPrimary('-', 'no run', []);
  const policy = new PolicyView($<HTMLCanvasElement>('policy'), scene.clock, scene.stats.software ? SOFTWARE_PLOT_MS : 0);
  const viewer = new ViewerPanel(api, scene, policy, new EvalCurve($('charts')), (m) => toast(m));
  window.__labViewer = viewer;

  let catalog: Catalog;
  try {
    catalog = await api.getCatalog();
  } catch (e) {
    toast(`Cannot load the task and algorithm catalog: ${explain(e)}`);
    return;
  }

  // ---- Run setup form -------------------------------------------------------------------
  const taskSel = $<HTMLSelectElement>('task');
  for (const t of catalog.tasks) taskSel.add(new Option(`${t.name}`, t.name));
  taskSel.add(new Option('Your robot (MJCF)…', 'custom'));
  const pendulum = catalog.tasks.find((t) => t.name === 'InvertedPendulum');
  if (pendulum) taskSel.value = pendulum.name;
  const algoSel = $<HTMLSelectElement>('algo');
  for (const a of catalog.algos) algoSel.add(new Option(a.title, a.name));
  if (catalog.algos.some((a) => a.name === 'ppo')) algoSel.value = 'ppo';
  const presetSel = $<HTMLSelectElement>('custom-preset');
  for (const p of catalog.customPresets) presetSel.add(new Option(p, p));
  const fmtSel = $<HTMLSelectElement>('export-format');
  for (const f of catalog.exportFormats) fmtSel.add(new Option(f, f));

  let customModel: PickedModel | null = null;
  $<HTMLInputElement>('mjcf-file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    customModel = null;
    if (!f) return refreshProblem();
    const picked = await pickedModel(f);
    if ('problem' in picked) { toast(picked.problem); return refreshProblem(); }
    customModel = picked;
    refreshProblem();
  });
  $<HTMLInputElement>('show-collision').addEventListener('change', (ev) => scene.setShowCollision((ev.target as HTMLInputElement).checked));

  const runForm = buildSchemaForm(catalog.run, {}, () => refreshProblem());
  $('run-fields').replaceChildren(runForm.element);
  let hyperForm: SchemaForm | null = null;

  const rebuildHyper = (): void => {
    const algo = catalog.algos.find((a) => a.name === algoSel.value);
    if (!algo) return;
    $('algo-summary').textContent = algo.summary;
    const preset = catalog.presets[algo.name]?.[taskSel.value] ?? {};
    const phi = algo.schema.phi;
    const phiSel = $<HTMLSelectElement>('phi');
    $('phi-row').hidden = !(phi && phi.kind === 'choice');
    if (phi && phi.kind === 'choice') {
      phiSel.replaceChildren(...phi.choices.map((c) => new Option(c, c)));
      phiSel.value = String(preset.phi ?? phi.default);
      $('phi-row').title = phi.doc;
    }
    hyperForm = buildSchemaForm(algo.schema, preset, () => refreshProblem(), ['phi']);
    $('hyper').replaceChildren(hyperForm.element);
    $('custom-row').hidden = taskSel.value !== 'custom';
    refreshProblem();
  };
  algoSel.addEventListener('change', rebuildHyper);
  taskSel.addEventListener('change', rebuildHyper);

  const formProblem = (): string | null => {
    if (taskSel.value === 'custom' && !customModel) return 'Open your robot\'s MJCF file (scene.xml) or a zip of its folder.';
    return runForm.problem() ?? hyperForm?.problem() ?? null;
  };
  function refreshProblem(): void {
    $('form-problem').textContent = formProblem() ?? '';
    updateButtons();
  }

  // ---- State -------------------------------------------------------------------------------
  let state: LabState = 'idle';
  let activeRun: string | null = null; // run the trainer works on
  let selectedRun: string | null = null; // run shown in curves / used by Evaluate and Export
  let selectedBundle: BundleSummary | null = null; // set when selectedRun is an imported bundle
  let runs: RunInfo[] = [];
  let trainPressedAt = 0;
  let playing: EvaluationResult | null = null;
  let pendingViewerModel: Extract<LabEvent, { type: 'viewer-model' }> | null = null;
  /** Ends an evaluation replay: the scene shows the viewer again. */
  const backToViewer = (): void => {
    playing = null;
    setPlaying(false);
    if (pendingViewerModel) viewer.onModel(pendingViewerModel);
    else if (viewer.currentModel) scene.setModel(viewer.currentModel);
    pendingViewerModel = null;
  };
  let lastRunsRefresh = 0;

  const setState = (s: LabState, runDir: string | null): void => {
    state = s;
    labStats.state = s;
    const pill = $('status');
    pill.dataset.state = s;
    pill.textContent = s;
    if (runDir) activeRun = runDir;
    updateButtons();
  };

  function updateButtons(): void {
    const busy = state === 'starting' || state === 'running' || state === 'paused' || state === 'stopping';
    $<HTMLButtonElement>('train').disabled = busy || formProblem() !== null;
    $<HTMLButtonElement>('pause').disabled = state !== 'running';
    $<HTMLButtonElement>('resume').disabled = !(state === 'paused' || (!busy && (selectedRun ?? activeRun) !== null && state !== 'finished' && !selectedBundle));
    $<HTMLButtonElement>('stop').disabled = !(state === 'running' || state === 'paused' || state === 'starting');
    $<HTMLButtonElement>('evaluate').disabled = selectedRun === null;
    $<HTMLButtonElement>('export').disabled = selectedRun === null || selectedBundle !== null;
  }

  const label = (dir: string): string => dir.split(/[\\/]/).pop() ?? dir;
  const showRunLabel = (): void => {
    $('run-label').textContent = selectedRun ? label(selectedRun) : '';
  };

  async function refreshRuns(): Promise<void> {
    try {
      runs = await api.listRuns();
    } catch (e) {
      toast(`Cannot list runs: ${explain(e)}`);
      return;
    }
    renderRunsList($('runs'), runs, selectedRun, curves.overlays(), {
      open: (r) => (r.bundle ? selectBundle(r.dir, r.bundle) : void openRun(r.dir)),
      resume: (r) => void resumeRun(r.dir),
      overlay: (r, on) => void overlayRun(r, on),
    });
  }

  async function openRun(dir: string): Promise<void> {
    try {
      const r = await api.openRun({ runDir: dir });
      selectedRun = dir;
      selectedBundle = null;
      curves.setPrimary(dir, label(dir), r.metrics);
      labStats.metricsPoints = r.metrics.length;
      showRunLabel();
      updateButtons();
      void refreshRuns();
    } catch (e) {
      toast(`Cannot open the run: ${explain(e)}`);
    }
  }

  const bundleWords = (b: BundleSummary): string =>
    `${b.task} · ${b.algorithm} · ${b.steps.toLocaleString('en-US')} steps · seed ${b.seed} · ` +
    `return at export ${b.finalEvalReturn === null ? 'not recorded' : b.finalEvalReturn.toFixed(1)}`;

  /** An imported bundle becomes the selection: Evaluate replays it on its task; it has no curves. */
  function selectBundle(dir: string, b: BundleSummary): void {
    selectedRun = dir;
    selectedBundle = b;
    curves.setPrimary(dir, label(dir), []);
    labStats.metricsPoints = 0;
    $('import-result').textContent = `${label(dir)}: ${bundleWords(b)}`;
    showRunLabel();
    updateButtons();
    void refreshRuns();
  }

  async function overlayRun(r: RunInfo, on: boolean): Promise<void> {
    try {
      curves.setOverlay(r.dir, label(r.dir), on ? (await api.openRun({ runDir: r.dir })).metrics : null);
    } catch (e) {
      toast(`Cannot overlay the run: ${explain(e)}`);
    }
  }

  async function resumeRun(dir: string): Promise<void> {
    try {
      if (selectedRun !== dir) await openRun(dir);
      await api.resume({ runDir: dir });
    } catch (e) {
      toast(`Cannot resume: ${explain(e)}`);
    }
  }

  // ---- Buttons -----------------------------------------------------------------------------
  $('train').addEventListener('click', async () => {
    const run = runForm.values();
    const hyper = hyperForm?.values();
    if (!run || !hyper) return refreshProblem();
    const algo = algoSel.value;
    if (!$('phi-row').hidden) hyper.phi = $<HTMLSelectElement>('phi').value;
    const req: StartRequest = {
      task: taskSel.value, algo: algo as StartRequest['algo'], seed: run.seed as number, totalSteps: run.totalSteps as number,
      checkpointEvery: run.checkpointEvery as number, backend: run.backend as StartRequest['backend'], algoConfig: hyper,
      ...(taskSel.value === 'custom' && customModel ? { custom: { ...customModel, preset: presetSel.value as 'forward', ...robotOptionsOf($<HTMLInputElement>('robot-command'), $<HTMLInputElement>('robot-keyframe')) } } : {}),
    };
    trainPressedAt = performance.now();
    labStats.timeToFirstPointMs = null;
    try {
      const r = await api.start(req);
      selectedRun = r.runDir;
      selectedBundle = null;
      activeRun = r.runDir;
      curves.setPrimary(r.runDir, r.id, []);
      labStats.metricsPoints = 0;
      showRunLabel();
      void refreshRuns();
    } catch (e) {
      toast(`Cannot start training: ${explain(e)}`);
    }
  });
  $('pause').addEventListener('click', () => api.pause().catch((e: unknown) => toast(explain(e))));
  $('resume').addEventListener('click', () => {
    if (state === 'paused') api.resume().catch((e: unknown) => toast(explain(e)));
    else if (selectedRun ?? activeRun) void resumeRun((selectedRun ?? activeRun) as string);
  });
  $('stop').addEventListener('click', () => api.stop().catch((e: unknown) => toast(explain(e))));
  $('refresh-runs').addEventListener('click', () => void refreshRuns());

  // The viewer plays the selected run (live policy or latest checkpoint) or bundle; it takes the
  // scene back from an evaluation replay.
  $('viewer-play').addEventListener('click', async () => {
    if (!selectedRun) { toast('Select a run or an imported bundle first.'); return; }
    try {
      await api.viewerPlay({ runDir: selectedRun });
      backToViewer();
    } catch (e) {
      toast(`Cannot play it: ${explain(e)}`);
    }
  });

  // ---- Evaluation playback -----------------------------------------------------------------
  const scrub = $<HTMLInputElement>('scrub');
  const playBtn = $<HTMLButtonElement>('play');
  let playIndex = 0;
  let playOn = false;
  let lastTick = 0;
  const PLAYBACK_BASE_FPS = 30;
  const showFrame = (i: number): void => {
    if (!playing) return;
    playIndex = Math.max(0, Math.min(playing.frameCount - 1, Math.floor(i)));
    scene.setPoses(playing.frames, playIndex * playing.render.geoms.length * POSE_STRIDE);
    scrub.value = String(playIndex);
    $('frame-label').textContent = `${playIndex + 1} / ${playing.frameCount}`;
  };
  const tick = (t: number): void => {
    if (!playOn || !playing) return;
    const dt = lastTick ? (t - lastTick) / 1000 : 0;
    lastTick = t;
    const next = playIndex + dt * PLAYBACK_BASE_FPS * Number($<HTMLSelectElement>('speed').value);
    if (next >= playing.frameCount - 1) {
      showFrame(playing.frameCount - 1);
      playOn = false;
      playBtn.textContent = '▶';
      return;
    }
    // Keep the fractional index so slow speeds advance smoothly.
    const frac = next;
    showFrame(frac);
    playIndex = frac;
    requestAnimationFrame(tick);
  };
  const setPlaying = (on: boolean): void => {
    playOn = on && playing !== null;
    playBtn.textContent = playOn ? '❚❚' : '▶';
    if (playOn) {
      if (playing && playIndex >= playing.frameCount - 1) playIndex = 0;
      lastTick = 0;
      requestAnimationFrame(tick);
    }
  };
  playBtn.addEventListener('click', () => setPlaying(!playOn));
  scrub.addEventListener('input', () => { setPlaying(false); showFrame(Number(scrub.value)); });

  $('evaluate').addEventListener('click', async () => {
    if (!selectedRun) return;
    const episodes = Number($<HTMLInputElement>('eval-episodes').value);
    const btn = $<HTMLButtonElement>('evaluate');
    btn.disabled = true;
    $('eval-result').textContent = 'evaluating…';
    try {
      const r = await api.evaluate({ runDir: selectedRun, episodes, deterministic: $<HTMLSelectElement>('eval-mode').value === 'det' });
      const rets = Array.from(r.returns);
      const mean = rets.reduce((a, b) => a + b, 0) / Math.max(1, rets.length);
      $('eval-result').textContent = `return ${mean.toFixed(1)} (episodes: ${rets.map((x) => x.toFixed(1)).join(', ')})`;
      playing = r;
      labStats.evalFrames = r.frameCount;
      labStats.evaluations++;
      scene.setModel(r.render);
      $('scene-empty').hidden = true;
      scrub.max = String(Math.max(0, r.frameCount - 1));
      scrub.disabled = playBtn.disabled = r.frameCount === 0;
      showFrame(0);
      setPlaying(r.frameCount > 0);
    } catch (e) {
      $('eval-result').textContent = '';
      toast(`Evaluation failed: ${explain(e)}`);
    } finally {
      updateButtons();
    }
  });

  $('export').addEventListener('click', async () => {
    if (!selectedRun) return;
    $('export-result').textContent = 'exporting…';
    try {
      const r = await api.exportRun({ runDir: selectedRun, format: fmtSel.value as 'onnx' });
      $('export-result').textContent = `${r.dir}: ${r.files.join(', ')}`;
      toast(`Exported to ${r.dir}`, 'info');
    } catch (e) {
      $('export-result').textContent = '';
      toast(`Export failed: ${explain(e)}`);
    }
  });

  const importBtn = $<HTMLButtonElement>('import');
  const importPath = $<HTMLInputElement>('import-path');
  const importBundle = async (): Promise<void> => {
    const p = importPath.value.trim();
    if (!p) { toast('Type the full path of an exported bundle folder (the one holding policy-card.json).'); return; }
    importBtn.disabled = true;
    $('import-result').textContent = 'verifying…';
    try {
      const r = await api.importBundle({ path: p });
      selectBundle(r.runDir, r.card);
      toast(`Imported ${r.id}: press Evaluate to replay it on ${r.card.task}`, 'info');
    } catch (e) {
      $('import-result').textContent = '';
      toast(`Import failed: ${explain(e)}`);
    } finally {
      importBtn.disabled = false;
    }
  };
  importBtn.addEventListener('click', () => void importBundle());
  importPath.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') void importBundle(); });

  // ---- Studies (src/renderer/ui/study-view.ts): an overlay; a trial opens as a normal run ----
  const studyView = new StudyView($('study-view'), api, catalog, { openRun: (d) => { studyView.show(false); void openRun(d); }, toast });
  window.__labStudy = studyView.stats;
  $('studies-toggle').addEventListener('click', () => studyView.show($('study-view').hidden));

  // ---- Events from the backend -------------------------------------------------------------
  api.onEvent((e: LabEvent) => {
    switch (e.type) {
      case 'study-report': case 'study-state':
        studyView.onEvent(e);
        break;
      case 'status':
        setState(e.state, e.runDir);
        if (e.state !== 'running' && e.state !== 'paused' && e.state !== 'starting') void refreshRuns();
        break;
      case 'started':
        // A crash report is answered once the run is back.
        for (const t of Array.from(document.querySelectorAll('.toast.crash'))) t.remove();
        // The viewer follows the new run (its viewer-model arrives on its own).
        $('scene-empty').hidden = true;
        backToViewer();
        if (selectedRun !== e.runDir) {
          selectedRun = e.runDir;
          selectedBundle = null;
          showRunLabel();
        }
        $('view-label').textContent = `${e.spec.name} · ${e.backend}${e.gradientStep ? ` · ${e.gradientStep}` : ''}`;
        if (e.startStep > 0) toast(`Resumed ${label(e.runDir)} at step ${e.startStep}`, 'info');
        break;
      case 'metrics':
        if (e.runDir !== selectedRun) break;
        curves.append(e.runDir, e.row);
        labStats.metricsPoints = curves.primaryPoints;
        if (labStats.timeToFirstPointMs === null && trainPressedAt > 0) labStats.timeToFirstPointMs = performance.now() - trainPressedAt;
        break;
      case 'viewer-model':
        // An evaluation replay keeps the scene until Play selected (or a new run) hands it back.
        if (playing === null) { viewer.onModel(e); $('scene-empty').hidden = true; }
        else pendingViewerModel = e;
        break;
      case 'viewer-states':
        viewer.onStates(e, () => playing === null);
        break;
      case 'viewer-episode':
        viewer.onEpisode(e);
        break;
      case 'error':
        toast(`Trainer: ${e.message}`);
        break;
      case 'trainer-exit':
        if (e.crashed) toast(e.message, 'crash');
        void refreshRuns();
        break;
      case 'checkpoint':
        // Keep the runs list's steps and status current without listing on every update.
        if (Date.now() - lastRunsRefresh > 5000) { lastRunsRefresh = Date.now(); void refreshRuns(); }
        break;
      case 'episode':
        break;
    }
  });

  setInterval(() => {
    labStats.poseFps = scene.stats.poseFps;
    labStats.renderFps = scene.stats.renderFps;
    $('stats').textContent = `view ${scene.stats.poseFps.toFixed(0)} fps · ${labStats.metricsPoints} pts` +
      (labStats.timeToFirstPointMs !== null ? ` · first point ${(labStats.timeToFirstPointMs / 1000).toFixed(1)} s` : '');
  }, 500);

  rebuildHyper();
  await refreshRuns();
  updateButtons();
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => toast(`The lab failed to start: ${explain(e)}`));
