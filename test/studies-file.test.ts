// Study files: expansion into trials, errors that name the field and the variant, a fuzzed
// validator that only ever accepts or refuses with a ConfigError, and the study folder.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/config/schema.js';
import { resolveRunConfig } from '../src/core/runs/run-config.js';
import { BUILTIN_STUDIES } from '../src/core/studies/builtin.js';
import { createStudyFolder, readPlan, readStudy, studyFiles, trialDone } from '../src/core/studies/study-folder.js';
import { validateStudy } from '../src/core/studies/study-file.js';

const ISSUE_EXAMPLE = { name: 'phi-on-pendulum', task: 'InvertedPendulum', algo: 'reinforce', steps: 100000, seeds: [1, 2, 3, 4, 5], grid: { phi: ['total-return', 'reward-to-go', 'baseline', 'gae'] } };

const refuse = (raw: unknown): string => {
  try {
    validateStudy(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the study to be refused');
};

describe('study files', () => {
  it('expands the issue example: 4 variants × 5 seeds, variants in file order, seeds within', () => {
    const s = validateStudy(ISSUE_EXAMPLE);
    expect(s.variants.map((v) => v.name)).toEqual(['total-return', 'reward-to-go', 'baseline', 'gae']);
    expect(s.trials).toHaveLength(20);
    expect(s.trials[0]).toMatchObject({ index: 0, variant: 'total-return', seed: 1, dir: 'trials/000-total-return-s1' });
    expect(s.trials[7]).toMatchObject({ index: 7, variant: 'reward-to-go', seed: 3, dir: 'trials/007-reward-to-go-s3' });
    for (const t of s.trials) {
      expect(t.config.algoConfig.phi).toBe(t.variant);
      expect(t.config.seed).toBe(t.seed);
      expect(t.config.totalSteps).toBe(100000);
      // Same resolution as a run: the reinforce preset for InvertedPendulum is applied under the study's values.
      expect(t.config).toEqual(resolveRunConfig({ task: 'InvertedPendulum', algo: 'reinforce', seed: t.seed, totalSteps: 100000, algoConfig: { phi: t.variant } }));
    }
    expect(s.spec.evalEpisodes).toBe(10);
  });

  it('takes a multi-axis grid (every combination) and explicit variants that override the base', () => {
    const g = validateStudy({ name: 'g', task: 'InvertedPendulum', algo: 'ppo', steps: 5000, seeds: [1], grid: { lr: [1e-3, 3e-4], hidden: [[32], [64, 64]] } });
    expect(g.variants.map((v) => v.name)).toEqual(['lr=0.001,hidden=32', 'lr=0.001,hidden=64x64', 'lr=0.0003,hidden=32', 'lr=0.0003,hidden=64x64']);
    expect(g.trials[3].config.algoConfig).toMatchObject({ lr: 3e-4, hidden: [64, 64] });
    const v = validateStudy({ name: 'v', task: 'InvertedPendulum', steps: 5000, seeds: [1, 2], gamma: 0.98, variants: [{ name: 'A2C', algo: 'a2c' }, { name: 'PPO fast', algo: 'ppo', lr: 1e-3, task: 'Hopper' }] });
    expect(v.trials.map((t) => [t.variant, t.config.algo, t.config.task, t.config.algoConfig.gamma])).toEqual([
      ['A2C', 'a2c', 'InvertedPendulum', 0.98], ['A2C', 'a2c', 'InvertedPendulum', 0.98], ['PPO fast', 'ppo', 'Hopper', 0.98], ['PPO fast', 'ppo', 'Hopper', 0.98],
    ]);
    expect(v.trials[2].dir).toBe('trials/002-ppo-fast-s1');
  });

  it('names the field and the variant of a wrong key or value', () => {
    expect(refuse({ ...ISSUE_EXAMPLE, lrr: 0.1 })).toMatch(/variant "total-return".*unknown field "lrr"/);
    expect(refuse({ ...ISSUE_EXAMPLE, grid: { phi: ['reward-to-go', 'bogus'] } })).toMatch(/variant "bogus".*phi.*expected one of/);
    const m = refuse({ name: 'x', task: 'InvertedPendulum', algo: 'reinforce', steps: 5000, seeds: [1], variants: [{ name: 'fine' }, { name: 'neg-lr', lr: -1 }] });
    expect(m).toMatch(/variant "neg-lr"/);
    expect(m).toMatch(/lr: must be ≥ 0, got -1/);
    expect(refuse({ ...ISSUE_EXAMPLE, task: 'Nope' })).toMatch(/variant "total-return": task: unknown task "Nope"/);
    expect(refuse({ ...ISSUE_EXAMPLE, steps: 10 })).toMatch(/totalSteps: must be ≥ 1000/);
    expect(refuse({ ...ISSUE_EXAMPLE, seeds: [1, 1] })).toMatch(/seeds.*repeats/);
    expect(refuse({ ...ISSUE_EXAMPLE, seeds: [] })).toMatch(/seeds: expected a non-empty list/);
    expect(refuse({ ...ISSUE_EXAMPLE, variants: [{ name: 'a' }] })).toMatch(/"grid" or "variants", not both/);
    expect(refuse({ ...ISSUE_EXAMPLE, grid: { phi: [] } })).toMatch(/grid\.phi: expected a non-empty list/);
    expect(refuse({ ...ISSUE_EXAMPLE, seed: 3 })).toMatch(/"seed" cannot be set here \(use "seeds"/);
    expect(refuse({ ...ISSUE_EXAMPLE, name: '' })).toMatch(/"name" must be a non-empty string/);
    expect(refuse({ name: 'n', task: 'InvertedPendulum', steps: 5000, seeds: [1] })).toMatch(/"algo" is required/);
    expect(refuse({ name: 'n', task: 'InvertedPendulum', algo: 'reinforce', steps: 5000, seeds: [1], variants: [{ name: 'a' }, { name: 'a' }] })).toMatch(/"a" is used twice/);
    expect(refuse({ ...ISSUE_EXAMPLE, variance: { at: [0] } })).toMatch(/variance\.at/);
    expect(refuse({ ...ISSUE_EXAMPLE, evalEpisodes: 0 })).toMatch(/evalEpisodes/);
    expect(refuse([1, 2])).toMatch(/expected a JSON object/);
    // A hyperparameter of one algorithm in the base, with an algorithm grid including one that lacks it.
    expect(refuse({ name: 'n', task: 'InvertedPendulum', steps: 5000, seeds: [1], clipCoef: 0.1, grid: { algo: ['ppo', 'a2c'] } })).toMatch(/variant "a2c".*unknown field "clipCoef"/);
  });

  it('accepts every built-in study', () => {
    for (const raw of Object.values(BUILTIN_STUDIES)) expect(validateStudy(raw).trials.length).toBeGreaterThan(0);
    expect(validateStudy(BUILTIN_STUDIES['phi-estimators']).variants).toHaveLength(7);
  });

  it('fuzz: any mutation is accepted with valid run configs or refused with a ConfigError (seeded)', () => {
    const keys = ['name', 'task', 'algo', 'steps', 'seeds', 'grid', 'variants', 'lr', 'phi', 'gamma', 'hidden', 'evalEpisodes', 'variance', 'backend', 'checkpointEvery', 'bogus', '__proto__', 'constructor'];
    fc.assert(fc.property(fc.constantFrom(...keys), fc.jsonValue(), fc.boolean(), (key, value, drop) => {
      const raw: Record<string, unknown> = JSON.parse(JSON.stringify(ISSUE_EXAMPLE));
      if (drop) delete raw[key];
      else Object.defineProperty(raw, key, { value, enumerable: true, configurable: true, writable: true });
      try {
        const s = validateStudy(raw);
        for (const t of s.trials) expect(resolveRunConfig({ ...t.config })).toEqual(t.config);
        expect(s.trials.length).toBe(s.variants.length * s.spec.seeds.length);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        expect(e.message.length).toBeGreaterThan(10);
      }
    }), { seed: 11, numRuns: 600 });
    fc.assert(fc.property(fc.jsonValue(), (raw) => {
      try { validateStudy(raw); } catch (e) { if (!(e instanceof ConfigError)) throw e; }
    }), { seed: 12, numRuns: 400 });
  });
});

describe('the study folder', () => {
  it('holds study.json, plan.json and one run directory per trial; refuses a second study in it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pl-study-')), 's');
    const study = validateStudy({ ...ISSUE_EXAMPLE, seeds: [1, 2] });
    createStudyFolder(dir, study);
    const plan = JSON.parse(readFileSync(studyFiles.plan(dir), 'utf8'));
    expect(plan.version).toBe(1);
    expect(plan.trials).toHaveLength(8);
    expect(plan.trials[1]).toEqual({ index: 1, variant: 'total-return', seed: 2, dir: 'trials/001-total-return-s2', config: study.trials[1].config });
    expect(readPlan(dir).trials).toEqual(study.trials);
    expect(readStudy(dir).trials).toEqual(study.trials);
    for (const t of study.trials) {
      const td = studyFiles.trialDir(dir, t);
      expect(JSON.parse(readFileSync(join(td, 'config.json'), 'utf8'))).toEqual(t.config);
      expect(existsSync(join(td, 'status.json'))).toBe(true);
      expect(trialDone(td)).toBe(false);
    }
    expect(() => createStudyFolder(dir, study)).toThrow(/already holds a study/);
    // A plan whose trial folder escapes trials/ is refused.
    for (const bad of ['trials/..', 'trials/.', '../x', 'trials/a/b', '/tmp/x']) {
      const p = JSON.parse(readFileSync(studyFiles.plan(dir), 'utf8'));
      p.trials[0].dir = bad;
      writeFileSync(studyFiles.plan(dir), JSON.stringify(p));
      expect(() => readPlan(dir), bad).toThrow(/trial 0 is malformed/);
    }
  });
});
