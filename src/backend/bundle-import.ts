// Importing an exported policy bundle into the lab: verify every checksum, then copy the bundle
// into <runsRoot>/imports/<task>-<algo>-<card sha>/ so Evaluate (confined to the runs root) can
// replay it. The copy is assembled in a hidden temp folder beside its final place and renamed
// in one step: a failed or refused import leaves nothing behind.
// The source folder is untrusted: only regular files inside it are read (no FIFOs, sockets,
// devices or symlinks), each within a size limit, asynchronously, and a card may list only so
// many files — so an import answers quickly, whatever it is pointed at, and never stalls the
// backend's other requests. The checksums are verified on the copy, which is all ours.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { importBundle } from '../core/export/bundle.js';
import { CARD_FILE, parseCard, type PolicyCard } from '../core/export/card.js';
import { ExportError } from '../core/export/errors.js';
import { MODEL_MAIN_ROLE } from '../core/export/model-files.js';
import type { RunConfig } from '../core/protocol.js';
import { readRegularFile, UnsafeFileError } from '../core/runs/safe-read.js';
import { LabError, type BundleSummary, type RunInfo, type TaskSpec } from './api.js';

export const IMPORTS_DIR = 'imports';
/** Limits of what an import reads (a card, a snapshot, model files and a robot's model folder). */
export const BUNDLE_LIMITS = { cardBytes: 4 << 20, files: 1000, fileBytes: 256 << 20, totalBytes: 1024 << 20 } as const;
export const IMPORTED_STATUS = 'imported';

export function summarizeCard(card: PolicyCard): BundleSummary {
  return {
    task: card.task.name, algorithm: card.algorithm, steps: card.trainingSteps,
    finalEvalReturn: card.finalEvalReturn, seed: card.seed, exportedAt: card.exportedAt,
  };
}

/** A bundle's problem in words the user can act on (the core message names the file). */
function refused(e: unknown, src: string): never {
  if (e instanceof ExportError && e.code !== 'io') throw new LabError('invalid', `the bundle was refused: ${e.message}`);
  if (e instanceof LabError) throw e;
  if (e instanceof UnsafeFileError) throw new LabError('invalid', `the bundle was refused: ${e.message}`);
  throw new LabError('failed', `cannot read the bundle at ${src}: ${(e as Error).message}`);
}

/** One listed file of the bundle at dir: a regular file really inside dir (no symlinked folder leading out). */
async function readListedFile(dir: string, realDir: string, rel: string, maxBytes: number): Promise<Buffer> {
  const file = path.join(dir, ...rel.split('/'));
  const real = await realpath(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new ExportError('missing-file', `bundle ${dir} is missing ${rel}`, rel);
    if (e.code === 'ELOOP') throw new LabError('invalid', `the bundle was refused: ${rel} is a loop of symbolic links`);
    throw e;
  });
  if (!real.startsWith(realDir + path.sep)) throw new LabError('invalid', `the bundle was refused: ${rel} leads outside the bundle folder (a symbolic link)`);
  return readRegularFile(file, maxBytes);
}

/** The card must describe a policy for one of this lab's built-in tasks, of the task's shape. */
function checkTask(card: PolicyCard, tasks: readonly TaskSpec[]): void {
  const name = card.task.name;
  if ((card.config as { custom?: unknown }).custom !== undefined || name === 'custom') {
    // A custom robot's bundle carries its model folder (checksummed); its sizes are checked when it is replayed.
    if (!card.files.some((f) => f.role === MODEL_MAIN_ROLE)) {
      throw new LabError('invalid', 'the bundle was trained on a custom MJCF model but does not carry the model (exported before model folders were bundled), so it cannot be replayed here');
    }
    return;
  }
  const t = tasks.find((x) => x.name === name);
  if (!t) throw new LabError('invalid', `the bundle is for task "${name}", which this lab does not have (known: ${tasks.map((x) => x.name).join(', ')})`);
  const p = card.policy;
  const kind = t.actionKind === 'discrete' ? 'categorical' : 'gaussian';
  if (p.obsDim !== t.obsDim || p.actDim !== t.actDim || p.kind !== kind) {
    throw new LabError('invalid', `the bundle's policy (${p.kind}, ${p.obsDim} observations → ${p.actDim} actions) does not fit ${name} (${kind}, ${t.obsDim} → ${t.actDim})`);
  }
}

/** Folder name from the card: readable, file-system safe, unique per bundle content. */
function importName(card: PolicyCard): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 48) || 'x';
  return `${safe(card.task.name)}-${safe(card.algorithm)}-${card.cardSha256.slice(0, 12)}`;
}

