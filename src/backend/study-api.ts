// The studies part of the renderer-facing API: request and event shapes (pure types, importable
// by main, preload, renderer and Node). LabApi (api.ts) includes these methods.
import type { StudyReport } from '../core/studies/report.js';

export type { StudyReport };

/** A study folder as listed. */
export interface StudyInfo {
  readonly dir: string;
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly counts: StudyReport['counts'];
  readonly trials: number;
  readonly steps: number;
  readonly totalSteps: number;
  /** This lab is running it now. */
  readonly running: boolean;
}

/** A built-in study: one click runs it. */
export interface BuiltinStudy {
  readonly name: string;
  readonly description: string;
  readonly study: Readonly<Record<string, unknown>>;
}

/** Exactly one of `study` (a study file's object) or `builtin` (a built-in study's name). */
export interface StartStudyRequest {
  readonly study?: Readonly<Record<string, unknown>>;
  readonly builtin?: string;
  /** Trial processes at once (default: the machine's cores). */
  readonly workers?: number;
}
export interface StudyDirRequest { readonly studyDir: string }
export interface StartStudyResult { readonly studyDir: string; readonly id: string }

export type StudyEvent =
  /** The study's report, recomputed while the view follows it (throttled). */
  | { readonly type: 'study-report'; readonly studyDir: string; readonly report: StudyReport }
  /** The lab started or stopped running the study. */
  | { readonly type: 'study-state'; readonly studyDir: string; readonly running: boolean; readonly message?: string };
