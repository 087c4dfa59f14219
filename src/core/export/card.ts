// policy-card.json: what a bundle holds and where it came from. It records the sha256 of every
// other file, and its own digest (over its content without that field), so importBundle can
// refuse any changed byte that matters.

import { createHash } from 'node:crypto';
import type { Space } from '../envs/types.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { AlgoName, BackendName } from '../protocol.js';
import { ExportError, parseJsonObject } from './errors.js';

export const CARD_FILE = 'policy-card.json';
export const CARD_FORMAT = 'policy-lab-policy-card';
export const CARD_FORMAT_VERSION = 1;

/** What the caller knows about the run that produced the snapshot. */
export interface PolicyCardMeta {
  readonly task: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly algo: AlgoName;
  /** Resolved hyperparameters (must be JSON-serializable). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** Env steps of training behind this policy. */
  readonly steps: number;
  /** Mean return of the final deterministic evaluation; null/NaN when there was none. */
  readonly finalEvalReturn: number | null;
  readonly backend: BackendName;
  /** Defaults to now; fixed in tests for reproducible cards. */
  readonly exportedAt?: Date;
}

/** A space as JSON: bounds with ±Infinity written as strings. */
export type SpaceJson =
  | { kind: 'box'; shape: [number]; low: Array<number | string>; high: Array<number | string> }
  | { kind: 'discrete'; n: number };

export interface CardFileEntry {
  /** Path relative to the bundle directory, '/'-separated. */
  readonly path: string;
  /** 'snapshot' | 'onnx' | 'tfjs-model' | 'tfjs-weights'. */
  readonly role: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface PolicyCard {
  readonly format: typeof CARD_FORMAT;
  readonly formatVersion: number;
  readonly policyLabVersion: string;
  readonly exportedAt: string;
  readonly task: { readonly name: string; readonly observationSpace: SpaceJson; readonly actionSpace: SpaceJson };
  readonly algorithm: string;
  readonly config: Record<string, unknown>;
  readonly seed: number;
  readonly trainingSteps: number;
  readonly finalEvalReturn: number | null;
  readonly backend: string;
  readonly policy: {
    readonly kind: PolicySnapshot['kind'];
    readonly obsDim: number;
    readonly actDim: number;
    readonly squash: PolicySnapshot['squash'];
    readonly obsNormalization: boolean;
    readonly logStd: 'state-independent' | 'state-dependent' | null;
    readonly trunk: string[];
    readonly meanHead: string[];
  };
  /** Formats written, and how to call each model. */
  readonly formats: Record<string, { readonly files: string[]; readonly inputs: string; readonly outputs: Record<string, string> }>;
  readonly files: CardFileEntry[];
  /** sha256 of this card's JSON (compact, same key order) with cardSha256 left out. */
  readonly cardSha256: string;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function badMeta(message: string): never {
  throw new ExportError('bad-meta', message);
}

const bound = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

function spaceJson(sp: Space, what: string): SpaceJson {
  if (sp?.kind === 'discrete') {
    if (!Number.isInteger(sp.n) || sp.n <= 0) badMeta(`${what}.n must be a positive integer`);
    return { kind: 'discrete', n: sp.n };
  }
  if (sp?.kind === 'box') {
    const n = sp.shape[0];
    if (sp.low.length !== n || sp.high.length !== n) badMeta(`${what} bounds do not have its shape [${n}]`);
    return { kind: 'box', shape: [n], low: Array.from(sp.low, bound), high: Array.from(sp.high, bound) };
  }
  badMeta(`${what} must be a box or discrete space`);
}

/** Checks meta against the snapshot: spaces must have the policy's widths. */
export function checkMeta(s: PolicySnapshot, meta: PolicyCardMeta): void {
  if (typeof meta?.task !== 'string' || meta.task === '') badMeta('task must be a non-empty string');
  const obs = spaceJson(meta.observationSpace, 'observationSpace');
  if (obs.kind !== 'box' || obs.shape[0] !== s.obsDim) badMeta(`observationSpace must be a box of width ${s.obsDim}`);
  const act = spaceJson(meta.actionSpace, 'actionSpace');
  if (s.kind === 'categorical' && !(act.kind === 'discrete' && act.n === s.actDim)) badMeta(`actionSpace must be discrete with n = ${s.actDim}`);
  if (s.kind === 'gaussian' && !(act.kind === 'box' && act.shape[0] === s.actDim)) badMeta(`actionSpace must be a box of width ${s.actDim}`);
  if (typeof meta.algo !== 'string' || (meta.algo as string) === '') badMeta('algo must be a non-empty string');
  if (typeof meta.backend !== 'string' || (meta.backend as string) === '') badMeta('backend must be a non-empty string');
  if (!Number.isSafeInteger(meta.seed)) badMeta(`seed ${meta.seed} must be an integer`);
  if (!Number.isSafeInteger(meta.steps) || meta.steps < 0) badMeta(`steps ${meta.steps} must be a non-negative integer`);
  if (meta.finalEvalReturn !== null && typeof meta.finalEvalReturn !== 'number') badMeta('finalEvalReturn must be a number or null');
  if (meta.config === null || typeof meta.config !== 'object') badMeta('config must be an object');
  try {
    JSON.stringify(meta.config);
  } catch (e) {
    badMeta(`config is not JSON-serializable: ${(e as Error).message}`);
  }
}

const describeLayers = (ls: PolicySnapshot['trunk']) => ls.map((l) => `${l.inDim}->${l.outDim} ${l.activation}`);

/** The card's digest field is computed over everything else. */
function digest(card: Omit<PolicyCard, 'cardSha256'>): string {
  return sha256Hex(JSON.stringify(card));
}

export function buildCard(
  s: PolicySnapshot,
  meta: PolicyCardMeta,
  version: string,
  formats: PolicyCard['formats'],
  files: CardFileEntry[],
): PolicyCard {
  checkMeta(s, meta);
  const body: Omit<PolicyCard, 'cardSha256'> = {
    format: CARD_FORMAT,
    formatVersion: CARD_FORMAT_VERSION,
    policyLabVersion: version,
    exportedAt: (meta.exportedAt ?? new Date()).toISOString(),
    task: { name: meta.task, observationSpace: spaceJson(meta.observationSpace, 'observationSpace'), actionSpace: spaceJson(meta.actionSpace, 'actionSpace') },
    algorithm: meta.algo,
    // Round-trip through JSON so the card holds exactly what a reader will see.
    config: JSON.parse(JSON.stringify(meta.config)) as Record<string, unknown>,
    seed: meta.seed,
    trainingSteps: meta.steps,
    finalEvalReturn: meta.finalEvalReturn !== null && Number.isFinite(meta.finalEvalReturn) ? meta.finalEvalReturn : null,
    backend: meta.backend,
    policy: {
      kind: s.kind,
      obsDim: s.obsDim,
      actDim: s.actDim,
      squash: s.squash,
      obsNormalization: s.obsNorm !== undefined,
      logStd: s.kind === 'categorical' ? null : s.logStd ? 'state-independent' : 'state-dependent',
      trunk: describeLayers(s.trunk),
      meanHead: describeLayers(s.meanHead),
    },
    formats,
    files,
  };
  return { ...body, cardSha256: digest(body) };
}

export function encodeCard(card: PolicyCard): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(card, null, 2) + '\n');
}

