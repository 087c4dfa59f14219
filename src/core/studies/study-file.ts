// The study file: a base run config × variants × seeds, as JSON. Validated through the same
// schemas as a run (RUN_SCHEMA and each algorithm's schema, via resolveRunConfig), so a wrong
// key or value is refused with the field and the variant named, before anything starts.
//
//   {"name": "phi-on-pendulum", "task": "InvertedPendulum", "algo": "reinforce", "steps": 100000,
//    "seeds": [1,2,3,4,5], "grid": {"phi": ["total-return", "reward-to-go", "baseline", "gae"]}}
//
// Keys: name, description, task, algo, steps, seeds, grid | variants, evalEpisodes, variance,
// backend, checkpointEvery, and any hyperparameter of the algorithm by its schema name.

import { ConfigError } from '../config/schema.js';
import type { RunConfig } from '../protocol.js';
import { resolveRunConfig } from '../runs/run-config.js';

/** Gradient-variance probes at chosen points of every trial (see src/core/analysis). */
export interface VarianceSpec {
  /** Fractions of the trial's steps (0 < f ≤ 1) at which the checkpoint is kept and probed. */
  readonly at: readonly number[];
  /** Independent on-policy batches per probe. */
  readonly batches: number;
  /** Episodes per batch. */
  readonly episodesPerBatch: number;
}

export interface StudySpec {
  readonly name: string;
  readonly description?: string;
  /** Deterministic evaluation episodes of each trial's final policy (its score). */
  readonly evalEpisodes: number;
  readonly seeds: readonly number[];
  readonly variance?: VarianceSpec;
  /** The file as given (study.json keeps it verbatim). */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** One variant: a name and the overrides it applies to the base. */
export interface VariantDef {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** One trial of the plan: a variant at a seed, with its complete RunConfig. */
export interface TrialDef {
  readonly index: number;
  readonly variant: string;
  readonly seed: number;
  /** Relative to the study folder: trials/000-<variant-slug>-s<seed>. */
  readonly dir: string;
  readonly config: RunConfig;
}

export interface ValidStudy {
  readonly spec: StudySpec;
  readonly variants: readonly VariantDef[];
  readonly trials: readonly TrialDef[];
}

const STUDY_KEYS = new Set(['name', 'description', 'seeds', 'grid', 'variants', 'evalEpisodes', 'variance']);
/** Study keys that map to RunConfig fields; everything else is a hyperparameter. */
const RUN_KEYS: Readonly<Record<string, 'task' | 'algo' | 'totalSteps' | 'backend' | 'checkpointEvery'>> = {
  task: 'task', algo: 'algo', steps: 'totalSteps', backend: 'backend', checkpointEvery: 'checkpointEvery',
};
const MAX_TRIALS = 10_000;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function slug(s: string): string {
  const t = s.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return t || 'variant';
}

function formatValue(v: unknown): string {
  return Array.isArray(v) ? v.join('x') : String(v);
}

function fail(study: string, msg: string): never {
  throw new ConfigError(`study ${JSON.stringify(study)}: ${msg}`);
}

function checkSettings(study: string, where: string, o: Record<string, unknown>): void {
  for (const k of Object.keys(o)) {
    if (STUDY_KEYS.has(k) || k === 'seed' || k === 'totalSteps' || k === 'algoConfig' || k === 'custom')
      fail(study, `${where}: "${k}" cannot be set here${k === 'seed' ? ' (use "seeds" at the top level)' : k === 'totalSteps' ? ' (the study key is "steps")' : ''}`);
  }
}

function variantsOf(study: string, raw: Record<string, unknown>): VariantDef[] {
  if (raw.grid !== undefined && raw.variants !== undefined) fail(study, 'give "grid" or "variants", not both');
  if (raw.grid !== undefined) {
    if (!isObject(raw.grid) || Object.keys(raw.grid).length === 0) fail(study, 'grid: expected an object of setting → list of values, e.g. {"phi": ["reward-to-go", "gae"]}');
    const axes = Object.entries(raw.grid);
    for (const [k, vs] of axes) {
      if (!Array.isArray(vs) || vs.length === 0) fail(study, `grid.${k}: expected a non-empty list of values, got ${JSON.stringify(vs)}`);
    }
    checkSettings(study, 'grid', raw.grid);
    let combos: Record<string, unknown>[] = [{}];
    for (const [k, vs] of axes) {
      combos = combos.flatMap((c) => (vs as unknown[]).map((v) => ({ ...c, [k]: v })));
      if (combos.length > MAX_TRIALS) fail(study, `grid: more than ${MAX_TRIALS} variants`);
    }
    return combos.map((settings) => ({
      name: axes.length === 1 ? formatValue(settings[axes[0][0]]) : Object.entries(settings).map(([k, v]) => `${k}=${formatValue(v)}`).join(','),
      settings,
    }));
  }
  if (raw.variants !== undefined) {
    if (!Array.isArray(raw.variants) || raw.variants.length === 0) fail(study, 'variants: expected a non-empty list of {"name": …, settings…}');
    const seen = new Set<string>();
    return raw.variants.map((v, i) => {
      if (!isObject(v)) fail(study, `variants[${i}]: expected an object with a "name"`);
      const { name, ...settings } = v;
      if (typeof name !== 'string' || name.trim() === '' || name.length > 80) fail(study, `variants[${i}].name: expected a non-empty name of at most 80 characters, got ${JSON.stringify(name)}`);
      if (seen.has(name)) fail(study, `variants[${i}].name: "${name}" is used twice`);
      seen.add(name);
      checkSettings(study, `variant "${name}"`, settings);
      return { name, settings };
    });
  }
  return [{ name: 'base', settings: {} }];
}

function varianceOf(study: string, v: unknown): VarianceSpec | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) fail(study, 'variance: expected {"at": [fractions of steps], "batches": N, "episodesPerBatch": K}');
  for (const k of Object.keys(v)) if (!['at', 'batches', 'episodesPerBatch'].includes(k)) fail(study, `variance: unknown field "${k}" (known: at, batches, episodesPerBatch)`);
  const at = v.at ?? [1];
  if (!Array.isArray(at) || at.length === 0 || at.length > 100 || !at.every((f) => typeof f === 'number' && f > 0 && f <= 1))
    fail(study, `variance.at: expected a list of fractions of the steps in (0, 1], got ${JSON.stringify(v.at)}`);
  const batches = v.batches ?? 20;
  if (typeof batches !== 'number' || !Number.isInteger(batches) || batches < 2 || batches > 10_000) fail(study, `variance.batches: expected an integer 2 … 10000, got ${JSON.stringify(v.batches)}`);
  const episodesPerBatch = v.episodesPerBatch ?? 5;
  if (typeof episodesPerBatch !== 'number' || !Number.isInteger(episodesPerBatch) || episodesPerBatch < 1 || episodesPerBatch > 1000)
    fail(study, `variance.episodesPerBatch: expected an integer 1 … 1000, got ${JSON.stringify(v.episodesPerBatch)}`);
  return { at: [...new Set(at as number[])].sort((a, b) => a - b), batches, episodesPerBatch };
}

