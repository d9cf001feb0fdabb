/**
 * Multinomial logistic regression with L2, fitted by full-batch L-BFGS in plain TypeScript.
 *
 * Why full-batch L-BFGS rather than SGD: the objective is convex, so L-BFGS reaches (near) the one
 * optimum whatever the data order, and the result depends only on the data, the L2 strength and the
 * iteration count. Every sum runs in a fixed order over Float64Arrays, so the same inputs give the
 * same bits on the same JavaScript engine; there is no randomness at all.
 *
 * Objective: (1 / sum w_i) * sum_i w_i * CE(softmax(W x_i + b), y_i) + (l2 / 2) * ||W||^2 (bias not
 * penalised). Per-example weights w_i carry class balancing and the dataset mixture.
 */

import { extractFeatures, FeatureBuffer, type FeatureConfig } from './features.js';
import { prepareText } from './prep.js';

/** Sparse design matrix in CSR form. */
export interface SparseRows {
  offsets: Int32Array; // length n + 1
  idx: Int32Array;
  val: Float64Array;
}

export interface TrainExample {
  text: string;
  /** class index in [0, K) */
  y: number;
  weight: number;
}

export function buildRows(texts: string[], cfg: FeatureConfig): SparseRows {
  const buf = new FeatureBuffer();
  const offsets = new Int32Array(texts.length + 1);
  const parts: { idx: Int32Array; val: Float64Array }[] = [];
  let total = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = extractFeatures(prepareText(texts[i]), cfg, buf);
    parts.push({ idx: buf.idx.slice(0, n), val: buf.val.slice(0, n) });
    total += n;
    offsets[i + 1] = total;
  }
  const idx = new Int32Array(total);
  const val = new Float64Array(total);
  for (let i = 0; i < parts.length; i++) {
    idx.set(parts[i].idx, offsets[i]);
    val.set(parts[i].val, offsets[i]);
  }
  return { offsets, idx, val };
}

export interface TrainOptions {
  K: number;
  dim: number;
  l2: number;
  maxIter: number;
  /** L-BFGS history length. */
  memory?: number;
  log?: (msg: string) => void;
}

/**
 * Fits the model; returns parameters W (dim*K, feature-major) followed by b (K).
 * `targets` holds one probability distribution per row (n*K): one-hot for hard labels, or soft labels
 * such as annotator vote shares.
 */
export function trainSoftmax(X: SparseRows, targets: Float64Array, w: Float64Array, opt: TrainOptions): Float64Array {
  const { K, dim, l2 } = opt;
  const P = dim * K + K;
  const n = w.length;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += w[i];
  const z = new Float64Array(K);

  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const bOff = dim * K;
    for (let i = 0; i < n; i++) {
      const s = X.offsets[i];
      const e = X.offsets[i + 1];
      for (let k = 0; k < K; k++) z[k] = theta[bOff + k];
      for (let j = s; j < e; j++) {
        const base = X.idx[j] * K;
        const v = X.val[j];
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
        const base = X.idx[j] * K;
        const v = X.val[j];
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

  return lbfgs(objective, new Float64Array(P), opt.maxIter, opt.memory ?? 8, opt.log);
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
