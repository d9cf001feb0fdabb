/**
 * bench bank: the PDQ hash-bank index at scale. Builds an index of BANK_BENCH_SIZE (default 10,000,000)
 * random PDQ hashes with near-duplicates planted at distances 0..31 (plus decoys at 32..40): all but the
 * last BANK_BENCH_INCREMENTAL (default 100,000) bulk-loaded and compacted, the rest added one by one.
 * Measures insert rates, lookup latency at threshold 31 (per variant and per media = 8 dihedral variants;
 * wall and CPU time), memory, planted recall, and recall against brute force over every stored hash.
 * The hash stream comes from a seeded generator, so brute force regenerates it rather than trusting the
 * index's own storage. Writes bench/results/bank.json.
 * Env: BANK_BENCH_SIZE, BANK_BENCH_QUERIES (default 2000), BANK_BENCH_BRUTE (queries brute-forced, 20),
 * BANK_BENCH_LAYER_SIZE (entries for the bank-layer section, default 1,000,000; 0 skips it).
 * Run: node --expose-gc --import tsx bench/run.ts bank
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addBank, addEntry, beginBulkLoad, compactBanks, createBankSet, matchMedia, PdqIndex, type PdqMatch } from '../src/safety/hashes/index.js';

const THRESHOLD = 31;
const VARIANTS = 8;
const BATCH = 65_536;

/** xorshift128: fast, seeded, good enough to make hash bits look independent. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1, y = 362436069, z = 521288629, w = 88675123;
  return () => {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return w;
  };
}

/** Fills the first `bytes` bytes (a multiple of 4) of `out`. */
function fillRandom(next: () => number, out: Uint8Array, bytes: number): void {
  for (let i = 0; i < bytes / 4; i++) {
    const v = next();
    const p = i * 4;
    out[p] = v >>> 24;
    out[p + 1] = (v >>> 16) & 0xff;
    out[p + 2] = (v >>> 8) & 0xff;
    out[p + 3] = v & 0xff;
  }
}

function flip(h: Uint8Array, d: number, next: () => number): Uint8Array {
  const out = Uint8Array.from(h);
  const bits = new Uint16Array(256).map((_, i) => i);
  for (let i = 0; i < d; i++) {
    const j = i + (next() % (256 - i));
    const b = bits[j];
    bits[j] = bits[i];
    bits[i] = b;
    out[b >>> 3] ^= 1 << (b & 7);
  }
  return out;
}

/** Written out here rather than imported, so the brute force shares no code with the index. */
function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const mib = (b: number) => round(b / 2 ** 20, 1);

