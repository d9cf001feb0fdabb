import { PdqIndex, STATS } from './_exp.js';
import { randomFillSync } from 'node:crypto';
const N = Number(process.env.N ?? 1_000_000);
const a = new PdqIndex();
const buf = new Uint8Array(32 * 65536);
for (let done = 0; done < N; ) { randomFillSync(buf); const k = Math.min(65536, N - done); for (let i = 0; i < k; i++) { a.add(buf, i * 32);} done += k; }
const qs = Array.from({length: 1000}, () => randomFillSync(new Uint8Array(32)));
for (let rep = 0; rep < 3; rep++) {
const c0 = process.cpuUsage();
for (let i = 0; i < 1000; i++) a.search(qs[i], 31);
const c1 = process.cpuUsage(c0);
console.log(((c1.user+c1.system) / 1000).toFixed(1), 'us cpu/search', STATS.blocks/STATS.searches, STATS.postings/STATS.searches, STATS.cands/STATS.searches);
}
for (let rep = 0; rep < 3; rep++) {
const c0 = process.cpuUsage();
for (let i = 0; i < 1000; i++) a.search(qs[0], 31);
const c1 = process.cpuUsage(c0);
console.log('same query', ((c1.user+c1.system) / 1000).toFixed(1), 'us cpu/search');
}
