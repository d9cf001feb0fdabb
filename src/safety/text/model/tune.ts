/**
 * Threshold tuning on dev splits: the documented procedure behind the thresholds in the model file.
 *
 * Davidson (three-way): label = hate if p(hate) >= tHate, else offensive if p(offensive) >= tOff,
 * else none. Grid search tHate, tOff over 0.01..0.99 (step 0.01) maximising macro F1 subject to hate
 * recall >= minHateRecall; ties go to the lowest tHate then lowest tOff (favouring recall).
 * HateCheck (binary): hateful if p(identity_hate) >= t. Grid search t maximising accuracy subject to
 * every functionality present having accuracy >= 0.5. If no threshold meets that, maximise the mean of
 * per-functionality accuracies instead (each functionality counts equally, so the non-hateful contrast
 * functionalities are not sacrificed to the more numerous hateful ones). Among equally good thresholds
 * the median is taken, so the choice sits in the middle of a plateau rather than on an edge.
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

export function tuneDavidson(
  scores: Record<string, number>[],
  labels: string[],
  minHateRecall: number,
): { hate: number; offensive: number } {
  const cls = ['hate', 'offensive', 'none'];
  const gold = labels.map((l) => cls.indexOf(l));
  const ph = scores.map((s) => s.hate);
  const po = scores.map((s) => s.offensive);
  const nHate = gold.filter((g) => g === 0).length;
  let best = { hate: 0.5, offensive: 0.5, f1: -1, ok: false, recall: -1 };
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
      const ok = recall >= minHateRecall;
      const f1 = macroF1(tp, fp, fn);
      // Feasible beats infeasible; among feasible, higher macro F1; among infeasible, higher recall.
      const better = ok
        ? !best.ok || f1 > best.f1
        : !best.ok && (recall > best.recall || (recall === best.recall && f1 > best.f1));
      if (better) best = { hate: th, offensive: to, f1, ok, recall };
    }
  }
  return { hate: best.hate, offensive: best.offensive };
}

export function tuneHatecheck(pHate: number[], labels: string[], functionalities: string[]): number {
  const funcs = [...new Set(functionalities)].sort();
  const rows: { t: number; acc: number; minF: number; meanF: number }[] = [];
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
    for (const f of funcs) {
      const c = fc.get(f)!;
      minF = Math.min(minF, c[0] / c[1]);
      sumF += c[0] / c[1];
    }
    rows.push({ t, acc: correct / Math.max(1, labels.length), minF, meanF: sumF / Math.max(1, funcs.length) });
  }
  const feasible = rows.filter((r) => r.minF >= 0.5);
  const pool = feasible.length > 0 ? feasible : rows;
  const key = (r: { acc: number; meanF: number }) => (feasible.length > 0 ? r.acc : r.meanF);
  const bestVal = Math.max(...pool.map(key));
  const best = pool.filter((r) => key(r) === bestVal);
  return best[Math.floor((best.length - 1) / 2)].t;
}