async function benchIndex(): Promise<Record<string, unknown>> {
  const size = Number(process.env.BANK_BENCH_SIZE ?? 10_000_000);
  const queryCount = Number(process.env.BANK_BENCH_QUERIES ?? 2000);
  const bruteCount = Math.min(queryCount, Number(process.env.BANK_BENCH_BRUTE ?? 20));
  const seed = 20261123;

  // Queries: 8 unrelated variant hashes each. Plants: two neighbours at 0..31 and one decoy at 32..40,
  // each near a random variant, at random positions in the stream.
  const qNext = generator(seed ^ 0x5bd1e995);
  const queries: Uint8Array[][] = [];
  const planted = new Map<number, Uint8Array>();
  const plantsOf: { query: number; variant: number; position: number; distance: number }[] = [];
  for (let q = 0; q < queryCount; q++) {
    const variants: Uint8Array[] = [];
    for (let v = 0; v < VARIANTS; v++) {
      const h = new Uint8Array(32);
      fillRandom(qNext, h, 32);
      variants.push(h);
    }
    queries.push(variants);
    for (const d of [qNext() % 32, qNext() % 32, 32 + (qNext() % 9)]) {
      const variant = qNext() % VARIANTS;
      let position = qNext() % size;
      while (planted.has(position)) position = (position + 1) % size;
      planted.set(position, flip(variants[variant], d, qNext));
      plantsOf.push({ query: q, variant, position, distance: d });
    }
  }

  /** The stored stream, batch by batch: random hashes with the planted ones at their positions. */
  function* stream(): Generator<[Uint8Array, number, number]> {
    const next = generator(seed);
    const buf = new Uint8Array(32 * BATCH);
    for (let first = 0; first < size; first += BATCH) {
      const n = Math.min(BATCH, size - first);
      fillRandom(next, buf, n * 32);
      for (let i = 0; i < n; i++) {
        const p = planted.get(first + i);
        if (p) buf.set(p, i * 32);
      }
      yield [buf, first, n];
    }
  }

  // Build as a server would: bulk-load all but the last `incremental` hashes with postings deferred,
  // compact once, then add the rest one by one (the overflow path), as live additions would arrive.
  const incremental = Math.min(size, Number(process.env.BANK_BENCH_INCREMENTAL ?? 100_000));
  const bulk = size - incremental;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const index = new PdqIndex();
  index.deferPostings();
  let genMs = 0;
  let bulkMs = 0;
  let incrementalMs = 0;
  let compactMs = 0;
  let rssBeforeCompact = 0;
  const out: PdqMatch[] = [];
  const compactedSample = Math.min(200, queryCount);
  const compactedMedia = new Float64Array(compactedSample);
  const compactedMediaCpu = new Float64Array(compactedSample);
  const cpuBuild = process.cpuUsage();
  let t = performance.now();
  for (const [buf, first, n] of stream()) {
    const t1 = performance.now();
    genMs += t1 - t;
    for (let i = 0; i < n; i++) {
      if (first + i === bulk) {
        const t2 = performance.now();
        bulkMs += t2 - t1;
        rssBeforeCompact = process.memoryUsage().rss;
        index.compact();
        const t3 = performance.now();
        compactMs = t3 - t2;
        // A sample of lookups on the freshly compacted index (no overflow yet).
        for (let q = 0; q < compactedSample; q++) {
          out.length = 0;
          const c0 = process.cpuUsage();
          const m0 = performance.now();
          for (const v of queries[q]) index.searchInto(v, THRESHOLD, out);
          compactedMedia[q] = performance.now() - m0;
          const c1 = process.cpuUsage(c0);
          compactedMediaCpu[q] = (c1.user + c1.system) / 1000;
        }
        t = performance.now();
        for (let j = i; j < n; j++) index.add(buf, j * 32);
        incrementalMs += performance.now() - t;
        break;
      }
      index.add(buf, i * 32);
    }
    t = performance.now();
    if (first + n <= bulk) bulkMs += t - t1;
    else if (first > bulk) incrementalMs += t - t1;
  }
  if (bulk === size) {
    const t2 = performance.now();
    rssBeforeCompact = process.memoryUsage().rss;
    index.compact();
    compactMs = performance.now() - t2;
  }
  compactedMedia.sort();
  compactedMediaCpu.sort();
  const buildCpu = process.cpuUsage(cpuBuild);
  const rssAfterBuild = process.memoryUsage().rss;
  global.gc?.();
  const rssAfterGc = global.gc ? process.memoryUsage().rss : null;

  // Lookups: warm up, then time every variant search and every 8-variant media lookup.
  for (let q = 0; q < Math.min(50, queryCount); q++) for (const v of queries[q]) index.searchInto(v, THRESHOLD, out);
  const perVariant = new Float64Array(queryCount * VARIANTS);
  const perMedia = new Float64Array(queryCount);
  // CPU time per media as well: on a shared machine wall time includes time the process was not running.
  const perMediaCpu = new Float64Array(queryCount);
  const loadBefore = loadavg()[0];
  const found = new Map<number, Map<number, number>>(); // query -> id -> distance
  const cpuLookup = process.cpuUsage();
  const lookupStart = performance.now();
  for (let q = 0; q < queryCount; q++) {
    out.length = 0;
    const c0 = process.cpuUsage();
    const m0 = performance.now();
    let v0 = m0;
    for (let v = 0; v < VARIANTS; v++) {
      index.searchInto(queries[q][v], THRESHOLD, out);
      const v1 = performance.now();
      perVariant[q * VARIANTS + v] = v1 - v0;
      v0 = v1;
    }
    perMedia[q] = v0 - m0;
    const c1 = process.cpuUsage(c0);
    perMediaCpu[q] = (c1.user + c1.system) / 1000;
    const ids = new Map<number, number>();
    for (const m of out) ids.set(m.id, Math.min(m.distance, ids.get(m.id) ?? 256));
    found.set(q, ids);
  }
  const lookupWallMs = performance.now() - lookupStart;
  const lookupCpu = process.cpuUsage(cpuLookup);
  perVariant.sort();
  perMedia.sort();
  perMediaCpu.sort();
  const loadAfter = loadavg()[0];

  // Planted recall: every plant at distance <= 31 is found at its distance; no decoy is.
  let plantsWithin = 0;
  let plantsFound = 0;
  let decoysFound = 0;
  for (const p of plantsOf) {
    const hit = found.get(p.query)?.get(p.position);
    if (p.distance <= THRESHOLD) {
      plantsWithin++;
      if (hit !== undefined && hit <= p.distance) plantsFound++;
    } else if (hit !== undefined) decoysFound++;
  }

  // Brute-force recall: every stored hash against every variant of the first `bruteCount` queries.
  const bruteStart = performance.now();
  const expected = new Map<number, Map<number, number>>();
  for (let q = 0; q < bruteCount; q++) expected.set(q, new Map());
  const qWords = new Uint32Array(bruteCount * VARIANTS * 8);
  for (let q = 0; q < bruteCount; q++) {
    for (let v = 0; v < VARIANTS; v++) {
      const h = queries[q][v];
      for (let j = 0; j < 8; j++) qWords[(q * VARIANTS + v) * 8 + j] = ((h[4 * j] << 24) | (h[4 * j + 1] << 16) | (h[4 * j + 2] << 8) | h[4 * j + 3]) >>> 0;
    }
  }
  const w = new Uint32Array(8);
  const nq = bruteCount * VARIANTS;
  for (const [buf, first, n] of stream()) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 8; j++) {
        const p = i * 32 + 4 * j;
        w[j] = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
      }
      for (let k = 0; k < nq; k++) {
        const o = k * 8;
        let d = popcount32(w[0] ^ qWords[o]) + popcount32(w[1] ^ qWords[o + 1]) + popcount32(w[2] ^ qWords[o + 2]);
        if (d > THRESHOLD) continue;
        for (let j = 3; j < 8; j++) d += popcount32(w[j] ^ qWords[o + j]);
        if (d > THRESHOLD) continue;
        const m = expected.get((k / VARIANTS) | 0)!;
        m.set(first + i, Math.min(d, m.get(first + i) ?? 256));
      }
    }
  }
  const bruteMs = performance.now() - bruteStart;
  let bruteExpected = 0;
  let bruteAgreed = 0;
  let extra = 0;
  for (let q = 0; q < bruteCount; q++) {
    const want = expected.get(q)!;
    const got = found.get(q)!;
    bruteExpected += want.size;
    for (const [id, d] of want) if (got.get(id) === d) bruteAgreed++;
    for (const id of got.keys()) if (!want.has(id)) extra++;
  }

  const results = {
    size,
    threshold: THRESHOLD,
    queries: queryCount,
    variantsPerQuery: VARIANTS,
    bulkLoaded: bulk,
    bulkInsertPerSec: Math.round(bulk / ((bulkMs + compactMs) / 1000)),
    bulkAddSec: round(bulkMs / 1000, 1),
    compactSec: round(compactMs / 1000, 1),
    incrementalAdded: incremental,
    incrementalInsertPerSec: incremental === 0 ? null : Math.round(incremental / (incrementalMs / 1000)),
    buildCpuSec: round((buildCpu.user + buildCpu.system) / 1e6, 1),
    generateSec: round(genMs / 1000, 1),
    variantLookupMs: { p50: round(quantile(perVariant, 0.5)), p99: round(quantile(perVariant, 0.99)), max: round(perVariant[perVariant.length - 1]) },
    mediaLookupCpuMs: { p50: round(quantile(perMediaCpu, 0.5)), p99: round(quantile(perMediaCpu, 0.99)) },
    loadAverage1m: { beforeLookups: round(loadBefore, 1), afterLookups: round(loadAfter, 1) },
    mediaLookupMs: { p50: round(quantile(perMedia, 0.5)), p99: round(quantile(perMedia, 0.99)), max: round(perMedia[perMedia.length - 1]) },
    mediaLookupCompactedOnlyMs: {
      sample: compactedSample,
      p50: round(quantile(compactedMedia, 0.5)),
      p99: round(quantile(compactedMedia, 0.99)),
      cpuP50: round(quantile(compactedMediaCpu, 0.5)),
      cpuP99: round(quantile(compactedMediaCpu, 0.99)),
    },
    rssBeforeCompactMiB: mib(rssBeforeCompact),
    mediaLookupMeanWallMs: round(lookupWallMs / queryCount),
    mediaLookupMeanCpuMs: round((lookupCpu.user + lookupCpu.system) / 1000 / queryCount),
    indexTypedArrayMiB: mib(index.memoryBytes()),
    rssBeforeMiB: mib(rssBefore),
    rssAfterBuildMiB: mib(rssAfterBuild),
    rssAfterGcMiB: rssAfterGc === null ? null : mib(rssAfterGc),
    plantedRecall: plantsWithin === 0 ? null : round(plantsFound / plantsWithin, 4),
    plantsWithinThreshold: plantsWithin,
    decoysFound,
    bruteForceQueries: bruteCount,
    bruteForceMatches: bruteExpected,
    bruteForceRecall: bruteExpected === 0 ? null : round(bruteAgreed / bruteExpected, 4),
    extraMatchesNotInBruteForce: extra,
    bruteForceSec: round(bruteMs / 1000, 1),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    at: new Date().toISOString(),
  };

  console.table({
    'bulk load incl. compact (hashes/s)': { value: results.bulkInsertPerSec },
    'compact (s)': { value: results.compactSec },
    'incremental add (hashes/s)': { value: results.incrementalInsertPerSec },
    'lookup p50 per variant (ms)': { value: results.variantLookupMs.p50 },
    'lookup p99 per variant (ms)': { value: results.variantLookupMs.p99 },
    'lookup p50 per media, 8 variants (ms)': { value: results.mediaLookupMs.p50 },
    'lookup p99 per media, 8 variants (ms)': { value: results.mediaLookupMs.p99 },
    'lookup CPU p50 per media (ms)': { value: results.mediaLookupCpuMs.p50 },
    'lookup CPU p99 per media (ms)': { value: results.mediaLookupCpuMs.p99 },
    'load average during lookups': { value: `${results.loadAverage1m.beforeLookups} / ${results.loadAverage1m.afterLookups}` },
    'lookup p50 per media, compacted only (ms)': { value: results.mediaLookupCompactedOnlyMs.p50 },
    'lookup p99 per media, compacted only (ms)': { value: results.mediaLookupCompactedOnlyMs.p99 },
    'lookup CPU p50 / p99 per media, compacted only (ms)': { value: `${results.mediaLookupCompactedOnlyMs.cpuP50} / ${results.mediaLookupCompactedOnlyMs.cpuP99}` },
    'RSS after build (MiB)': { value: results.rssAfterBuildMiB },
    'RSS after GC (MiB)': { value: results.rssAfterGcMiB ?? 'run with --expose-gc' },
    'planted recall': { value: results.plantedRecall },
    'brute-force recall': { value: results.bruteForceRecall },
    'matches not in brute force': { value: results.extraMatchesNotInBruteForce },
  });
  return results;
}

