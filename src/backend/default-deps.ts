// LabBackend wired to the real core: trainer processes, the run store, the registries and export.
import { ALGOS } from '../core/algos/index.js';
import { TASKS } from '../core/envs/registry.js';
import type { AlgoName, TrainerToHost } from '../core/protocol.js';
import { PRESETS } from '../core/algos/presets.js';
import { CUSTOM_PRESETS, RUN_SCHEMA } from '../core/runs/run-config.js';
import { listRuns, newRunDir, readRun } from '../core/runs/store.js';
import { TrainerHost, type TrainerSpawnOptions } from '../core/trainer/host.js';
import { ViewerProcess } from '../core/viewer/host.js';
import { EXPORT_FORMATS, type Catalog } from './api.js';
import { importBundleInto, listImportedBundles } from './bundle-import.js';
import { LabBackend, type BackendDeps } from './lab-backend.js';

export function buildCatalog(): Catalog {
  return {
    tasks: TASKS,
    algos: (Object.keys(ALGOS) as AlgoName[]).map((name) => {
      const a = ALGOS[name];
      return { name, title: a.title, summary: a.summary, schema: a.schema };
    }),
    presets: PRESETS as Catalog['presets'],
    customPresets: CUSTOM_PRESETS,
    run: RUN_SCHEMA,
    backends: RUN_SCHEMA.backend.choices,
    exportFormats: EXPORT_FORMATS,
  };
}

/** Episodes rolled out to check an exported model against the run's policy. */
const EXPORT_CHECK_EPISODES = 3;

/** spawn: how to start a trainer; viewer: the viewer process; study: a study's trial processes (Electron passes its built entries). */
export function realDeps(spawn: TrainerSpawnOptions = {}, viewer: TrainerSpawnOptions = {}, study: TrainerSpawnOptions = {}): BackendDeps {
  let catalog: Catalog | null = null;
  // One trainer is kept started and loaded (TF.js, MuJoCo) so Train answers in well under 3 s:
  // a cold trainer spends about 2 s starting before its first update.
  // Exactly one spare at any time: taking it starts the next one (a dead spare is replaced).
  let spare: TrainerHost | null = TrainerHost.spawn(spawn);
  let disposed = false;
  const exporters = new Set<TrainerHost>();
  const take = (): TrainerHost => {
    if (disposed) throw new Error('the lab is shutting down');
    const h = spare?.alive ? spare : TrainerHost.spawn(spawn);
    if (spare && spare !== h) spare.kill('SIGTERM');
    spare = TrainerHost.spawn(spawn);
    return h;
  };
  return {
    spawnTrainer: take,
    spawnViewer: () => ViewerProcess.spawn(viewer),
    studyOptions: { executor: study },
    dispose: () => {
      disposed = true;
      spare?.kill('SIGTERM');
      spare = null;
      for (const h of exporters) h.kill('SIGTERM');
    },
    // Training runs first (newest first), then imported bundles.
    listRuns: async (root) => [...await listRuns(root), ...await listImportedBundles(root)],
    readRun: async (dir) => {
      const r = await readRun(dir);
      return { config: r.config, metrics: r.metrics };
    },
    newRunDir,
    // Export loads the policy and evaluates it: that work runs in a trainer process, not here.
    exportRun: async (runDir, format, outDir) => {
      const host = take();
      exporters.add(host);
      try {
        host.send({ type: 'export', runDir, format, outDir, evalEpisodes: EXPORT_CHECK_EPISODES });
        const m = await host.waitFor((x): x is Extract<TrainerToHost, { type: 'exported' | 'error' }> => x.type === 'exported' || x.type === 'error');
        if (m.type === 'error') throw new Error(m.message);
        return { dir: m.dir, files: m.files };
      } finally {
        exporters.delete(host);
        host.kill();
      }
    },
    importBundle: (bundlePath, destRoot) => importBundleInto(bundlePath, destRoot, (catalog ??= buildCatalog()).tasks),
    catalog: () => (catalog ??= buildCatalog()),
  };
}

export function createLabBackend(runsRoot: string, spawn: TrainerSpawnOptions = {}, viewer: TrainerSpawnOptions = {}, study: TrainerSpawnOptions = {}): LabBackend {
  return new LabBackend(runsRoot, realDeps(spawn, viewer, study));
}
