// Where an export may write. A bundle folder is rewritten file by file, so an export into a
// folder that already holds one would silently replace it, and an export into a run folder
// would mix bundle files with the run's own (config.json, metrics.jsonl, checkpoints).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runFiles } from './store.js';

/** core/export's card file: its presence marks a bundle folder (literal here to keep runs free of export imports). */
const BUNDLE_CARD = 'policy-card.json';

export class ExportTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportTargetError';
  }
}

/** The run folder containing p (p itself or an ancestor with a config.json), or null. */
function enclosingRun(p: string, stopAt: string | null): string | null {
  for (let d = path.resolve(p); ; d = path.dirname(d)) {
    if (existsSync(runFiles.config(d))) return d;
    if (d === stopAt || path.dirname(d) === d) return null;
  }
}

export interface ExportTargetOptions {
  /** The run being exported. */
  readonly runDir: string;
  /** Replace a bundle already in outDir (the CLI's --force). */
  readonly force?: boolean;
  /** The lab's runs root: folders inside another run, or under imports/ or models/, are refused. */
  readonly runsRoot?: string;
}

/**
 * Throws ExportTargetError when outDir is a run folder, lies inside another run's folder, or
 * (without force) already holds a bundle — except the run's own default `<runDir>/export`,
 * which re-exporting is meant to refresh.
 */
export function checkExportTarget(outDir: string, o: ExportTargetOptions): void {
  const out = path.resolve(outDir);
  const runDir = path.resolve(o.runDir);
  const root = o.runsRoot ? path.resolve(o.runsRoot) : null;
  const owner = enclosingRun(out, root);
  if (owner === out) throw new ExportTargetError(`${out} is a run folder; export into a folder of its own (e.g. ${path.join(runDir, 'export')})`);
  if (owner !== null && owner !== runDir) throw new ExportTargetError(`${out} is inside another run's folder (${path.basename(owner)}); choose a folder outside it`);
  if (root) {
    const rel = path.relative(root, out).split(path.sep)[0];
    if (rel === 'imports' || rel === 'models') throw new ExportTargetError(`${out} is inside the lab's ${rel}/ folder; choose another folder`);
  }
  const isDefault = out === path.join(runDir, 'export');
  if (!o.force && !isDefault && existsSync(path.join(out, BUNDLE_CARD)))
    throw new ExportTargetError(`${out} already holds a policy bundle (${BUNDLE_CARD}); choose an empty folder${o.runsRoot ? '' : ' or pass --force to replace it'}`);
}