/**
 * The bank layer on top (string entry ids, MD5 beside PDQ, 8-variant matchMedia with allow-list and
 * severity resolution) at BANK_BENCH_LAYER_SIZE entries (default 1,000,000): its per-entry memory and
 * its overhead over the raw index.
 */
async function benchBankLayer(size: number): Promise<Record<string, unknown>> {
  // Collect twice around a turn of the event loop: array buffers are released after the GC that finds them.
  global.gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  global.gc?.();
  const before = process.memoryUsage();
  const next = generator(7);
  const set = createBankSet();
  addBank(set, { id: 'known', name: 'known', action: 'quarantine_and_report' });
  addBank(set, { id: 'allow', name: 'allow', action: 'allow', pdqThreshold: 10 });
  beginBulkLoad(set);
  const pdq = new Uint8Array(32);
  const md5 = new Uint8Array(16);
  const planted: Uint8Array[] = [];
  const addStart = performance.now();
  for (let i = 0; i < size; i++) {
    fillRandom(next, pdq, 32);
    fillRandom(next, md5, 16);
    const allow = i % 1000 === 999; // one entry in a thousand is allow-listed
    if (!allow && i % Math.max(1, Math.floor(size / 500)) === 0 && planted.length < 500) planted.push(Uint8Array.from(pdq));
    addEntry(set, allow ? 'allow' : 'known', { entryId: `entry-${i}`, pdq, md5 });
  }
  const addMs = performance.now() - addStart;
  const compactStart = performance.now();
  compactBanks(set);
  const compactMs = performance.now() - compactStart;
  global.gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  global.gc?.();
  const after = process.memoryUsage();

  const times = new Float64Array(planted.length * 2);
  let hits = 0;
  for (let i = 0; i < times.length; i++) {
    const variants: Uint8Array[] = [];
    for (let v = 0; v < VARIANTS; v++) {
      const h = new Uint8Array(32);
      fillRandom(next, h, 32);
      variants.push(h);
    }
    if (i % 2 === 0) variants[i % VARIANTS] = flip(planted[i >> 1], next() % 32, next);
    fillRandom(next, md5, 16);
    const t0 = performance.now();
    const r = matchMedia(set, { pdq: { variants, quality: 100 }, md5 });
    times[i] = performance.now() - t0;
    if (r.matches.length > 0) hits++;
  }
  times.sort();
  const results = {
    size,
    addEntryPerSec: Math.round(size / (addMs / 1000)),
    compactSec: round(compactMs / 1000, 1),
    matchMediaMs: { p50: round(quantile(times, 0.5)), p99: round(quantile(times, 0.99)) },
    mediaWithMatches: hits,
    plantedMedia: times.length / 2,
    rssPerEntryBytes: Math.round((after.rss - before.rss) / size),
    heapPerEntryBytes: Math.round((after.heapUsed - before.heapUsed) / size),
    typedArrayPerEntryBytes: Math.round((after.arrayBuffers - before.arrayBuffers) / size),
  };
  console.table({
    'bank layer: addEntry (entries/s)': { value: results.addEntryPerSec },
    'bank layer: matchMedia p50 (ms)': { value: results.matchMediaMs.p50 },
    'bank layer: matchMedia p99 (ms)': { value: results.matchMediaMs.p99 },
    'bank layer: media matched / planted': { value: `${hits} / ${results.plantedMedia}` },
    'bank layer: JS heap per entry (bytes)': { value: results.heapPerEntryBytes },
    'bank layer: typed arrays per entry (bytes)': { value: results.typedArrayPerEntryBytes },
  });
  return results;
}

export default async function (): Promise<void> {
  const index = await benchIndex();
  const layerSize = Number(process.env.BANK_BENCH_LAYER_SIZE ?? 1_000_000);
  const bankLayer = layerSize > 0 ? await benchBankLayer(layerSize) : null;
  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'bank.json'), JSON.stringify({ ...index, bankLayer }, null, 2) + '\n');
}