async function verified(dir: string): Promise<PolicyCard | null> {
  try {
    return (await importBundle(dir)).card;
  } catch {
    return null;
  }
}

/**
 * Verifies the bundle at src (a bundle folder, or its policy-card.json), copies it into
 * runsRoot/imports and returns the copy. Re-importing the same bundle returns the existing copy.
 */
export async function importBundleInto(src: string, runsRoot: string, tasks: readonly TaskSpec[]): Promise<{ runDir: string; card: BundleSummary }> {
  const st = await stat(src).catch(() => null);
  if (!st) throw new LabError('not-found', `nothing at ${src}`);
  const dir = st.isDirectory() ? src : path.dirname(src);
  if (!existsSync(path.join(dir, CARD_FILE))) throw new LabError('invalid', `${dir} is not a policy bundle (no ${CARD_FILE})`);
  let card: PolicyCard;
  let realDir: string;
  try {
    realDir = await realpath(dir);
    card = parseCard(await readListedFile(dir, realDir, CARD_FILE, BUNDLE_LIMITS.cardBytes));
  } catch (e) {
    refused(e, dir);
  }
  if (card.files.length > BUNDLE_LIMITS.files) throw new LabError('invalid', `the bundle was refused: its ${CARD_FILE} lists ${card.files.length} files, more than the ${BUNDLE_LIMITS.files} allowed`);
  checkTask(card, tasks);

  const importsRoot = path.join(runsRoot, IMPORTS_DIR);
  const dest = path.join(importsRoot, importName(card));
  await mkdir(importsRoot, { recursive: true });
  const tmp = path.join(importsRoot, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // Only what the card lists is copied; its paths were checked to be plain relative ones.
    let total = 0;
    for (const f of [...card.files.map((x) => x.path), CARD_FILE]) {
      const to = path.join(tmp, ...f.split('/'));
      await mkdir(path.dirname(to), { recursive: true });
      let bytes: Buffer;
      try {
        bytes = await readListedFile(dir, realDir, f, Math.max(0, Math.min(BUNDLE_LIMITS.fileBytes, BUNDLE_LIMITS.totalBytes - total)));
      } catch (e) {
        refused(e, dir);
      }
      total += bytes.length;
      await writeFile(to, bytes);
    }
    // Every checksum, verified on exactly what was copied (the source may change meanwhile).
    try {
      const copied = await importBundle(tmp);
      if (copied.card.cardSha256 !== card.cardSha256) throw new ExportError('checksum-mismatch', `${CARD_FILE} changed while it was being imported`, CARD_FILE);
    } catch (e) {
      if (e instanceof ExportError) refused(new ExportError(e.code, e.message.split(tmp).join(dir), e.file), dir);
      refused(e, dir);
    }
    if (existsSync(dest)) {
      // Imported before: keep that copy if it is intact, else (edited in place) replace it.
      if ((await verified(dest))?.cardSha256 === card.cardSha256) {
        await rm(tmp, { recursive: true, force: true });
        return { runDir: dest, card: summarizeCard(card) };
      }
      await rm(dest, { recursive: true, force: true });
    }
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof LabError) throw e;
    throw new LabError('failed', `copying the bundle into ${importsRoot} failed: ${(e as Error).message}`);
  }
  return { runDir: dest, card: summarizeCard(card) };
}

/** The imported bundles as runs-list entries (status 'imported'), newest import first. */
export async function listImportedBundles(runsRoot: string): Promise<RunInfo[]> {
  const importsRoot = path.join(runsRoot, IMPORTS_DIR);
  const entries = await readdir(importsRoot, { withFileTypes: true }).catch(() => []);
  const out: Array<RunInfo & { mtime: number }> = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dir = path.join(importsRoot, e.name);
    try {
      const card = parseCard(await readRegularFile(path.join(dir, CARD_FILE), BUNDLE_LIMITS.cardBytes));
      const summary = summarizeCard(card);
      const config: RunConfig = {
        task: summary.task, algo: card.algorithm as RunConfig['algo'], seed: summary.seed, totalSteps: summary.steps,
        backend: 'auto', checkpointEvery: 1, algoConfig: {},
      };
      out.push({
        dir, id: e.name, config, steps: summary.steps, lastReturn: summary.finalEvalReturn ?? NaN, status: IMPORTED_STATUS,
        bundle: summary, mtime: (await stat(dir)).mtimeMs,
      });
    } catch {
      /* not a readable bundle: not listed */
    }
  }
  return out.sort((a, b) => b.mtime - a.mtime).map(({ mtime: _m, ...r }) => r);
}
