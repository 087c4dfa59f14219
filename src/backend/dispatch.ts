// Request routing shared by Electron IPC and the WebSocket bridge: one validator per method,
// then LabBackend. Anything not named here is rejected.
import { LabError, type LabMethod } from './api.js';
import type { LabBackend } from './lab-backend.js';
import {
  validateEmpty, validateEvaluate, validateExport, validateImport, validateOpenRun, validateResume, validateStart,
  validateViewerControl, validateViewerPlay, validateViewerPush,
} from './validate.js';
import { validateStartStudy, validateStudyDir } from './study-validate.js';

export type Dispatcher = (method: string, payload: unknown) => Promise<unknown>;

export function createDispatcher(backend: LabBackend): Dispatcher {
  const root = backend.runsRoot;
  const table: Record<LabMethod, (p: unknown) => unknown> = {
    start: (p) => backend.startRun(validateStart(p, backend.getCatalog())),
    pause: (p) => (validateEmpty(p, 'pause'), backend.pause()),
    resume: (p) => backend.resume(validateResume(p, root)),
    stop: (p) => (validateEmpty(p, 'stop'), backend.stop()),
    listRuns: (p) => (validateEmpty(p, 'listRuns'), backend.listRuns()),
    openRun: (p) => backend.openRun(validateOpenRun(p, root).runDir),
    evaluate: (p) => backend.evaluate(validateEvaluate(p, root)),
    exportRun: (p) => backend.exportRun(validateExport(p, root)),
    importBundle: (p) => backend.importBundle(validateImport(p)),
    viewerPlay: (p) => {
      const { runDir } = validateViewerPlay(p, root);
      const st = backend.status;
      return backend.viewer.play(runDir, st.runDir === runDir && (st.state === 'starting' || st.state === 'running' || st.state === 'paused'));
    },
    viewerControl: (p) => backend.viewer.control(validateViewerControl(p)),
    viewerPush: (p) => backend.viewer.push(validateViewerPush(p)),
    getCatalog: (p) => (validateEmpty(p, 'getCatalog'), backend.getCatalog()),
    listStudies: (p) => (validateEmpty(p, 'listStudies'), backend.studies.list()),
    builtinStudies: (p) => (validateEmpty(p, 'builtinStudies'), backend.studies.builtins()),
    startStudy: (p) => backend.studies.start(validateStartStudy(p)),
    resumeStudy: (p) => backend.studies.resume(validateStudyDir(p, backend.studies.root, 'resumeStudy').studyDir),
    stopStudy: (p) => backend.studies.stop(validateStudyDir(p, backend.studies.root, 'stopStudy').studyDir),
    studyReport: (p) => backend.studies.report(validateStudyDir(p, backend.studies.root, 'studyReport').studyDir),
  };
  return async (method, payload) => {
    if (!Object.hasOwn(table, method)) throw new LabError('invalid', `unknown request "${String(method).slice(0, 40)}"`);
    return (await table[method as LabMethod](payload)) ?? null;
  };
}

/** A thrown value as the plain shape sent back to the renderer. */
export function toApiError(e: unknown): { code: LabError['code']; message: string } {
  if (e instanceof LabError) return { code: e.code, message: e.message };
  return { code: 'failed', message: e instanceof Error ? e.message : String(e) };
}
