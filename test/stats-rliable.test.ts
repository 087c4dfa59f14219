// The study statistics against hand-computed cases, and the bootstrap's coverage on synthetic
// data whose mean is known.
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rl/rng.js';
import {
  aggregate, aggregateIqm, aggregateMean, iqm, mean, pairwiseImprovement, percentile, probabilityOfImprovement,
  probabilityOfImprovementCI, stratifiedBootstrapCI,
} from '../src/core/stats/rliable.js';

describe('IQM (scipy.stats.trim_mean(x, 0.25))', () => {
  it('drops floor(n/4) scores at each end', () => {
    expect(iqm([1, 2, 3, 4])).toBe(2.5); // drops 1 and 4
    expect(iqm([3, 1, 2])).toBe(2); // n = 3 drops nothing: the mean
    expect(iqm([10, 1, 2, 3, 4])).toBe(3); // drops 1 and 10 → (2+3+4)/3
    expect(iqm([1, 2, 3, 4, 100, 5, 6, 7])).toBe(4.5); // drops 1,2 and 7,100 → (3+4+5+6)/4
    expect(iqm([7])).toBe(7);
    expect(iqm([])).toBeNaN();
  });
  it('is robust to one outlier where the mean is not', () => {
    const x = [100, 101, 99, 102, 98, 100, 101, 99, 100, -5000];
    expect(mean(x)).toBeLessThan(0);
    expect(iqm(x)).toBeCloseTo(100, 0);
  });
  it('aggregates over tasks as rliable does (IQM of all runs; mean of per-task means)', () => {
    expect(aggregateIqm([[1, 2], [3, 4]])).toBe(2.5);
    expect(aggregateMean([[0, 2], [10]])).toBe(5.5);
  });
});

describe('percentile (numpy, linear interpolation)', () => {
  it('matches numpy on a small array', () => {
    expect(percentile([4, 1, 3, 2], 25)).toBeCloseTo(1.75, 12);
    expect(percentile([1, 2, 3, 4], 97.5)).toBeCloseTo(3.925, 12);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
  });
});

describe('probability of improvement', () => {
  it('is P(X > Y) + ½P(X = Y) over all pairs', () => {
    // x=3 beats 1 and 2, ties 3 (2.5); x=4 beats all three (3): 5.5 of 6 pairs.
    expect(pairwiseImprovement([3, 4], [1, 2, 3])).toBeCloseTo(5.5 / 6, 12);
    // 1 loses twice, 2 ties twice (1), 3 wins twice (2): 3 of 6.
    expect(pairwiseImprovement([1, 2, 3], [2, 2])).toBe(0.5);
    expect(pairwiseImprovement([5], [5])).toBe(0.5);
  });
  it('averages the per-task probabilities', () => {
    expect(probabilityOfImprovement([[1, 2, 3], [3, 4]], [[2, 2], [1, 2, 3]])).toBeCloseTo((0.5 + 5.5 / 6) / 2, 12);
  });
  it('P(X>Y) + P(Y>X) = 1 and its CI brackets it', () => {
    const x = [1, 5, 9, 2, 7], y = [3, 4, 6, 8, 0];
    expect(probabilityOfImprovement([x], [y]) + probabilityOfImprovement([y], [x])).toBeCloseTo(1, 12);
    const [lo, hi] = probabilityOfImprovementCI([x], [y], { seed: 3, reps: 2000 });
    const p = probabilityOfImprovement([x], [y]);
    expect(lo).toBeLessThanOrEqual(p);
    expect(hi).toBeGreaterThanOrEqual(p);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
  });
});

describe('stratified bootstrap', () => {
  it('is reproducible with a seed and changes with another', () => {
    const s = [[1, 5, 2, 8, 3, 9, 4]];
    const a = stratifiedBootstrapCI(s, aggregateIqm, { seed: 5, reps: 500 });
    expect(stratifiedBootstrapCI(s, aggregateIqm, { seed: 5, reps: 500 })).toEqual(a);
    expect(stratifiedBootstrapCI(s, aggregateIqm, { seed: 6, reps: 500 })).not.toEqual(a);
  });
  it('gives the exact bootstrap distribution on a hand-computed case', () => {
    // x = [0, 10]: resampled means are 0 (¼), 5 (½), 10 (¼): the 2.5th and 97.5th percentiles are 0 and 10,
    // and the 30th–70th are 5.
    expect(stratifiedBootstrapCI([[0, 10]], aggregateMean, { seed: 1, reps: 4000 })).toEqual([0, 10]);
    expect(stratifiedBootstrapCI([[0, 10]], aggregateMean, { seed: 1, reps: 4000, confidence: 0.4 })).toEqual([5, 5]);
  });
  it('resamples within tasks only (strata), never across them', () => {
    // Each task is constant, so every within-task resample is the original: a zero-width CI.
    // Pooled resampling would mix the 0s and 1s and give a wide one.
    expect(stratifiedBootstrapCI([[0, 0, 0], [1, 1, 1]], aggregateMean, { seed: 2, reps: 1000 })).toEqual([0.5, 0.5]);
  });
  it('covers the true mean / IQM at least 90% of the time at nominal 95% (200 seeded data sets)', () => {
    const rng = new Rng(2021);
    let coverMean = 0, coverIqm = 0;
    const N = 200;
    for (let rep = 0; rep < N; rep++) {
      // Normal(5, 2²): symmetric, so its mean and its IQM's population value are both 5.
      const x = Array.from({ length: 20 }, () => 5 + 2 * rng.normal());
      const m = stratifiedBootstrapCI([x], aggregateMean, { seed: rep, reps: 1000 });
      const q = stratifiedBootstrapCI([x], aggregateIqm, { seed: rep, reps: 1000 });
      if (m[0] <= 5 && 5 <= m[1]) coverMean++;
      if (q[0] <= 5 && 5 <= q[1]) coverIqm++;
    }
    console.log(`bootstrap coverage at nominal 95%: mean ${(100 * coverMean / N).toFixed(1)}%, IQM ${(100 * coverIqm / N).toFixed(1)}%`);
    expect(coverMean / N).toBeGreaterThanOrEqual(0.9);
    expect(coverIqm / N).toBeGreaterThanOrEqual(0.9);
    // And the interval is not trivially wide: it misses sometimes.
    expect(coverMean).toBeLessThan(N);
  });
  it('aggregate() reports n, mean, IQM and both CIs', () => {
    const a = aggregate([[1, 2, 3, 4]], { seed: 1 });
    expect(a.n).toBe(4);
    expect(a.mean).toBe(2.5);
    expect(a.iqm).toBe(2.5);
    expect(a.ci95[0]).toBeLessThanOrEqual(2.5);
    expect(a.ci95[1]).toBeGreaterThanOrEqual(2.5);
    expect(a.meanCi95[0]).toBeGreaterThanOrEqual(1);
    expect(a.meanCi95[1]).toBeLessThanOrEqual(4);
  });
});
