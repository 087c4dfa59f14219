// Validation of the studies requests (the renderer is untrusted): shapes, sizes, and study
// folders confined to <runs root>/studies. The study file itself is checked by
// core/studies/study-file.ts (through the run schemas) when the study starts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isStudyDir } from '../core/studies/study-folder.js';
import { LabError } from './api.js';
import type { StartStudyRequest, StudyDirRequest } from './study-api.js';

const invalid = (msg: string): LabError => new LabError('invalid', msg);
const MAX_STUDY_JSON = 64 * 1024;

function plainObject(v: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null))
    throw invalid(`${where}: expected an object`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw invalid(`${where}: unknown field "${k}" (allowed: ${allowed.join(', ')})`);
  return v as Record<string, unknown>;
}

export function validateStartStudy(p: unknown): StartStudyRequest {
  const o = plainObject(p, 'startStudy', ['study', 'builtin', 'workers']);
  if ((o.study === undefined) === (o.builtin === undefined)) throw invalid('startStudy: give exactly one of "study" (a study file\'s object) or "builtin" (a built-in study\'s name)');
  if (o.builtin !== undefined && (typeof o.builtin !== 'string' || o.builtin.length === 0 || o.builtin.length > 80)) throw invalid('startStudy.builtin: expected a built-in study\'s name');
  let study: Record<string, unknown> | undefined;
  if (o.study !== undefined) {
    study = plainObject(o.study, 'startStudy.study', Object.keys(o.study as object));
    let size: number;
    try { size = JSON.stringify(study).length; } catch { throw invalid('startStudy.study: not plain JSON'); }
    if (size > MAX_STUDY_JSON) throw invalid(`startStudy.study: larger than ${MAX_STUDY_JSON} bytes`);
  }
  const w = o.workers;
  if (w !== undefined && (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 256)) throw invalid('startStudy.workers: expected an integer 1 … 256');
  return { study, builtin: o.builtin as string | undefined, workers: w as number | undefined };
}

/** A study folder inside `studiesRoot` (resolved; no escaping with .. or symlinks spelled in the path). */
export function validateStudyDir(p: unknown, studiesRoot: string, where: string): StudyDirRequest {
  const o = plainObject(p, where, ['studyDir']);
  if (typeof o.studyDir !== 'string' || o.studyDir.length === 0 || o.studyDir.length > 4096) throw invalid(`${where}.studyDir: expected a study folder's path`);
  const abs = path.resolve(studiesRoot, o.studyDir);
  const rel = path.relative(path.resolve(studiesRoot), abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw invalid(`${where}.studyDir: must be a study folder under the lab's studies folder`);
  if (!existsSync(abs) || !isStudyDir(abs)) throw new LabError('not-found', `${where}.studyDir: no study at ${abs}`);
  return { studyDir: abs };
}