function badCard(message: string): never {
  throw new ExportError('bad-card', `${CARD_FILE}: ${message}`, CARD_FILE);
}

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+$/;

/** Parses and checks a card: shape, format version, safe file paths, and its own digest. */
export function parseCard(bytes: Uint8Array): PolicyCard {
  const j = parseJsonObject(bytes, badCard);
  if (j.format !== CARD_FORMAT) badCard(`format is ${JSON.stringify(j.format)}, expected "${CARD_FORMAT}"`);
  if (j.formatVersion !== CARD_FORMAT_VERSION) badCard(`unsupported formatVersion ${JSON.stringify(j.formatVersion)}`);
  if (typeof j.cardSha256 !== 'string') badCard('cardSha256 is missing');
  if (!Array.isArray(j.files)) badCard('files must be an array');
  for (const [i, f] of (j.files as unknown[]).entries()) {
    const e = f as Record<string, unknown>;
    if (e === null || typeof e !== 'object') badCard(`files[${i}] is not an object`);
    if (typeof e.path !== 'string' || !SAFE_PATH.test(e.path)) badCard(`files[${i}].path ${JSON.stringify(e.path)} is not a safe relative path`);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) badCard(`files[${i}].sha256 is not a sha256 hex digest`);
    if (typeof e.role !== 'string') badCard(`files[${i}].role is missing`);
  }
  const { cardSha256, ...body } = j;
  if (digest(body as Omit<PolicyCard, 'cardSha256'>) !== cardSha256) {
    throw new ExportError('checksum-mismatch', `${CARD_FILE} was modified after export (its digest does not match its content)`, CARD_FILE);
  }
  const card = j as unknown as PolicyCard;
  if (card.policy === null || typeof card.policy !== 'object') badCard('policy is missing');
  if (card.task === null || typeof card.task !== 'object' || typeof card.task.name !== 'string') badCard('task is missing');
  return card;
}
