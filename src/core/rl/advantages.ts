// The Φ_t of ∇J = E[Σ_t ∇log π(a_t|s_t) Φ_t], as pure functions over typed arrays.
//
// Layout: a rollout of T steps from N envs is time-major, index t*N + n. At step t env n took
// a_t, received rewards[t,n] and ended the episode with terminated[t,n] (a true terminal state:
// its value is 0) or truncated[t,n] (a time limit: the episode is cut, the state still has
// value, so we bootstrap from truncValues[t,n] = V(the real final obs)). After the last step,
// lastValues[n] = V(obs after step T-1) bootstraps an episode that continues past the rollout.
// Outputs are preallocated by the caller; nothing here allocates.

export interface Rollout {
  readonly T: number;
  readonly N: number;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
}

/** Value info for bootstrapping estimators. */
export interface Values {
  /** V(s_t) for every step, [T, N]. */
  readonly values: Float32Array;
  /** V(final obs) where truncated[t,n], [T, N] (other entries unused). */
  readonly truncValues: Float32Array;
  /** V(obs after the last step), [N]. */
  readonly lastValues: Float32Array;
}

function checkLen(name: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new RangeError(`advantages: ${name} has length ${a.length}, expected ${n}`);
}

function checkRollout(r: Rollout, out: Float32Array): void {
  const TN = r.T * r.N;
  checkLen('rewards', r.rewards, TN);
  checkLen('terminated', r.terminated, TN);
  checkLen('truncated', r.truncated, TN);
  checkLen('out', out, TN);
}

/** Value of the state after step t (0 if terminal). */
function nextValue(r: Rollout, v: Values, t: number, n: number): number {
  const i = t * r.N + n;
  if (r.terminated[i]) return 0;
  if (r.truncated[i]) return v.truncValues[i];
  return t === r.T - 1 ? v.lastValues[n] : v.values[i + r.N];
}

/**
 * Φ_t = R(τ): every step of an episode gets the episode's discounted total Σ_k γ^k r_k, counted
 * from the episode's first step inside the rollout (an episode cut by the rollout's end counts
 * only its rewards so far).
 */
export function totalReturn(r: Rollout, gamma: number, out: Float32Array): void {
  checkRollout(r, out);
  const { T, N } = r;
  for (let n = 0; n < N; n++) {
    let start = 0;
    let sum = 0;
    let disc = 1;
    for (let t = 0; t < T; t++) {
      const i = t * N + n;
      sum += disc * r.rewards[i];
      disc *= gamma;
      if (r.terminated[i] || r.truncated[i] || t === T - 1) {
        for (let k = start; k <= t; k++) out[k * N + n] = sum;
        start = t + 1;
        sum = 0;
        disc = 1;
      }
    }
  }
}

/** Φ_t = Σ_{t'≥t} γ^{t'-t} r_t' within the episode (Monte Carlo, no bootstrapping). */
export function rewardToGo(r: Rollout, gamma: number, out: Float32Array): void {
  checkRollout(r, out);
  const { T, N } = r;
  for (let n = 0; n < N; n++) {
    let g = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + n;
      if (r.terminated[i] || r.truncated[i]) g = 0;
      g = r.rewards[i] + gamma * g;
      out[i] = g;
    }
  }
}

/** Φ_t = reward-to-go − V(s_t). */
export function rewardToGoMinusBaseline(r: Rollout, gamma: number, values: Float32Array, out: Float32Array): void {
  rewardToGo(r, gamma, out);
  checkLen('values', values, out.length);
  for (let i = 0; i < out.length; i++) out[i] -= values[i];
}

/** Φ_t = δ_t = r_t + γ V(s_{t+1}) − V(s_t), V = 0 after termination, bootstrapped at truncation. */
export function tdError(r: Rollout, v: Values, gamma: number, out: Float32Array): void {
  checkRollout(r, out);
  const { T, N } = r;
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      const i = t * N + n;
      out[i] = r.rewards[i] + gamma * nextValue(r, v, t, n) - v.values[i];
    }
}

