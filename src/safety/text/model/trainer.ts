/**
 * Multinomial logistic regression with L2, fitted by full-batch L-BFGS in plain TypeScript.
 *
 * Why full-batch L-BFGS rather than SGD: the objective is convex, so L-BFGS reaches (near) the one
 * optimum whatever the data order, and the result depends only on the data, the L2 strength and the
 * iteration count. Every sum runs in a fixed order over Float64Arrays, so the same inputs give the
 * same bits on the same JavaScript engine; there is no randomness at all.
 *
 * Objective: (1 / sum w_i) * sum_i w_i * CE(softmax(W x_i + b), y_i) + (l2 / 2) * ||W||^2 (bias not
 * penalised). Per-example weights w_i carry class balancing and the dataset mixture. `trainLogistic`
 * is the one-output (sigmoid) case.
 */

/** Sparse design matrix in CSR form. */
export interface SparseRows {
  offsets: Int32Array; // length n + 1
  idx: Int32Array;
  val: Float64Array;
}

export interface TrainOptions {
  K: number;
  dim: number;
  l2: number;
  maxIter: number;
  /** L-BFGS history length. */
  memory?: number;
  /** Buckets seen in fewer than this many rows keep weight 0 (default 1: every seen bucket is fitted). */
  minCount?: number;
  log?: (msg: string) => void;
  /**
   * Optional per-parameter scale (dim*K, feature-major), used by `trainSoftmax`: the model is
   * z_k = b_k + sum_j (theta_jk * scale_jk) x_j with L2 on theta, and the returned weights are
   * theta * scale, so scoring is unchanged. Naive-Bayes log-count ratios here give NB-LR
   * (Wang & Manning 2012); it amounts to a per-weight L2 strength l2 / scale^2.
   */
  scale?: Float64Array;
}

/**
 * Buckets that occur in X, most frequent first (ties by bucket), and X with its indices renumbered into
 * that list. Buckets that never occur get no gradient except from L2, so their optimal weight is exactly
 * 0; optimising only the occurring ones, with the frequent ones packed together for the CPU cache, gives
 * the same optimum in a fraction of the time.
 */
function compact(X: SparseRows, dim: number, minCount = 1): { used: Int32Array; rows: SparseRows } {
  const n = X.offsets.length - 1;
  const count = new Int32Array(dim);
  const last = new Int32Array(dim).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let j = X.offsets[i]; j < X.offsets[i + 1]; j++) {
      const b = X.idx[j];
      if (last[b] !== i) {
        last[b] = i;
        count[b]++;
      }
    }
  }
  const list: number[] = [];
  for (let b = 0; b < dim; b++) if (count[b] >= minCount && count[b] > 0) list.push(b);
  list.sort((a, b) => count[b] - count[a] || a - b);
  const used = Int32Array.from(list);
  const slot = new Int32Array(dim).fill(-1);
  for (let m = 0; m < used.length; m++) slot[used[m]] = m;
  // Rows keep their values (normalised over all features, as at inference); dropped buckets are omitted.
  const offsets = new Int32Array(n + 1);
  let kept = 0;
  for (let j = 0; j < X.idx.length; j++) if (slot[X.idx[j]] >= 0) kept++;
  const idx = new Int32Array(kept);
  const val = new Float64Array(kept);
  let p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = X.offsets[i]; j < X.offsets[i + 1]; j++) {
      const m = slot[X.idx[j]];
      if (m < 0) continue;
      idx[p] = m;
      val[p++] = X.val[j];
    }
    offsets[i + 1] = p;
  }
  return { used, rows: { offsets, idx, val } };
}

/**
 * Fits the model; returns parameters W (dim*K, feature-major) followed by b (K).
 * `targets` holds one probability distribution per row (n*K): one-hot for hard labels, or soft labels
 * such as annotator vote shares.
 */
