// The one entry point for exporting a trained policy: a directory with the chosen model formats,
// policy-snapshot.json (re-importable) and policy-card.json (provenance + checksums), written
// last so a bundle without a card is an unfinished one. importBundle verifies all of it.
//
// Layout:  policy-card.json  policy-snapshot.json  model.onnx  tfjs/model.json  tfjs/weights.bin

import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PolicySnapshot } from '../policy/snapshot.js';
import { writeFileAtomic } from '../runs/atomic.js';
import { buildCard, CARD_FILE, type CardFileEntry, checkMeta, encodeCard, parseCard, type PolicyCard, type PolicyCardMeta, sha256Hex } from './card.js';
import { ExportError } from './errors.js';
import { snapshotToOnnx } from './onnx.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-file.js';
import { snapshotToTfjs, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from './tfjs.js';
import { validateSnapshot } from './validate.js';
import { POLICY_LAB_VERSION } from './version.js';

export const exportFormats = ['onnx', 'tfjs'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const SNAPSHOT_FILE = 'policy-snapshot.json';
export const ONNX_FILE = 'model.onnx';
export const TFJS_DIR = 'tfjs';

/** A file the bundle carries besides the policy (path relative to the bundle, '/'-separated). */
export interface BundleAttachment {
  readonly path: string;
  readonly role: string;
  readonly bytes: Uint8Array;
}

export interface ExportResult {
  /** The bundle directory (as given). */
  readonly dir: string;
  /** Files written, relative to dir, the card last. */
  readonly files: string[];
  readonly card: PolicyCard;
}

/** 'onnx' | 'tfjs' | 'all' (CLI spelling) → formats; anything else is ExportError('bad-format'). */
export function parseExportFormat(f: string): ExportFormat[] {
  if (f === 'all') return [...exportFormats];
  if ((exportFormats as readonly string[]).includes(f)) return [f as ExportFormat];
  throw new ExportError('bad-format', `unknown export format "${f}": expected ${exportFormats.join(' | ')} | all`);
}

/**
 * Writes the bundle into outDir (created if needed; files of the same names are replaced
 * atomically, other files are left alone and are not part of the bundle).
 */
export async function exportBundle(
  snapshot: PolicySnapshot,
  meta: PolicyCardMeta,
  outDir: string,
  formats: readonly ExportFormat[],
  /** More files the bundle carries, checksummed like the rest (a custom robot's model folder). */
  attachments: readonly BundleAttachment[] = [],
): Promise<ExportResult> {
  if (!Array.isArray(formats) || formats.length === 0) throw new ExportError('bad-format', 'give at least one export format');
  for (const f of formats) parseExportFormat(f);
  validateSnapshot(snapshot);
  checkMeta(snapshot, meta);
  const want = new Set(formats);

  // Everything is serialized before the first write: a bad snapshot leaves the directory untouched.
  const pending: Array<{ path: string; role: string; bytes: Uint8Array }> = [
    { path: SNAPSHOT_FILE, role: 'snapshot', bytes: encodeSnapshot(snapshot) },
  ];
  pending.push(...attachments);
  const described: PolicyCard['formats'] = {};
  if (want.has('onnx')) {
    pending.push({ path: ONNX_FILE, role: 'onnx', bytes: snapshotToOnnx(snapshot) });
    described.onnx = {
      files: [ONNX_FILE],
      inputs: 'obs: float32 [batch, obsDim], raw observation (normalization is inside the model)',
      outputs: snapshot.kind === 'categorical'
        ? { action: 'int64 [batch, 1]: argmax of logits', logits: 'float32 [batch, actDim]' }
        : { action: `float32 [batch, actDim]: deterministic action (squash ${snapshot.squash})`, log_std: 'float32 [batch, actDim]' },
    };
  }
  if (want.has('tfjs')) {
    const t = await snapshotToTfjs(snapshot);
    const model = `${TFJS_DIR}/${TFJS_MODEL_FILE}`;
    const weights = `${TFJS_DIR}/${TFJS_WEIGHTS_FILE}`;
    pending.push({ path: model, role: 'tfjs-model', bytes: t.modelJson }, { path: weights, role: 'tfjs-weights', bytes: t.weightsBin });
    described.tfjs = {
      files: [model, weights],
      inputs: 'obs: float32 [batch, obsDim], raw observation (normalization is inside the model); standard layers only',
      outputs: snapshot.kind === 'categorical'
        ? { logits: 'float32 [batch, actDim]; the action is argmax (first index on ties)' }
        : { action: `float32 [batch, actDim]: deterministic action (squash ${snapshot.squash})`, log_std: 'float32 [batch, actDim]' },
    };
  }

  const files: CardFileEntry[] = [];
  try {
    await mkdir(outDir, { recursive: true });
    if (want.has('tfjs')) await mkdir(join(outDir, TFJS_DIR), { recursive: true });
    for (const p of pending) {
      if (p.path.includes('/')) await mkdir(dirname(join(outDir, p.path)), { recursive: true });
      writeFileAtomic(join(outDir, p.path), p.bytes);
      files.push({ path: p.path, role: p.role, bytes: p.bytes.length, sha256: sha256Hex(p.bytes) });
    }
    const card = buildCard(snapshot, meta, POLICY_LAB_VERSION, described, files);
    writeFileAtomic(join(outDir, CARD_FILE), encodeCard(card));
    return { dir: outDir, files: [...files.map((f) => f.path), CARD_FILE], card };
  } catch (e) {
    if (e instanceof ExportError) throw e;
    throw new ExportError('io', `writing the bundle to ${outDir} failed: ${(e as Error).message}`);
  }
}

async function readBundleFile(dir: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(join(dir, path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ExportError('missing-file', `bundle ${dir} is missing ${path}`, path);
    }
    throw new ExportError('io', `cannot read ${path} in ${dir}: ${(e as Error).message}`, path);
  }
}

/**
 * Reads a bundle back: verifies the card's digest and every listed file's sha256 (a changed
 * byte → ExportError 'checksum-mismatch', an absent file → 'missing-file', both naming the file),
 * then decodes the snapshot.
 */
export async function importBundle(dir: string): Promise<{ card: PolicyCard; snapshot: PolicySnapshot }> {
  const card = parseCard(await readBundleFile(dir, CARD_FILE));
  let snapshotBytes: Uint8Array | undefined;
  for (const f of card.files) {
    const bytes = await readBundleFile(dir, f.path);
    const sha = sha256Hex(bytes);
    if (sha !== f.sha256 || bytes.length !== f.bytes) {
      throw new ExportError('checksum-mismatch', `${f.path} in ${dir} does not match its checksum in ${CARD_FILE} (modified or corrupted)`, f.path);
    }
    if (f.role === 'snapshot') snapshotBytes = bytes;
  }
  if (snapshotBytes === undefined) throw new ExportError('bad-card', `${CARD_FILE} lists no snapshot file`, CARD_FILE);
  return { card, snapshot: decodeSnapshot(snapshotBytes) };
}
