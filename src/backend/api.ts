// The ONE renderer-facing API of the lab. Electron IPC (preload) and the WebSocket bridge of
// serve mode both implement LabApi; the renderer only ever sees this interface.
// Pure types + constants: importable from main, preload, renderer and Node alike.

import type { Schema } from '../core/config/schema.js';
import type { CustomPreset, CustomTaskOptions } from '../core/envs/custom.js';
import type { RenderDescription, TaskSpec } from '../core/envs/types.js';
import type { AlgoName, BackendChoice, BackendName, MetricsRow, RunConfig } from '../core/protocol.js';
import type { ViewerControl, ViewerPush, ViewerToHost } from '../core/viewer/messages.js';
import type { BuiltinStudy, StartStudyRequest, StartStudyResult, StudyDirRequest, StudyEvent, StudyInfo, StudyReport } from './study-api.js';

export type { BuiltinStudy, StartStudyRequest, StartStudyResult, StudyDirRequest, StudyEvent, StudyInfo, StudyReport };

export type { AlgoName, MetricsRow, RunConfig, RenderDescription, TaskSpec };

/** A run as listed (mirrors core/runs/store's RunSummary; path-free id for display). */
export interface RunInfo {
  readonly dir: string;
  readonly id: string;
  readonly config: RunConfig;
  readonly steps: number;
  readonly lastReturn: number;
  readonly status: string;
  /** Present for an imported policy bundle (status 'imported'): replay it with Evaluate; no curves, no resume. */
  readonly bundle?: BundleSummary;
}

/** What a bundle's policy-card.json says about its policy, as shown in the lab. */
export interface BundleSummary {
  readonly task: string;
  readonly algorithm: string;
  /** Env steps of training behind the policy. */
  readonly steps: number;
  /** Mean deterministic return measured at export; null when none was recorded. */
  readonly finalEvalReturn: number | null;
  readonly seed: number;
  readonly exportedAt: string;
}

/**
 * A user's model: exactly ONE of `content` (self-contained MJCF text, never taken for a path),
 * `path` (an absolute path of an XML file on the lab's machine: the backend reads it and every file
 * it references from its folder; the renderer itself never reads files) or `zip` (a zipped model
 * folder, e.g. uploaded in serve mode). The backend stores a copy under <runs>/models/.
 */
export interface CustomModel {
  readonly name: string;
  readonly content?: string;
  readonly path?: string;
  readonly zip?: Uint8Array;
  readonly preset: CustomPreset;
  /** The task's options (walk command, keyframe, …; core/envs/custom.ts CustomTaskOptions). */
  readonly options?: CustomTaskOptions;
}

export interface StartRequest {
  readonly task: string;
  readonly algo: AlgoName;
  readonly seed: number;
  readonly totalSteps: number;
  readonly backend: BackendChoice;
  readonly checkpointEvery: number;
  readonly algoConfig: Readonly<Record<string, unknown>>;
  readonly custom?: CustomModel;
}

export interface ResumeRequest {
  /** Run to continue from its last checkpoint; absent = un-pause the active run. */
  readonly runDir?: string;
}
export interface OpenRunRequest { readonly runDir: string }
export interface EvaluateRequest { readonly runDir: string; readonly episodes: number; readonly deterministic: boolean }
/** As core/trainer/run-export: an ONNX model, a TF.js layers model, or both plus a bundle. */
export type ExportFormat = 'onnx' | 'tfjs' | 'all';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'tfjs', 'all'];
export interface ExportRequest {
  readonly runDir: string;
  readonly format: ExportFormat;
  /** Folder under the runs root; default <runDir>/export. */
  readonly outDir?: string;
}
/** A bundle folder (absolute path on the lab's machine) to verify and copy under <runs>/imports. */
export interface ImportRequest { readonly path: string }
/** The viewer plays this run's latest checkpoint (or the live policy while it trains) or an imported bundle. */
export interface ViewerPlayRequest { readonly runDir: string }
/** Viewer settings (pause, speed 0.1–4, deterministic, swap at once) and one-shot step / reset. */
export type ViewerControlRequest = ViewerControl;
/** Mouse push: {body, grab, target} starts, {body, target} moves, {} releases (MuJoCo world coordinates). */
export type ViewerPushRequest = ViewerPush;
/** The viewer's messages as they reach the renderer. */
export type ViewerEvent = Extract<ViewerToHost, { type: 'viewer-model' | 'viewer-states' | 'viewer-episode' }>;

export interface StartResult { readonly runDir: string; readonly id: string }
export interface OpenRunResult { readonly runDir: string; readonly config: RunConfig; readonly metrics: MetricsRow[] }
export interface EvaluationResult {
  readonly runDir: string;
  readonly returns: Float64Array;
  readonly lengths: Int32Array;
  readonly render: RenderDescription;
  /** frameCount × ngeom × POSE_STRIDE poses of the recorded episodes. */
  readonly frames: Float32Array;
  readonly frameCount: number;
}
export interface ExportResult { readonly dir: string; readonly files: readonly string[] }
/** The imported copy (evaluate it by this runDir) and its card's summary. */
export interface ImportResult { readonly runDir: string; readonly id: string; readonly card: BundleSummary }

