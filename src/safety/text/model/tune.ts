/**
 * Threshold tuning: the documented procedure behind the thresholds in the model file. Training calls it
 * on out-of-fold cross-validation predictions for the train splits together with the dev splits, so a
 * threshold rests on ~20,000 Davidson tweets and ~3,000 HateCheck cases rather than on dev alone.
 *
 * Davidson (three-way): label = hate if p(hate) >= tHate, else offensive if p(offensive) >= tOff,
 * else none. Grid search tHate, tOff over 0.01..0.99 (step 0.01) maximising macro F1 subject to hate
 * recall >= minHateRecall; ties go to the lowest tHate then lowest tOff (favouring recall).
 * HateCheck (binary): hateful if p(identity_hate) >= t. Grid search t maximising accuracy subject to
 * every functionality present having accuracy >= minFunctionality; if no threshold meets that, the
 * same with 0.5; if none meets that either, maximise the mean of per-functionality accuracies (each
 * functionality counts equally, so the non-hateful contrast functionalities are not sacrificed to the
 * more numerous hateful ones). Among equally good thresholds the median is taken, so the choice sits in
 * the middle of a plateau rather than on an edge.
 */

const GRID: number[] = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

function macroF1(tp: number[], fp: number[], fn: number[]): number {
  let s = 0;
  for (let k = 0; k < tp.length; k++) {
    const p = tp[k] + fp[k] === 0 ? 0 : tp[k] / (tp[k] + fp[k]);
    const r = tp[k] + fn[k] === 0 ? 0 : tp[k] / (tp[k] + fn[k]);
    s += p + r === 0 ? 0 : (2 * p * r) / (p + r);
  }
  return s / tp.length;
}

export interface DavidsonTuning {
  hate: number;
  offensive: number;
  /** Macro F1 and hate precision / recall at the chosen thresholds on the tuning rows. */
  macroF1: number;
  hatePrecision: number;
  hateRecall: number;
}

export function tuneDavidson(scores: { hate: number; offensive: number }[], labels: string[], minHateRecall: number): DavidsonTuning {
  const cls = ['hate', 'offensive', 'none'];
  const gold = labels.map((l) => cls.indexOf(l));
  const ph = scores.map((s) => s.hate);
  const po = scores.map((s) => s.offensive);
  const nHate = gold.filter((g) => g === 0).length;
  let best = { hate: 0.5, offensive: 0.5, f1: -1, ok: false, recall: -1, precision: 0 };
  for (const th of GRID) {
    for (const to of GRID) {
      const tp = [0, 0, 0];
      const fp = [0, 0, 0];
      const fn = [0, 0, 0];
      for (let i = 0; i < gold.length; i++) {
        const pred = ph[i] >= th ? 0 : po[i] >= to ? 1 : 2;
        if (pred === gold[i]) tp[pred]++;
        else {
          fp[pred]++;
          fn[gold[i]]++;
        }
      }
      const recall = nHate === 0 ? 1 : tp[0] / nHate;
      const precision = tp[0] + fp[0] === 0 ? 0 : tp[0] / (tp[0] + fp[0]);
      const ok = recall >= minHateRecall;
      const f1 = macroF1(tp, fp, fn);
      // Feasible beats infeasible; among feasible, higher macro F1; among infeasible, higher recall.
      const better = ok
        ? !best.ok || f1 > best.f1
        : !best.ok && (recall > best.recall || (recall === best.recall && f1 > best.f1));
      if (better) best = { hate: th, offensive: to, f1, ok, recall, precision };
    }
  }
  return { hate: best.hate, offensive: best.offensive, macroF1: best.f1, hatePrecision: best.precision, hateRecall: best.recall };
}

export interface HatecheckTuning {
  threshold: number;
  /** Accuracy, worst functionality and per-functionality accuracy at the threshold on the tuning rows. */
  accuracy: number;
  minFunctionality: number;
  perFunctionality: Record<string, number>;
  /** Which rule chose it: 'accuracy@min>=X' or 'mean-functionality'. */
  rule: string;
}

export function tuneHatecheck(pHate: number[], labels: string[], functionalities: string[], minFunctionality = 0.5): HatecheckTuning {
  const funcs = [...new Set(functionalities)].sort();
  const rows: { t: number; acc: number; minF: number; meanF: number; per: Record<string, number> }[] = [];
  for (const t of GRID) {
    let correct = 0;
    const fc = new Map<string, [number, number]>();
    for (let i = 0; i < labels.length; i++) {
      const ok = (pHate[i] >= t ? 'hateful' : 'non-hateful') === labels[i];
      if (ok) correct++;
      const c = fc.get(functionalities[i]) ?? [0, 0];
      c[0] += ok ? 1 : 0;
      c[1]++;
      fc.set(functionalities[i], c);
    }
    let minF = 1;
    let sumF = 0;
    const per: Record<string, number> = {};
    for (const f of funcs) {
      const c = fc.get(f)!;
      per[f] = c[0] / c[1];
      minF = Math.min(minF, per[f]);
      sumF += per[f];
    }
    rows.push({ t, acc: correct / Math.max(1, labels.length), minF, meanF: sumF / Math.max(1, funcs.length), per });
  }
  const pick = (pool: typeof rows, key: (r: (typeof rows)[0]) => number) => {
    const bestVal = Math.max(...pool.map(key));
    const best = pool.filter((r) => key(r) === bestVal);
    return best[Math.floor((best.length - 1) / 2)];
  };
  for (const floor of [...new Set([minFunctionality, 0.5])]) {
    const feasible = rows.filter((r) => r.minF >= floor);
    if (feasible.length > 0) {
      const r = pick(feasible, (x) => x.acc);
      return { threshold: r.t, accuracy: r.acc, minFunctionality: r.minF, perFunctionality: r.per, rule: `accuracy@min>=${floor}` };
    }
  }
  const r = pick(rows, (x) => x.meanF);
  return { threshold: r.t, accuracy: r.acc, minFunctionality: r.minF, perFunctionality: r.per, rule: 'mean-functionality' };
}
