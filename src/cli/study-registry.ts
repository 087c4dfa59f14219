// Extension points of `policy-lab study`: other executors (e.g. Slurm, in its own module) register
// here, so src/cli/study.ts knows no executor but the local pool. A module of its own, so an
// executor's module can import it without an import cycle through study.ts.
import type { StudyExecutor } from '../core/studies/executor.js';

export interface ExecutorFactory {
  /** Flags this executor reads (kebab-case, without --). */
  readonly flags: readonly string[];
  /** Booleans among them. */
  readonly booleans?: readonly string[];
  readonly help: string;
  /** Called on argv before parsing: removes (and keeps) arguments the common parser cannot take, e.g. repeated flags. */
  takeArgs?(argv: string[]): string[];
  create(flags: Map<string, string>): StudyExecutor;
}

/** A scheduler's per-trial view for `study status` (null: this study was never given to it). */
export type StudyStatusSource = (dir: string) => Map<number, { state: string; detail?: string }> | null;

export const STUDY_EXECUTORS = new Map<string, ExecutorFactory>();
export const STUDY_STATUS_SOURCES: StudyStatusSource[] = [];
export const STUDY_SUBCOMMANDS = new Map<string, { help: string; run: (argv: string[]) => Promise<number> }>();

export function registerStudyExecutor(name: string, f: ExecutorFactory): void {
  STUDY_EXECUTORS.set(name, f);
}
export function registerStudyStatusSource(fn: StudyStatusSource): void {
  STUDY_STATUS_SOURCES.push(fn);
}
export function registerStudySubcommand(name: string, help: string, run: (argv: string[]) => Promise<number>): void {
  STUDY_SUBCOMMANDS.set(name, { help, run });
}