export interface AlgoInfo { readonly name: AlgoName; readonly title: string; readonly summary: string; readonly schema: Schema }
export interface Catalog {
  readonly tasks: readonly TaskSpec[];
  readonly algos: readonly AlgoInfo[];
  /** Tuned hyperparameters per algorithm and task (algo → task → values), over the schema defaults. */
  readonly presets: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  /** Reward presets for a custom MJCF model. */
  readonly customPresets: readonly CustomModel['preset'][];
  /** The run-level fields (seed, totalSteps, checkpointEvery, backend). */
  readonly run: Schema;
  readonly backends: readonly BackendChoice[];
  readonly exportFormats: readonly ExportFormat[];
}

export type LabState = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'finished' | 'stopped' | 'crashed' | 'failed';

export type LabEvent =
  | { readonly type: 'status'; readonly state: LabState; readonly runDir: string | null; readonly message?: string }
  | { readonly type: 'started'; readonly runDir: string; readonly backend: BackendName; readonly gradientStep?: string; readonly spec: TaskSpec; readonly render: RenderDescription; readonly startStep: number }
  | { readonly type: 'metrics'; readonly runDir: string; readonly row: MetricsRow }
  | ViewerEvent
  | StudyEvent
  | { readonly type: 'episode'; readonly runDir: string; readonly step: number; readonly return: number; readonly length: number }
  | { readonly type: 'checkpoint'; readonly runDir: string; readonly step: number }
  | { readonly type: 'error'; readonly runDir: string | null; readonly message: string; readonly fatal: boolean }
  | { readonly type: 'trainer-exit'; readonly runDir: string; readonly code: number | null; readonly signal: string | null; readonly crashed: boolean; readonly lastCheckpointStep: number | null; readonly message: string };

export type Unsubscribe = () => void;

export interface LabApi {
  start(req: StartRequest): Promise<StartResult>;
  pause(): Promise<void>;
  resume(req?: ResumeRequest): Promise<void>;
  stop(): Promise<void>;
  listRuns(): Promise<RunInfo[]>;
  openRun(req: OpenRunRequest): Promise<OpenRunResult>;
  evaluate(req: EvaluateRequest): Promise<EvaluationResult>;
  exportRun(req: ExportRequest): Promise<ExportResult>;
  importBundle(req: ImportRequest): Promise<ImportResult>;
  viewerPlay(req: ViewerPlayRequest): Promise<void>;
  viewerControl(req: ViewerControlRequest): Promise<void>;
  viewerPush(req: ViewerPushRequest): Promise<void>;
  getCatalog(): Promise<Catalog>;
  /** Studies (src/backend/study-backend.ts): list, built-ins, start, continue, stop, report (and follow). */
  listStudies(): Promise<StudyInfo[]>;
  builtinStudies(): Promise<BuiltinStudy[]>;
  startStudy(req: StartStudyRequest): Promise<StartStudyResult>;
  resumeStudy(req: StudyDirRequest): Promise<void>;
  stopStudy(req: StudyDirRequest): Promise<void>;
  studyReport(req: StudyDirRequest): Promise<StudyReport>;
  onEvent(cb: (e: LabEvent) => void): Unsubscribe;
}

/** The request methods (everything but onEvent): IPC channel names and WS method names. */
export type LabMethod = Exclude<keyof LabApi, 'onEvent'>;
// A record, so the compiler insists that every LabMethod is listed.
const METHOD_SET: Record<LabMethod, true> = {
  start: true, pause: true, resume: true, stop: true, listRuns: true, openRun: true, evaluate: true, exportRun: true,
  importBundle: true, viewerPlay: true, viewerControl: true, viewerPush: true, getCatalog: true,
  listStudies: true, builtinStudies: true, startStudy: true, resumeStudy: true, stopStudy: true, studyReport: true,
};
export const LAB_METHODS: readonly LabMethod[] = Object.keys(METHOD_SET) as LabMethod[];

/**
 * The request half of a LabApi over some transport (the preload's IPC, the WS bridge): method
 * m(arg) returns call(m, arg). Types come from LabApi; the transport decides what call does.
 */
export function requestMethods(call: (method: LabMethod, payload?: unknown) => Promise<unknown>): Omit<LabApi, 'onEvent'> {
  const api: Partial<Record<LabMethod, (payload?: unknown) => Promise<unknown>>> = {};
  for (const m of LAB_METHODS) api[m] = (payload?: unknown) => call(m, payload);
  return api as Omit<LabApi, 'onEvent'>;
}
export const IPC_PREFIX = 'lab:';
export const IPC_EVENT_CHANNEL = 'lab:event';

/** A request failure as it crosses a process boundary: the code tells the UI how to show it. */
export interface ApiErrorShape { readonly code: 'invalid' | 'busy' | 'not-found' | 'failed'; readonly message: string }
export class LabError extends Error {
  constructor(readonly code: ApiErrorShape['code'], message: string) {
    super(message);
    this.name = 'LabError';
  }
}