/** The one resolution of (base + variant settings, seed) into a RunConfig; errors name the variant. */
function trialConfig(study: string, variant: VariantDef, base: Record<string, unknown>, seed: number): RunConfig {
  const merged = { ...base, ...variant.settings };
  const input: Record<string, unknown> = { seed };
  const algoConfig: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(merged)) {
    if (RUN_KEYS[k]) input[RUN_KEYS[k]] = v;
    else algoConfig[k] = v;
  }
  if (merged.task === undefined) fail(study, `variant "${variant.name}": "task" is required`);
  if (merged.algo === undefined) fail(study, `variant "${variant.name}": "algo" is required`);
  if (merged.steps === undefined) fail(study, `variant "${variant.name}": "steps" is required`);
  try {
    return resolveRunConfig({ ...input, algoConfig });
  } catch (e) {
    if (e instanceof ConfigError) fail(study, `variant "${variant.name}": ${e.message.replace(/^run\./, '').replace(/^run: /, '')}`);
    throw e;
  }
}

/**
 * Checks a parsed study file and expands it into its trials (variants in file order, seeds in
 * file order within each variant). Throws ConfigError naming the field (and the variant).
 */
export function validateStudy(raw: unknown): ValidStudy {
  if (!isObject(raw)) throw new ConfigError('study: expected a JSON object with name, task, algo, steps, seeds and grid or variants');
  const name = raw.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 80) throw new ConfigError(`study: "name" must be a non-empty string of at most 80 characters, got ${JSON.stringify(name)}`);
  if (raw.description !== undefined && typeof raw.description !== 'string') fail(name, `description: expected a string`);
  const seeds = raw.seeds;
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 2 ** 31 - 1))
    fail(name, `seeds: expected a non-empty list of integers 0 … 2147483647, got ${JSON.stringify(seeds)}`);
  if (new Set(seeds).size !== seeds.length) fail(name, `seeds: ${JSON.stringify(seeds)} repeats a seed`);
  const evalEpisodes = raw.evalEpisodes ?? 10;
  if (typeof evalEpisodes !== 'number' || !Number.isInteger(evalEpisodes) || evalEpisodes < 1 || evalEpisodes > 1000)
    fail(name, `evalEpisodes: expected an integer 1 … 1000, got ${JSON.stringify(raw.evalEpisodes)}`);
  const variance = varianceOf(name, raw.variance);
  const variants = variantsOf(name, raw);
  if (new Set(variants.map((v) => v.name)).size !== variants.length) fail(name, 'two variants have the same name');
  if (variants.length * seeds.length > MAX_TRIALS) fail(name, `${variants.length * seeds.length} trials: at most ${MAX_TRIALS}`);
  const base: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!STUDY_KEYS.has(k)) base[k] = v;
  checkSettings(name, 'the base settings', base);
  const trials: TrialDef[] = [];
  const slugs = new Map<string, number>();
  for (const variant of variants) {
    let s = slug(variant.name);
    const n = slugs.get(s) ?? 0;
    slugs.set(s, n + 1);
    if (n > 0) s = `${s}-${n + 1}`;
    for (const seed of seeds as number[]) {
      const index = trials.length;
      trials.push({ index, variant: variant.name, seed, dir: `trials/${String(index).padStart(3, '0')}-${s}-s${seed}`, config: trialConfig(name, variant, base, seed) });
    }
  }
  const spec: StudySpec = { name, description: raw.description as string | undefined, evalEpisodes, seeds: seeds as number[], variance, raw };
  return { spec, variants, trials };
}

/** Parses study-file text; JSON errors become ConfigErrors. */
export function parseStudyText(text: string, where = 'study file'): ValidStudy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${where} is not valid JSON: ${(e as Error).message}`);
  }
  return validateStudy(raw);
}
