/**
 * Classification metrics with bootstrap confidence intervals, for scripts/eval.ts and the model card.
 *
 * Intervals are percentile bootstraps (2.5th and 97.5th of B resamples) with a fixed-seed PRNG, so
 * the printed numbers are reproducible. Resampling is by cluster: whole groups are drawn with
 * replacement. That matters for HateCheck, whose cases come in template families that succeed or fail
 * together; for Davidson each tweet is its own group, which reduces to the ordinary bootstrap.
 */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Report {
  perClass: Record<string, ClassMetrics>;
  macroF1: number;
  accuracy: number;
  n: number;
}

/** mulberry32: a tiny, well-known 32-bit PRNG; deterministic for a given seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Metrics over the rows listed in `rows` (indices may repeat, as in a bootstrap sample). */
export function report(gold: string[], pred: string[], classes: string[], rows?: number[]): Report {
  const idx = rows ?? gold.map((_, i) => i);
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  for (const c of classes) {
    tp.set(c, 0);
    fp.set(c, 0);
    fn.set(c, 0);
  }
  let correct = 0;
  for (const i of idx) {
    const g = gold[i];
    const p = pred[i];
    if (g === p) {
      correct++;
      tp.set(g, (tp.get(g) ?? 0) + 1);
    } else {
      fp.set(p, (fp.get(p) ?? 0) + 1);
      fn.set(g, (fn.get(g) ?? 0) + 1);
    }
  }
  const perClass: Record<string, ClassMetrics> = {};
  let sumF1 = 0;
  for (const c of classes) {
    const t = tp.get(c)!;
    const precision = t + fp.get(c)! === 0 ? 0 : t / (t + fp.get(c)!);
    const recall = t + fn.get(c)! === 0 ? 0 : t / (t + fn.get(c)!);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[c] = { precision, recall, f1, support: t + fn.get(c)! };
    sumF1 += f1;
  }
  return { perClass, macroF1: sumF1 / classes.length, accuracy: idx.length === 0 ? 0 : correct / idx.length, n: idx.length };
}

export type Interval = [number, number];

/** A point estimate with its 95 % bootstrap interval. */
export interface Estimate {
  value: number;
  ci95: Interval;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Cluster bootstrap over `groups`: returns every metric of `report` as an Estimate, plus the raw
 * report. `extra` computes further statistics (e.g. a per-subset accuracy) on each resample.
 */
export function bootstrap(
  gold: string[],
  pred: string[],
  groups: string[],
  classes: string[],
  opts: { resamples?: number; seed?: number } = {},
): { perClass: Record<string, Record<'precision' | 'recall' | 'f1', Estimate>>; macroF1: Estimate; accuracy: Estimate; n: number } {
  const B = opts.resamples ?? 1000;
  const rand = mulberry32(opts.seed ?? 20170305);
  const byGroup = new Map<string, number[]>();
  gold.forEach((_, i) => {
    const g = groups[i];
    const list = byGroup.get(g);
    if (list) list.push(i);
    else byGroup.set(g, [i]);
  });
  const clusters = [...byGroup.values()];
  const base = report(gold, pred, classes);
  const samples: Report[] = [];
  for (let b = 0; b < B; b++) {
    const rows: number[] = [];
    for (let c = 0; c < clusters.length; c++) rows.push(...clusters[Math.floor(rand() * clusters.length)]);
    samples.push(report(gold, pred, classes, rows));
  }
  const est = (value: number, get: (r: Report) => number): Estimate => {
    const xs = samples.map(get).sort((a, b) => a - b);
    return { value, ci95: [percentile(xs, 0.025), percentile(xs, 0.975)] };
  };
  const perClass: Record<string, Record<'precision' | 'recall' | 'f1', Estimate>> = {};
  for (const c of classes) {
    perClass[c] = {
      precision: est(base.perClass[c].precision, (r) => r.perClass[c].precision),
      recall: est(base.perClass[c].recall, (r) => r.perClass[c].recall),
      f1: est(base.perClass[c].f1, (r) => r.perClass[c].f1),
    };
  }
  return { perClass, macroF1: est(base.macroF1, (r) => r.macroF1), accuracy: est(base.accuracy, (r) => r.accuracy), n: base.n };
}
