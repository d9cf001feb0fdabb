/**
 * bench/audit: the verifiable log's speed. Measures append throughput through the batching sequencer into a
 * real database (PGlite in memory; PostgreSQL too when reachable), checkpoint signing and verification rate,
 * and inclusion/consistency proof generation and verification at 10^6 entries (tree built in memory with the
 * same append code the sequencer uses). Targets: >= 10,000 appends/s, proofs <= 1 ms.
 * Writes bench/results/audit.json and prints a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { openDb, runMigrations, type Db } from '../src/storage/index.js';
import { createTestDatabase, postgresUnavailableReason } from '../src/storage/testing.js';
import {
  MemoryTree,
  auditMigrations,
  canonicalJson,
  consistencyProof,
  generateNoteKey,
  hashLeaf,
  inclusionProof,
  openAuditLog,
  openCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  pseudonymize,
  signCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyLog,
} from '../src/audit/index.js';
import { consistencyProofFrom, inclusionProofFrom, treeHashFrom } from '../src/audit/tree.js';

const here = dirname(fileURLToPath(import.meta.url));
const ORIGIN = 'bench.custodian/log';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(samplesMs: number[]) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { meanMs: r(mean), p50Ms: r(percentile(s, 50)), p99Ms: r(percentile(s, 99)), samples: s.length };
}

/** A deterministic pseudo-random sequence so runs are comparable. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const logKey = Buffer.alloc(32, 9);
function event(i: number) {
  return { type: 'content.read', staffId: `staff-${i % 50}`, caseId: `case-${i % 997}`, purpose: 'report review', subject: pseudonymize(logKey, `user-${i}`), at: '2026-11-23T00:00:00Z' };
}

async function appendThroughput(db: Db, keys: { signerKey: string; verifierKey: string }, total: number, callers: number) {
  await runMigrations(db, auditMigrations);
  const log = await openAuditLog({ db, origin: ORIGIN, signerKey: keys.signerKey, maxBatch: 2048, maxDelayMs: 2 });
  // Warm up (JIT, first statements).
  await Promise.all(Array.from({ length: 500 }, (_, i) => log.appendEntry(event(i))));
  const perCaller = Math.ceil(total / callers);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      for (let i = 0; i < perCaller; i++) {
        const s = performance.now();
        await log.appendEntry(event(c * perCaller + i));
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await log.close();
  const checkpoints = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_checkpoints')).rows[0].n;
  const size = 500 + callers * perCaller;
  // DB-backed proof latency at this size (one query per proof).
  const r = rng(7);
  const incl: number[] = [];
  const cons: number[] = [];
  for (let i = 0; i < 200; i++) {
    const idx = Math.floor(r() * size);
    let s = performance.now();
    await inclusionProof(db, idx, size);
    incl.push(performance.now() - s);
    const from = 1 + Math.floor(r() * (size - 1));
    s = performance.now();
    await consistencyProof(db, from, size);
    cons.push(performance.now() - s);
  }
  // `custodian log verify`: re-derive the whole tree from the entries and check every hash and checkpoint.
  const v0 = performance.now();
  const report = await verifyLog(db, keys.verifierKey, { origin: ORIGIN });
  const verifySeconds = (performance.now() - v0) / 1000;
  if (!report.ok) throw new Error(`verifyLog failed on an honest log: ${report.problems.join('; ')}`);
  return {
    verifyLog: { seconds: Math.round(verifySeconds * 100) / 100, entriesPerSec: Math.round(size / verifySeconds), checkpoints: report.checkpointsChecked },
    entries: callers * perCaller,
    concurrentCallers: callers,
    entriesPerSec: Math.round((callers * perCaller) / seconds),
    // This process's CPU time: all of PGlite's work (it runs in-process), only the client side for PostgreSQL.
    // On a shared, overloaded machine it approximates what one idle core would do.
    processCpuSeconds: Math.round(cpuSeconds * 100) / 100,
    entriesPerProcessCpuSec: Math.round((callers * perCaller) / cpuSeconds),
    appendLatency: summarize(latencies),
    checkpointsWritten: checkpoints,
    dbInclusionProof: summarize(incl),
    dbConsistencyProof: summarize(cons),
    treeSize: size,
  };
}

export default async function main(): Promise<void> {
  const keys = generateNoteKey(ORIGIN);
  const signer = parseSignerKey(keys.signerKey);
  const verifier = parseVerifierKey(keys.verifierKey);

  // 1. In-memory tree of 10^6 entries: leaf hashing + incremental subtree hashes (the sequencer's code path).
  const N = 1_000_000;
  // Entries are regenerated on demand rather than kept: a million retained buffers would make GC pauses, not
  // proof work, dominate the tail latencies.
  const entryBytes = (i: number) => Buffer.from(canonicalJson(event(i)));
  const tree = new MemoryTree();
  const buildCpu0 = process.cpuUsage();
  let t0 = performance.now();
  for (let i = 0; i < N; i += 4096) tree.appendEntries(Array.from({ length: Math.min(4096, N - i) }, (_, k) => entryBytes(i + k)));
  const buildSeconds = (performance.now() - t0) / 1000;
  const buildCpu = process.cpuUsage(buildCpu0);
  const buildCpuSeconds = (buildCpu.user + buildCpu.system) / 1e6;
  const root = tree.root();

  // 2. Proofs at 10^6 (generation reads stored hashes; verification is the client's work).
  const r = rng(1);
  const inclGen: number[] = [];
  const inclVerify: number[] = [];
  const consGen: number[] = [];
  const consVerify: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const idx = Math.floor(r() * N);
    let s = performance.now();
    const proof = await inclusionProofFrom(tree, idx, N);
    inclGen.push(performance.now() - s);
    const leaf = hashLeaf(entryBytes(idx));
    s = performance.now();
    verifyInclusion(idx, N, leaf, proof, root);
    inclVerify.push(performance.now() - s);

    const from = 1 + Math.floor(r() * (N - 1));
    s = performance.now();
    await consistencyProofFrom(tree, from, N);
    consGen.push(performance.now() - s);
  }
  // Consistency verification needs the old root; it is computed outside the timed region.
  for (let i = 0; i < 500; i++) {
    const from = 1 + Math.floor(r() * (N - 1));
    const oldRoot = await treeHashFrom(tree, from);
    const cproof = await consistencyProofFrom(tree, from, N);
    const s = performance.now();
    verifyConsistency(from, N, oldRoot, root, cproof);
    consVerify.push(performance.now() - s);
  }

  // 3. Checkpoint signing and verification.
  const SIGN = 3000;
  t0 = performance.now();
  const notes: string[] = [];
  for (let i = 0; i < SIGN; i++) notes.push(signCheckpoint({ origin: ORIGIN, size: N + i, rootHash: root }, [signer]));
  const signPerSec = Math.round(SIGN / ((performance.now() - t0) / 1000));
  t0 = performance.now();
  for (const n of notes) openCheckpoint(n, [verifier], ORIGIN);
  const verifyPerSec = Math.round(SIGN / ((performance.now() - t0) / 1000));

  // 4. DB-backed appends through the sequencer.
  const pglite = await openDb({ driver: 'pglite' });
  const pgliteAppend = await appendThroughput(pglite, keys, 40_960, 1024);
  await pglite.close();
  let postgresAppend: Awaited<ReturnType<typeof appendThroughput>> | { skipped: string };
  const reason = await postgresUnavailableReason();
  if (reason) postgresAppend = { skipped: reason };
  else {
    const { url, drop } = await createTestDatabase();
    const pg = await openDb({ driver: 'postgres', url, poolSize: 5 });
    try {
      postgresAppend = await appendThroughput(pg, keys, 40_960, 1024);
    } finally {
      await pg.close();
      await drop();
    }
  }

  const results = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
    memoryTree: {
      entries: N,
      note: 'includes building each entry (canonical JSON, HMAC pseudonym), hashing, and storing every subtree hash',
      buildSeconds: Math.round(buildSeconds * 100) / 100,
      entriesPerSec: Math.round(N / buildSeconds),
      entriesPerCpuSec: Math.round(N / buildCpuSeconds),
    },
    inclusionProofAt1e6: { generate: summarize(inclGen), verify: summarize(inclVerify) },
    consistencyProofAt1e6: { generate: summarize(consGen), verify: summarize(consVerify) },
    checkpoint: { signPerSec, verifyPerSec },
    appendPglite: pgliteAppend,
    appendPostgres: postgresAppend,
    targets: { appendsPerSec: 10_000, proofMs: 1 },
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'audit.json'), JSON.stringify(results, null, 2) + '\n');
  const pgRow = 'entriesPerSec' in postgresAppend ? postgresAppend : undefined;
  console.table({
    'load average (1 min)': { value: results.loadAverage[0] },
    'tree build in memory (entries/s)': { value: results.memoryTree.entriesPerSec },
    'tree build in memory (entries/CPU-s)': { value: results.memoryTree.entriesPerCpuSec },
    'append, PGlite (entries/s)': { value: pgliteAppend.entriesPerSec },
    'append, PGlite (entries/CPU-s)': { value: pgliteAppend.entriesPerProcessCpuSec },
    'append p50 latency, PGlite (ms)': { value: pgliteAppend.appendLatency.p50Ms },
    'append, PostgreSQL (entries/s)': { value: pgRow?.entriesPerSec ?? 'skipped' },
    'append p50 latency, PostgreSQL (ms)': { value: pgRow?.appendLatency.p50Ms ?? 'skipped' },
    'checkpoint sign (/s)': { value: signPerSec },
    'checkpoint verify (/s)': { value: verifyPerSec },
    'inclusion proof gen @1e6 p50/p99 (ms)': { value: `${results.inclusionProofAt1e6.generate.p50Ms} / ${results.inclusionProofAt1e6.generate.p99Ms}` },
    'inclusion verify @1e6 p50 (ms)': { value: results.inclusionProofAt1e6.verify.p50Ms },
    'consistency proof gen @1e6 p50/p99 (ms)': { value: `${results.consistencyProofAt1e6.generate.p50Ms} / ${results.consistencyProofAt1e6.generate.p99Ms}` },
    'consistency verify @1e6 p50 (ms)': { value: results.consistencyProofAt1e6.verify.p50Ms },
    'inclusion proof from PGlite p50 (ms)': { value: pgliteAppend.dbInclusionProof.p50Ms },
    'inclusion proof from PostgreSQL p50 (ms)': { value: pgRow?.dbInclusionProof.p50Ms ?? 'skipped' },
    'verifyLog, PGlite (entries/s)': { value: pgliteAppend.verifyLog.entriesPerSec },
    'verifyLog, PostgreSQL (entries/s)': { value: pgRow?.verifyLog.entriesPerSec ?? 'skipped' },
  });
}