/**
 * n-step returns as in A3C: G_t = Σ_{i<k} γ^i r_{t+i} + γ^k V(s_{t+k}), where t+k is the end of
 * the episode or of the rollout, whichever is first, and with at most `nMax` rewards summed
 * (nMax = Infinity: up to the rollout's end). V = 0 at termination, V(final obs) at truncation.
 */
export function nStepReturns(r: Rollout, v: Values, gamma: number, out: Float32Array, nMax = Infinity): void {
  checkRollout(r, out);
  const { T, N } = r;
  if (nMax === Infinity) {
    for (let n = 0; n < N; n++) {
      let g = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * N + n;
        const boundary = t === T - 1 || r.terminated[i] || r.truncated[i];
        g = r.rewards[i] + gamma * (boundary ? nextValue(r, v, t, n) : g);
        out[i] = g;
      }
    }
    return;
  }
  if (!(nMax >= 1) || !Number.isInteger(nMax)) throw new RangeError(`nStepReturns: nMax must be a positive integer, got ${nMax}`);
  for (let n = 0; n < N; n++)
    for (let t = 0; t < T; t++) {
      let g = 0;
      let disc = 1;
      for (let k = 0; k < nMax; k++) {
        const s = t + k;
        const i = s * N + n;
        g += disc * r.rewards[i];
        disc *= gamma;
        const boundary = s === T - 1 || r.terminated[i] || r.truncated[i];
        if (boundary || k === nMax - 1) {
          g += disc * nextValue(r, v, s, n);
          break;
        }
      }
      out[t * N + n] = g;
    }
}

/**
 * GAE(λ): A_t = Σ_l (γλ)^l δ_{t+l} within the episode. λ = 0 gives the TD error, λ = 1 the
 * bootstrapped Monte Carlo return minus V. Optional `returns` receives A_t + V(s_t) (the value
 * target).
 */
export function gae(r: Rollout, v: Values, gamma: number, lambda: number, out: Float32Array, returns?: Float32Array): void {
  checkRollout(r, out);
  const { T, N } = r;
  for (let n = 0; n < N; n++) {
    let a = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + n;
      const delta = r.rewards[i] + gamma * nextValue(r, v, t, n) - v.values[i];
      const cont = t === T - 1 || r.terminated[i] || r.truncated[i] ? 0 : 1;
      a = delta + gamma * lambda * cont * a;
      out[i] = a;
    }
  }
  if (returns) {
    checkLen('returns', returns, out.length);
    for (let i = 0; i < out.length; i++) returns[i] = out[i] + v.values[i];
  }
}

/** Φ_t = Q_w(s_t, a_t): the critic's estimate, copied (the lecture's Q actor-critic). */
export function qPhi(q: Float32Array, out: Float32Array): void {
  checkLen('out', out, q.length);
  out.set(q);
}

/** Standardizes x in place to mean 0, std 1 (eps guards a constant batch). */
export function normalizeInPlace(x: Float32Array, eps = 1e-8): void {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  // Unbiased std, as torch's .std() in CleanRL.
  const sd = Math.sqrt(s / Math.max(1, x.length - 1));
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - m) / (sd + eps);
}

/** 1 − Var[y − ŷ]/Var[y] (NaN when Var[y] = 0), as SB3 reports it. */
export function explainedVariance(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  const n = target.length;
  let my = 0, md = 0;
  for (let i = 0; i < n; i++) {
    my += target[i];
    md += target[i] - pred[i];
  }
  my /= n;
  md /= n;
  let vy = 0, vd = 0;
  for (let i = 0; i < n; i++) {
    vy += (target[i] - my) ** 2;
    vd += (target[i] - pred[i] - md) ** 2;
  }
  return vy === 0 ? NaN : 1 - vd / vy;
}