export function trainSoftmax(X: SparseRows, targets: Float64Array, w: Float64Array, opt: TrainOptions): Float64Array {
  const { K, dim, l2 } = opt;
  const { used, rows } = compact(X, dim, opt.minCount);
  const { offsets, idx, val } = rows;
  const D = used.length;
  const P = D * K + K;
  const n = w.length;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += w[i];
  const z = new Float64Array(K);

  const generic = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const bOff = D * K;
    for (let i = 0; i < n; i++) {
      const s = offsets[i];
      const e = offsets[i + 1];
      for (let k = 0; k < K; k++) z[k] = theta[bOff + k];
      for (let j = s; j < e; j++) {
        const base = idx[j] * K;
        const v = val[j];
        for (let k = 0; k < K; k++) z[k] += theta[base + k] * v;
      }
      let m = z[0];
      for (let k = 1; k < K; k++) if (z[k] > m) m = z[k];
      let sum = 0;
      for (let k = 0; k < K; k++) {
        z[k] = Math.exp(z[k] - m);
        sum += z[k];
      }
      const wi = w[i] / wsum;
      const logSum = Math.log(sum);
      for (let k = 0; k < K; k++) {
        const t = targets[i * K + k];
        // CE = -sum_k t_k log p_k, with log p_k = log z_k - log sum (z already shifted by m).
        if (t !== 0) loss -= wi * t * (Math.log(z[k]) - logSum);
        z[k] = wi * (z[k] / sum - t);
      }
      for (let j = s; j < e; j++) {
        const base = idx[j] * K;
        const v = val[j];
        for (let k = 0; k < K; k++) grad[base + k] += z[k] * v;
      }
      for (let k = 0; k < K; k++) grad[bOff + k] += z[k];
    }
    let reg = 0;
    for (let p = 0; p < bOff; p++) {
      reg += theta[p] * theta[p];
      grad[p] += l2 * theta[p];
    }
    return loss + 0.5 * l2 * reg;
  };

  // The same computation for K = 3 with the class loop unrolled (about twice as fast); the operations
  // and their order per class are identical to `generic`.
  const three = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const bOff = D * 3;
    for (let i = 0; i < n; i++) {
      const s = offsets[i];
      const e = offsets[i + 1];
      let z0 = theta[bOff];
      let z1 = theta[bOff + 1];
      let z2 = theta[bOff + 2];
      for (let j = s; j < e; j++) {
        const base = idx[j] * 3;
        const v = val[j];
        z0 += theta[base] * v * sc[base];
        z1 += theta[base + 1] * v * sc[base + 1];
        z2 += theta[base + 2] * v * sc[base + 2];
      }
      let m = z0;
      if (z1 > m) m = z1;
      if (z2 > m) m = z2;
      z0 = Math.exp(z0 - m);
      z1 = Math.exp(z1 - m);
      z2 = Math.exp(z2 - m);
      const sum = z0 + z1 + z2;
      const wi = w[i] / wsum;
      const logSum = Math.log(sum);
      const t0 = targets[i * 3];
      const t1 = targets[i * 3 + 1];
      const t2 = targets[i * 3 + 2];
      if (t0 !== 0) loss -= wi * t0 * (Math.log(z0) - logSum);
      if (t1 !== 0) loss -= wi * t1 * (Math.log(z1) - logSum);
      if (t2 !== 0) loss -= wi * t2 * (Math.log(z2) - logSum);
      const g0 = wi * (z0 / sum - t0);
      const g1 = wi * (z1 / sum - t1);
      const g2 = wi * (z2 / sum - t2);
      for (let j = s; j < e; j++) {
        const base = idx[j] * 3;
        const v = val[j];
        grad[base] += g0 * v * sc[base];
        grad[base + 1] += g1 * v * sc[base + 1];
        grad[base + 2] += g2 * v * sc[base + 2];
      }
      grad[bOff] += g0;
      grad[bOff + 1] += g1;
      grad[bOff + 2] += g2;
    }
    let reg = 0;
    for (let p = 0; p < bOff; p++) {
      reg += theta[p] * theta[p];
      grad[p] += l2 * theta[p];
    }
    return loss + 0.5 * l2 * reg;
  };
  // Per-parameter scale in the compacted layout (1 everywhere without opt.scale: x * 1 === x exactly,
  // so an unscaled fit is bit-for-bit what it was before the option existed).
  const sc = new Float64Array(D * K).fill(1);
  if (opt.scale) {
    if (K !== 3) throw new Error('trainSoftmax: scale is supported for K = 3 only');
    for (let d = 0; d < D; d++) for (let k = 0; k < K; k++) sc[d * K + k] = opt.scale[used[d] * K + k];
  }
  const objective = K === 3 ? three : generic;

  const x = lbfgs(objective, new Float64Array(P), opt.maxIter, opt.memory ?? 8, opt.log);
  const out = new Float64Array(dim * K + K);
  for (let d = 0; d < D; d++) for (let k = 0; k < K; k++) out[used[d] * K + k] = x[d * K + k] * sc[d * K + k];
  for (let k = 0; k < K; k++) out[dim * K + k] = x[D * K + k];
  return out;
}

