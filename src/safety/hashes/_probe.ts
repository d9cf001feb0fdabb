import { PdqIndex } from './pdq-index.js';
import { randomFillSync } from 'node:crypto';
const N = Number(process.env.N ?? 1_000_000);
const a = new PdqIndex();
const buf = new Uint8Array(32 * 65536);
let t0 = performance.now();
for (let done = 0; done < N; ) { randomFillSync(buf); const k = Math.min(65536, N - done); for (let i = 0; i < k; i++) { a.add(buf, i * 32);} done += k; }
console.log('insert/s', (N / (performance.now() - t0) * 1000).toFixed(0), (a.memoryBytes() / 1e6).toFixed(0), 'MB');
const qs = Array.from({length: 1000}, () => randomFillSync(new Uint8Array(32)));
const run = (label: string) => { for (let rep = 0; rep < 2; rep++) {
const c0 = process.cpuUsage();
for (let i = 0; i < 1000; i++) a.search(qs[i], 31);
const c1 = process.cpuUsage(c0);
console.log(label, ((c1.user+c1.system) / 1000).toFixed(1), 'us cpu/search');
}};
run('overflow');
t0 = performance.now(); a.compact(); console.log('compact ms', (performance.now() - t0).toFixed(0), (a.memoryBytes() / 1e6).toFixed(0), 'MB');
run('base');
{ const c0 = process.cpuUsage(); for (let i = 0; i < 1000; i++) a.search(qs[0], 31); const c1 = process.cpuUsage(c0); console.log('cached', ((c1.user+c1.system) / 1000).toFixed(1)); }
{ const c0 = process.cpuUsage(); for (let i = 0; i < 1000; i++) a.search(qs[0], 15); const c1 = process.cpuUsage(c0); console.log('cached t15', ((c1.user+c1.system) / 1000).toFixed(1)); }
{ const c0 = process.cpuUsage(); for (let i = 0; i < 1000; i++) a.search(qs[i], 15); const c1 = process.cpuUsage(c0); console.log('t15', ((c1.user+c1.system) / 1000).toFixed(1)); }
