// The one list of Φ_t estimators in ∇J = E[Σ_t ∇log π(a_t|s_t) Φ_t] (the lecture's menu), with
// what each needs and how it is computed from a rollout. The REINFORCE schema, the CLI's help,
// the built-in study grid and the variance probes read the names from PHI_CHOICES, and the
// critic each needs from PHI_ESTIMATORS; a new estimator is its name in PHI_CHOICES, its entry in
// PHI_ESTIMATORS (the compiler asks for it), its case in computePhi and its math in advantages.ts.
import { gae, nStepReturns, rewardToGo, rewardToGoMinusBaseline, tdError, totalReturn, type Rollout, type Values } from './advantages.js';

export const PHI_CHOICES = ['total-return', 'reward-to-go', 'baseline', 'q', 'td', 'nstep', 'gae'] as const;
export type Phi = (typeof PHI_CHOICES)[number];

/** The critic an estimator needs: none, V(s) or Q(s, a). */
export type PhiCritic = 'none' | 'v' | 'q';

export interface PhiEstimator {
  readonly name: Phi;
  readonly critic: PhiCritic;
  /** One line, as the lecture writes it. */
  readonly doc: string;
}

export const PHI_ESTIMATORS: Readonly<Record<Phi, PhiEstimator>> = {
  'total-return': { name: 'total-return', critic: 'none', doc: 'R(τ), the whole episode’s discounted return' },
  'reward-to-go': { name: 'reward-to-go', critic: 'none', doc: 'Σ_{t′≥t} γ^{t′−t} r_t′, rewards from t on' },
  baseline: { name: 'baseline', critic: 'v', doc: 'reward-to-go − V(s_t)' },
  q: { name: 'q', critic: 'q', doc: 'Q_w(s_t, a_t), the critic regressed on reward-to-go' },
  td: { name: 'td', critic: 'v', doc: 'r_t + γV(s_{t+1}) − V(s_t)' },
  nstep: { name: 'nstep', critic: 'v', doc: 'n-step return − V(s_t)' },
  gae: { name: 'gae', critic: 'v', doc: 'GAE(λ): Σ_l (γλ)^l δ_{t+l}' },
};

export function phiCritic(phi: Phi): PhiCritic {
  return PHI_ESTIMATORS[phi].critic;
}

export interface PhiParams {
  readonly gamma: number;
  /** λ of 'gae'. */
  readonly gaeLambda: number;
  /** n of 'nstep'. */
  readonly nSteps: number;
}

/**
 * Fills `phi` with Φ_t and `target` with the critic's regression target (untouched for
 * estimators without a critic). `values` holds V(s_t) for 'v' critics; for 'q' the caller passes
 * Q_w(s_t, a_t) in `q`, which also becomes the reported values.
 */
export function computePhi(kind: Phi, roll: Rollout, v: Values, p: PhiParams, phi: Float32Array, target: Float32Array, q?: Float32Array): void {
  const { gamma } = p, T = phi.length;
  switch (kind) {
    case 'total-return': totalReturn(roll, gamma, phi); break;
    case 'reward-to-go': rewardToGo(roll, gamma, phi); break;
    case 'baseline': rewardToGoMinusBaseline(roll, gamma, v.values, phi); rewardToGo(roll, gamma, target); break;
    case 'td': tdError(roll, v, gamma, phi); for (let i = 0; i < T; i++) target[i] = phi[i] + v.values[i]; break;
    case 'nstep': nStepReturns(roll, v, gamma, target, p.nSteps); for (let i = 0; i < T; i++) phi[i] = target[i] - v.values[i]; break;
    case 'gae': gae(roll, v, gamma, p.gaeLambda, phi, target); break;
    case 'q':
      if (!q) throw new RangeError('computePhi: phi "q" needs Q_w(s_t, a_t)');
      rewardToGo(roll, gamma, target); // Q_w is regressed on Monte Carlo returns
      phi.set(q);
      break;
  }
}