/**
 * Binary logistic regression (one sigmoid output) with L2: the same objective as a two-class softmax
 * with one column pinned at zero. `targets` holds P(positive) per row (0 or 1, or a soft label).
 * Returns weights (dim) followed by the bias.
 */
export function trainLogistic(X: SparseRows, targets: Float64Array, w: Float64Array, opt: Omit<TrainOptions, 'K'>): Float64Array {
  const { dim, l2 } = opt;
  const { used, rows } = compact(X, dim, opt.minCount);
  const { offsets, idx, val } = rows;
  const D = used.length;
  const n = w.length;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += w[i];

  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const s = offsets[i];
      const e = offsets[i + 1];
      let z = theta[D];
      for (let j = s; j < e; j++) z += theta[idx[j]] * val[j];
      const t = targets[i];
      const wi = w[i] / wsum;
      // log(1 + e^z) computed stably; CE = log(1 + e^z) - t z.
      const sp = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      loss += wi * (sp - t * z);
      const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      const g = wi * (p - t);
      for (let j = s; j < e; j++) grad[idx[j]] += g * val[j];
      grad[D] += g;
    }
    let reg = 0;
    for (let p = 0; p < D; p++) {
      reg += theta[p] * theta[p];
      grad[p] += l2 * theta[p];
    }
    return loss + 0.5 * l2 * reg;
  };

  const x = lbfgs(objective, new Float64Array(D + 1), opt.maxIter, opt.memory ?? 8, opt.log);
  const out = new Float64Array(dim + 1);
  for (let d = 0; d < D; d++) out[used[d]] = x[d];
  out[dim] = x[D];
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Minimises f with L-BFGS (two-loop recursion) and a backtracking Armijo line search. */
export function lbfgs(
  f: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  maxIter: number,
  m: number,
  log?: (msg: string) => void,
): Float64Array {
  const P = x0.length;
  const x = Float64Array.from(x0);
  let g = new Float64Array(P);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(P);
  const xNew = new Float64Array(P);
  let gNew = new Float64Array(P);
  const alpha = new Float64Array(m);

  for (let iter = 0; iter < maxIter; iter++) {
    // d = -H g via the two-loop recursion.
    for (let i = 0; i < P; i++) d[i] = -g[i];
    for (let j = S.length - 1; j >= 0; j--) {
      const a = rho[j] * dot(S[j], d);
      alpha[j] = a;
      const yj = Y[j];
      for (let i = 0; i < P; i++) d[i] -= a * yj[i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < P; i++) d[i] *= gamma;
    }
    for (let j = 0; j < S.length; j++) {
      const b = rho[j] * dot(Y[j], d);
      const sj = S[j];
      const c = alpha[j] - b;
      for (let i = 0; i < P; i++) d[i] += c * sj[i];
    }
    let gd = dot(g, d);
    if (gd >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < P; i++) d[i] = -g[i];
      gd = dot(g, d);
    }
    let step = S.length === 0 ? 1 / Math.sqrt(Math.max(dot(g, g), 1e-300)) : 1;
    let fNew = 0;
    let accepted = false;
    for (let ls = 0; ls < 30; ls++) {
      for (let i = 0; i < P; i++) xNew[i] = x[i] + step * d[i];
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * gd) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      log?.(`lbfgs: line search failed at iter ${iter}; stopping`);
      break;
    }
    const s = S.length === m ? S.shift()! : new Float64Array(P);
    const yv = Y.length === m ? Y.shift()! : new Float64Array(P);
    if (rho.length === m) rho.shift();
    for (let i = 0; i < P; i++) {
      s[i] = xNew[i] - x[i];
      yv[i] = gNew[i] - g[i];
    }
    const sy = dot(s, yv);
    x.set(xNew);
    const tmp = g;
    g = gNew;
    gNew = tmp;
    const rel = Math.abs(fx - fNew) / Math.max(Math.abs(fx), 1e-12);
    fx = fNew;
    if (sy > 1e-12) {
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    if (log && (iter % 20 === 0 || iter === maxIter - 1)) log(`lbfgs iter ${iter} loss ${fx.toFixed(6)}`);
    if (rel < 1e-9) break;
  }
  return x;
}
