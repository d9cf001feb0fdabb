/**
 * bench messaging, the load client (its own process, so its CPU is visible apart from the server's).
 * Opens one WebSocket per client, waits for every `ready`, then runs two phases against the same connections:
 *   A. max throughput: each client keeps `window` sends in flight (a new send on each sent/error answer);
 *   B. half load: open loop at `halfLoadFraction` × A's delivered rate, spread evenly over clients and time.
 * Each phase warms up for warmupMs and then measures for measureMs; between phases the client stops sending and
 * waits until what it sent has been answered and delivered. Counted: frames `event` carrying a message from the
 * client's partner, received inside the window; latency = receipt time − the send time written into the text (as
 * letters, see encodeSentAt; both ends live in this process, so one clock). Frames are dispatched by prefix and
 * read with indexOf instead of JSON.parse; send frames are built by concatenation from a per-client prefix and one
 * preallocated padding.
 * Run (by bench/messaging.ts): node --import tsx bench/messaging-load.ts <args.json>; prints "RESULT <json>".
 */
import { appendFileSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';

export interface LoadClientSpec {
  userId: string;
  token: string;
  conversationId: string;
  /** Index of the partner in `clients`. */
  partner: number;
}

export interface LoadArgs {
  label: string;
  wsUrl: string;
  clients: LoadClientSpec[];
  window: number;
  warmupMs: number;
  measureMs: number;
  halfLoadFraction: number;
  textBytes: number;
  /** Processes whose CPU time is sampled over each window (the server, or the relay). */
  watchPids: number[];
  /** Extra open-loop phases at these total rates (msg/s), after the two phases: e.g. the relay at the rate a server
   * was measured at, which shows the latency floor of this host, load client and scheduling included. */
  fixedRates: number[];
  /** The PostgreSQL database the server uses: its backend processes (found by their process titles at each sample,
   * since the server's pool opens and closes connections as load changes) are sampled the same way. */
  dbName: string | null;
  /** Acks go out at most this often per client (the server coalesces them per 50 ms anyway); 0: never ack. */
  ackEveryMs: number;
  /** Hard stop: the process exits with code 3 after this long whatever happens. */
  maxMs: number;
  /** The server's /healthz: its `safetyBacklog` (messages acknowledged but not yet scored) is read at the end of
   * each window, and the next phase starts only once it is back to zero (at most scoringDrainLimitMs). */
  healthUrl: string | null;
  scoringDrainLimitMs: number;
  /** A connection string for the PostgreSQL cluster the server writes to: pg_stat_wal (cluster-wide) is read at
   * each window's start and end for the WAL the window wrote and the WAL flushes (fsyncs) it took. */
  walStatsUrl: string | null;
}

export interface PhaseResult {
  phase: 'max' | 'half' | 'fixed';
  windowMs: number;
  offeredPerSec: number | null;
  sentPerSec: number;
  deliveredPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: Record<string, number>;
  /** Messages still waiting for the async safety stage when the window closed, and how long they took to score. */
  scoringBacklogAtEnd: number | null;
  scoringDrainMs: number | null;
  watchedCpuPct: number | null;
  /**
   * The watched processes' CPU split by thread, in % of one core: each main thread, the server's scoring thread
   * (named by src/safety/async-worker.ts) and every other thread (V8's GC and compiler helpers, libuv's pool).
   */
  watchedThreadsCpuPct: { main: number; scoring: number; other: number } | null;
  /**
   * Read- and write-type system calls per delivered message, of the watched processes and of the load client. On
   * this VM a system call on a socket is dear, and under overload one call carries many messages' frames.
   */
  watchedSyscallsPerMsg: number | null;
  clientSyscallsPerMsg: number | null;
  dbCpuPct: number | null;
  clientCpuPct: number;
  hostBusyPct: number | null;
  /**
   * Linux pressure stall information over the window (/proc/pressure), in % of wall time: cpu = some runnable task
   * was waiting for a CPU; io = some task was waiting on I/O; ioFull = every non-idle task was. Null where the kernel
   * does not provide it. These say how much of a latency tail is waiting for this host rather than work.
   */
  cpuPressurePct: number | null;
  ioPressurePct: number | null;
  ioFullPressurePct: number | null;
  /** pg_stat_wal over the window: WAL bytes per delivered message, and WAL flushes (fsyncs) per second. */
  walBytesPerMsg: number | null;
  walSyncsPerSec: number | null;
  /**
   * The shape of the tail in time. longestGapMs: the longest stretch of the window in which no message reached any
   * client (at 1,000 msg/s one is due every millisecond). tailInWorst5Pct: of the messages at or above the window's
   * p99, the share sent within its five worst 100 ms stretches: near 100 when the tail is a few stalls in which
   * everything waited, low when it is spread over the window.
   */
  longestGapMs: number;
  tailInWorst5Pct: number | null;
}

/** bench/run.ts lists every bench/*.ts as a benchmark; this file is a helper process, so as a benchmark it is a no-op. */
export default async function (): Promise<void> {
  console.log('  messaging-load is a helper of `npm run bench -- messaging`, not a benchmark of its own');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
const args: LoadArgs = isMain ? (JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadArgs) : ({ textBytes: 0 } as LoadArgs);

const PAD = ' hey, are we still on for tomorrow? I can bring the thing we talked about, see you at the usual place'.repeat(
  Math.ceil(args.textBytes / 100) + 1,
);

interface Client {
  index: number;
  ws: WebSocket;
  userId: string;
  partnerMarker: string;
  prefix: string;
  pad: string;
  counter: number;
  inflight: number;
  maxSeq: number;
  ackedSeq: number;
  ackTimer: NodeJS.Timeout | null;
  ready: boolean;
  nextDue: number;
}

// Measurement state shared by all clients.
let mode: 'idle' | 'window' | 'rate' = 'idle';
let mStart = Infinity;
let mEnd = -Infinity;
let latency = new Float64Array(1 << 20);
/** Receipt time (performance.now()) of each latency sample, same index. */
let receivedAt = new Float64Array(1 << 20);
let latCount = 0;
/** MESSAGING_BENCH_TIMELINE: a file to which each window's samples are appended as "<epoch ms> <latency ms>" lines. */
const TIMELINE_FILE = process.env.MESSAGING_BENCH_TIMELINE || null;
let deliveredInWindow = 0;
let sentInWindow = 0;
let errorsInPhase: Record<string, number> = {};
let errorCount = 0;
let sentTotal = 0; // sends answered `sent`, all phases
let deliveredTotal = 0; // partner messages received, all phases
let inflightTotal = 0;

function record(now: number, lat: number) {
  if (latCount === latency.length) {
    const bigger = new Float64Array(latency.length * 2);
    bigger.set(latency);
    latency = bigger;
    const biggerAt = new Float64Array(receivedAt.length * 2);
    biggerAt.set(receivedAt);
    receivedAt = biggerAt;
  }
  receivedAt[latCount] = now;
  latency[latCount++] = lat;
}

/** See PhaseResult.longestGapMs and tailInWorst5Pct. Samples are in receipt order. */
function tailShape(windowStart: number, windowEnd: number, p99: number): { longestGapMs: number; tailInWorst5Pct: number | null } {
  let longest = 0;
  let prev = windowStart;
  const slow = new Map<number, number>();
  let slowTotal = 0;
  for (let i = 0; i < latCount; i++) {
    const at = receivedAt[i]!;
    if (at - prev > longest) longest = at - prev;
    prev = at;
    if (latency[i]! >= p99) {
      const bucket = Math.floor((at - latency[i]! - windowStart) / 100);
      slow.set(bucket, (slow.get(bucket) ?? 0) + 1);
      slowTotal++;
    }
  }
  if (windowEnd - prev > longest) longest = windowEnd - prev;
  const worst5 = [...slow.values()].sort((a, b) => b - a).slice(0, 5).reduce((a, b) => a + b, 0);
  return { longestGapMs: round(longest, 1), tailInWorst5Pct: slowTotal === 0 ? null : round((100 * worst5) / slowTotal, 0) };
}

function flushAck(c: Client) {
  c.ackTimer = null;
  if (c.maxSeq > c.ackedSeq && c.ws.readyState === WebSocket.OPEN) {
    c.ackedSeq = c.maxSeq;
    c.ws.send(`{"type":"ack","seq":${c.maxSeq}}`);
  }
}

/**
 * The send time travels in the text, as nine letters (base 26, microseconds): a digit string such as "35123.456"
 * reads as a phone number to the contact-sharing rules, which made every benchmark message a rule hit and every
 * conversation's risk window carry evidence, unlike ordinary chat.
 */
const TIME_LETTERS = 9;
export function encodeSentAt(ms: number): string {
  let v = Math.round(ms * 1000);
  let out = '';
  for (let i = 0; i < TIME_LETTERS; i++) {
    out = String.fromCharCode(97 + (v % 26)) + out;
    v = Math.floor(v / 26);
  }
  return out;
}
export function decodeSentAt(text: string, at: number): number {
  let v = 0;
  for (let i = 0; i < TIME_LETTERS; i++) v = v * 26 + (text.charCodeAt(at + i) - 97);
  return v / 1000;
}

function sendOne(c: Client) {
  const n = ++c.counter;
  const now = performance.now();
  c.inflight++;
  inflightTotal++;
  c.ws.send(`${c.prefix}${n}","ref":"${n}","text":"${encodeSentAt(now)}${c.pad}"}`);
}

function onFrame(c: Client, raw: string) {
  // Every server frame is JSON.stringify output that starts with {"type":"<type>"; dispatch on its first letters.
  const t0 = raw.charCodeAt(9);
  if (t0 === 101 /* e */ && raw.charCodeAt(10) === 118 /* v: event */) {
    // {"type":"event","seq":N,"event":{...}}
    const seq = parseInt(raw.slice(22, 40), 10);
    if (seq > c.maxSeq) c.maxSeq = seq;
    if (!c.ackTimer && args.ackEveryMs > 0) c.ackTimer = setTimeout(flushAck, args.ackEveryMs, c);
    const si = raw.indexOf(c.partnerMarker, 40);
    if (si < 0) return; // not a message, or our own message echoed to our other devices
    const ti = raw.indexOf('"text":"', si);
    if (ti < 0) return;
    const now = performance.now();
    const sentAt = decodeSentAt(raw, ti + 8);
    deliveredTotal++;
    if (now >= mStart && now < mEnd) {
      deliveredInWindow++;
      record(now, now - sentAt);
    }
    return;
  }
  if (t0 === 115 /* s: sent */) {
    c.inflight--;
    inflightTotal--;
    sentTotal++;
    const now = performance.now();
    if (now >= mStart && now < mEnd) sentInWindow++;
    if (mode === 'window') sendOne(c);
    return;
  }
  if (t0 === 101 /* e */ && raw.charCodeAt(10) === 114 /* r: error */) {
    const ci = raw.indexOf('"code":"');
    const code = ci < 0 ? 'unknown' : raw.slice(ci + 8, raw.indexOf('"', ci + 8));
    errorsInPhase[code] = (errorsInPhase[code] ?? 0) + 1;
    errorCount++;
    // An error with a ref answers a send; one without (malformed frame) answers nothing we count.
    if (raw.includes('"ref":"')) {
      c.inflight--;
      inflightTotal--;
      if (mode === 'window' && errorCount < 10_000) sendOne(c);
    }
    return;
  }
  if (t0 === 114 /* r: ready */) {
    c.ready = true;
    return;
  }
  // typing, pong: nothing to do.
}

function connect(spec: LoadClientSpec, index: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(args.wsUrl, { headers: { Authorization: `Bearer ${spec.token}` }, perMessageDeflate: false });
    const partner = args.clients[spec.partner];
    const c: Client = {
      index,
      ws,
      userId: spec.userId,
      partnerMarker: `"senderId":"${partner.userId}"`,
      prefix: `{"type":"send","conversationId":"${spec.conversationId}","clientMessageId":"c${index}-`,
      // A different slice per client so the payloads are not all identical; same length for all.
      pad: PAD.slice(index % 50, (index % 50) + Math.max(0, args.textBytes - 12)),
      counter: 0,
      inflight: 0,
      maxSeq: 0,
      ackedSeq: 0,
      ackTimer: null,
      ready: false,
      nextDue: 0,
    };
    let settled = false;
    const timer = setTimeout(() => reject(new Error(`client ${index}: no ready frame within 20 s`)), 20_000);
    ws.on('message', (data: Buffer) => {
      onFrame(c, data.toString('latin1'));
      if (!settled && c.ready) {
        settled = true;
        clearTimeout(timer);
        resolve(c);
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('close', (code) => {
      if (mode !== 'idle') console.error(`client ${index} closed (${code}) during a phase`);
    });
  });
}

// --- CPU sampling -------------------------------------------------------------------------------------------
/** utime + stime (clock ticks) and the name from a /proc stat line, of a process or of one of its threads. */
function parseStat(stat: string): { ticks: number; comm: string } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(fields[11]) + Number(fields[12]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) };
}

function procTicks(pid: number): number | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ticks;
  } catch {
    return null;
  }
}

function hostTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Cumulative stall time in µs from /proc/pressure/{cpu,io} ("some" and "full" lines, field total=). */
function pressureTotals(): { cpuSome: number; ioSome: number; ioFull: number } | null {
  try {
    const total = (text: string, kind: 'some' | 'full') => Number(/total=(\d+)/.exec(text.split('\n').find((l) => l.startsWith(kind)) ?? '')?.[1]);
    const cpu = readFileSync('/proc/pressure/cpu', 'utf8');
    const io = readFileSync('/proc/pressure/io', 'utf8');
    const r = { cpuSome: total(cpu, 'some'), ioSome: total(io, 'some'), ioFull: total(io, 'full') };
    return Object.values(r).every(Number.isFinite) ? r : null;
  } catch {
    return null;
  }
}

let walClient: pg.Client | null = null;
async function walTotals(): Promise<{ bytes: number; syncs: number } | null> {
  if (!walClient) return null;
  try {
    const r = await walClient.query<{ b: string; s: string }>('SELECT wal_bytes::text AS b, wal_sync::text AS s FROM pg_stat_wal');
    return { bytes: Number(r.rows[0]!.b), syncs: Number(r.rows[0]!.s) };
  } catch {
    return null;
  }
}

interface CpuSnapshot {
  at: number;
  watched: number | null;
  watchedThreads: { main: number; scoring: number; other: number } | null;
  /** read- and write-type system calls (/proc/<pid>/io syscr + syscw) of the watched processes and of this one */
  watchedSyscalls: number | null;
  clientSyscalls: number | null;
  db: Map<number, number> | null;
  client: NodeJS.CpuUsage;
  host: { busy: number; total: number } | null;
  pressure: { cpuSome: number; ioSome: number; ioFull: number } | null;
  wal: { bytes: number; syncs: number } | null;
}

/** The name the server's scoring thread gives itself (SCORING_THREAD_NAME in src/safety/async-worker.ts). */
const SCORING_THREAD = 'custodian-score';

/**
 * CPU ticks of the watched processes by thread: main (the thread whose id is the process id), the scoring thread,
 * and the rest. A thread that exits inside a window is missed; the server's threads live as long as it does.
 */
function threadTicks(pids: number[]): { main: number; scoring: number; other: number } | null {
  if (pids.length === 0) return null;
  const out = { main: 0, scoring: 0, other: 0 };
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return null;
    }
    for (const tid of tids) {
      try {
        const { ticks, comm } = parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
        if (Number(tid) === pid) out.main += ticks;
        else if (comm === SCORING_THREAD) out.scoring += ticks;
        else out.other += ticks;
      } catch {
        // the thread exited between the listing and the read
      }
    }
  }
  return out;
}

/** Read- and write-type system calls so far (syscr + syscw of /proc/<pid>/io), summed over processes. */
function syscallCount(pids: (number | 'self')[]): number | null {
  if (pids.length === 0) return null;
  let sum = 0;
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      sum += Number(/syscr: (\d+)/.exec(io)?.[1]) + Number(/syscw: (\d+)/.exec(io)?.[1]);
    } catch {
      return null;
    }
  }
  return Number.isFinite(sum) ? sum : null;
}

function sumTicks(pids: number[]): number | null {
  if (pids.length === 0) return null;
  let sum = 0;
  for (const pid of pids) {
    const t = procTicks(pid);
    if (t === null) return null;
    sum += t;
  }
  return sum;
}

/**
 * CPU ticks of every backend of the database, by pid. PostgreSQL titles each backend "postgres: <user> <db> <client>
 * <state>"; a backend that starts inside a window counts with all its ticks, one that exits inside it is missed.
 */
function dbBackendTicks(): Map<number, number> | null {
  if (!args.dbName) return null;
  const out = new Map<number, number>();
  const marker = ` ${args.dbName} `;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!title.startsWith('postgres: ') || !title.includes(marker)) continue;
    const t = procTicks(pid);
    if (t !== null) out.set(pid, t);
  }
  return out;
}

function dbTicksBetween(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let sum = 0;
  for (const [pid, t] of after) sum += t - (before.get(pid) ?? 0);
  return sum;
}

async function snapshot(): Promise<CpuSnapshot> {
  const wal = await walTotals();
  return { at: performance.now(), watched: sumTicks(args.watchPids), watchedThreads: threadTicks(args.watchPids), watchedSyscalls: syscallCount(args.watchPids), clientSyscalls: syscallCount(['self']), db: dbBackendTicks(), client: process.cpuUsage(), host: hostTicks(), pressure: pressureTotals(), wal };
}

const CLK_TCK = 100; // Linux USER_HZ

// --- phases ----------------------------------------------------------------------------------------------------
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (x: number, d = 2) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null) as number;

async function scoringBacklog(): Promise<number | null> {
  if (!args.healthUrl) return null;
  try {
    const res = await fetch(args.healthUrl);
    const body = (await res.json()) as { safetyBacklog?: number };
    return typeof body.safetyBacklog === 'number' ? body.safetyBacklog : null;
  } catch {
    return null;
  }
}

async function runPhase(clients: Client[], phase: PhaseResult['phase'], ratePerSec: number | null): Promise<PhaseResult> {
  latCount = 0;
  deliveredInWindow = 0;
  sentInWindow = 0;
  errorsInPhase = {};
  errorCount = 0;
  const start = performance.now();
  mStart = start + args.warmupMs;
  mEnd = mStart + args.measureMs;
  let ticker: NodeJS.Timeout | null = null;
  if (ratePerSec === null) {
    mode = 'window';
    for (const c of clients) for (let k = 0; k < args.window; k++) sendOne(c);
  } else {
    mode = 'rate';
    const interval = (1000 * clients.length) / ratePerSec; // ms between two sends of one client
    clients.forEach((c, i) => (c.nextDue = start + (interval * i) / clients.length));
    const tick = () => {
      const now = performance.now();
      for (const c of clients) {
        // Open loop: a late tick sends everything that fell due, so the offered rate does not sag.
        while (c.nextDue <= now) {
          if (c.inflight < 10_000) sendOne(c);
          c.nextDue += interval;
        }
      }
    };
    ticker = setInterval(tick, 1);
  }
  await sleep(mStart - performance.now());
  const before = await snapshot();
  await sleep(mEnd - performance.now());
  const after = await snapshot();
  const backlogAtEnd = scoringBacklog();
  mode = 'idle';
  if (ticker) clearInterval(ticker);
  // Let the tail drain so the next phase starts from quiet and late deliveries in the window are not lost.
  const drainUntil = performance.now() + 30_000;
  while ((inflightTotal > 0 || deliveredTotal < sentTotal) && performance.now() < drainUntil) await sleep(20);
  if (inflightTotal > 0 || deliveredTotal < sentTotal) {
    console.error(`${args.label} ${phase}: drain incomplete (inflight ${inflightTotal}, undelivered ${sentTotal - deliveredTotal})`);
  }
  // The async safety stage may lag behind a burst (it runs at a lower CPU priority than delivery); the next
  // phase starts after it has caught up, so each phase measures the server with scoring at its own rate.
  const scoringStart = performance.now();
  const scoringBacklogAtEnd = await backlogAtEnd;
  let scoringDrainMs: number | null = null;
  if (scoringBacklogAtEnd !== null) {
    let left: number | null = scoringBacklogAtEnd;
    while (left !== null && left > 0 && performance.now() - scoringStart < args.scoringDrainLimitMs) {
      await sleep(100);
      left = await scoringBacklog();
    }
    if (left === 0) scoringDrainMs = Math.round(performance.now() - scoringStart);
    else console.error(`${args.label} ${phase}: scoring backlog not drained (${left} left)`);
  }
  const windowMs = after.at - before.at;
  if (TIMELINE_FILE) {
    const lines = [`# ${args.label} ${phase} ${ratePerSec ?? 'max'}`];
    for (let i = 0; i < latCount; i++) lines.push(`${(performance.timeOrigin + receivedAt[i]!).toFixed(1)} ${latency[i]!.toFixed(2)}`);
    appendFileSync(TIMELINE_FILE, `${lines.join('\n')}\n`);
  }
  // A sorted copy: the samples themselves stay in receipt order, paired with receivedAt, for tailShape.
  const sorted = latency.slice(0, latCount).sort();
  const shape = tailShape(mStart, mEnd, quantile(sorted, 0.99));
  const wallSec = windowMs / 1000;
  const dbTicks = dbTicksBetween(before.db, after.db);
  const clientCpu = (after.client.user - before.client.user + after.client.system - before.client.system) / 1e6;
  return {
    phase,
    windowMs: round(windowMs, 0),
    offeredPerSec: ratePerSec === null ? null : round(ratePerSec, 0),
    sentPerSec: round(sentInWindow / (args.measureMs / 1000), 0),
    deliveredPerSec: round(deliveredInWindow / (args.measureMs / 1000), 0),
    p50Ms: round(quantile(sorted, 0.5)),
    p90Ms: round(quantile(sorted, 0.9)),
    p99Ms: round(quantile(sorted, 0.99)),
    maxMs: round(sorted.length ? sorted[sorted.length - 1] : NaN),
    errors: errorsInPhase,
    scoringBacklogAtEnd,
    scoringDrainMs,
    watchedCpuPct: before.watched === null || after.watched === null ? null : round((100 * (after.watched - before.watched)) / CLK_TCK / wallSec, 0),
    watchedThreadsCpuPct: threadsPct(before.watchedThreads, after.watchedThreads, wallSec),
    watchedSyscallsPerMsg: perDelivered(before.watchedSyscalls, after.watchedSyscalls, deliveredInWindow),
    clientSyscallsPerMsg: perDelivered(before.clientSyscalls, after.clientSyscalls, deliveredInWindow),
    dbCpuPct: dbTicks === null ? null : round((100 * dbTicks) / CLK_TCK / wallSec, 0),
    clientCpuPct: round((100 * clientCpu) / wallSec, 0),
    hostBusyPct:
      before.host && after.host ? round((100 * (after.host.busy - before.host.busy)) / (after.host.total - before.host.total), 0) : null,
    ...stallsAndWal(before, after, windowMs, deliveredInWindow),
    ...shape,
  };
}

const perDelivered = (before: number | null, after: number | null, delivered: number) =>
  before === null || after === null || delivered === 0 ? null : round((after - before) / delivered, 2);

function threadsPct(
  before: { main: number; scoring: number; other: number } | null,
  after: { main: number; scoring: number; other: number } | null,
  wallSec: number,
) {
  if (!before || !after) return null;
  const pct = (k: 'main' | 'scoring' | 'other') => round((100 * (after[k] - before[k])) / CLK_TCK / wallSec, 0);
  return { main: pct('main'), scoring: pct('scoring'), other: pct('other') };
}

function stallsAndWal(before: CpuSnapshot, after: CpuSnapshot, windowMs: number, delivered: number) {
  const pct = (us: number) => round((100 * us) / 1000 / windowMs, 1);
  const p0 = before.pressure;
  const p1 = after.pressure;
  const w0 = before.wal;
  const w1 = after.wal;
  return {
    cpuPressurePct: p0 && p1 ? pct(p1.cpuSome - p0.cpuSome) : null,
    ioPressurePct: p0 && p1 ? pct(p1.ioSome - p0.ioSome) : null,
    ioFullPressurePct: p0 && p1 ? pct(p1.ioFull - p0.ioFull) : null,
    walBytesPerMsg: w0 && w1 && delivered > 0 ? round((w1.bytes - w0.bytes) / delivered, 0) : null,
    walSyncsPerSec: w0 && w1 ? round(((w1.syncs - w0.syncs) * 1000) / windowMs, 0) : null,
  };
}

async function main() {
  if (args.walStatsUrl) {
    walClient = new pg.Client({ connectionString: args.walStatsUrl });
    await walClient.connect();
  }
  const clients: Client[] = [];
  // Connect in small groups: the server authenticates each socket (JWT verify + cursor read).
  for (let i = 0; i < args.clients.length; i += 10) {
    clients.push(...(await Promise.all(args.clients.slice(i, i + 10).map((s, j) => connect(s, i + j)))));
  }
  await sleep(300); // catch-up frames of the setup (conversation events) settle
  // Prime: one message per client, unmeasured, so phase A measures the steady state rather than the cold start
  // (the first sends of a conversation fill the server's conversation, block and data-key caches).
  const primeStart = performance.now();
  for (const c of clients) sendOne(c);
  while ((inflightTotal > 0 || deliveredTotal < sentTotal) && performance.now() - primeStart < 60_000) await sleep(20);
  const primeMs = Math.round(performance.now() - primeStart);
  const errorsAtPrime = errorsInPhase;
  const max = await runPhase(clients, 'max', null);
  const half = await runPhase(clients, 'half', Math.max(1, max.deliveredPerSec * args.halfLoadFraction));
  const fixed: PhaseResult[] = [];
  for (const rate of args.fixedRates) fixed.push(await runPhase(clients, 'fixed', rate));
  for (const c of clients) {
    if (c.ackTimer) clearTimeout(c.ackTimer);
    if (args.ackEveryMs > 0) flushAck(c);
    c.ws.close(1000);
  }
  await walClient?.end();
  console.log(`RESULT ${JSON.stringify({ label: args.label, primeMs, primeErrors: errorsAtPrime, max, half, fixed })}`);
  await sleep(100);
  process.exit(0);
}

if (isMain) {
  setTimeout(() => {
    console.error(`load client: hard time limit (${args.maxMs} ms) reached`);
    process.exit(3);
  }, args.maxMs).unref();
  // The parent holds our stdin: when it goes away, so do we.
  process.stdin.on('end', () => process.exit(4));
  process.stdin.on('error', () => process.exit(4));
  process.stdin.resume();
  main().catch((err: unknown) => {
    console.error(`load client failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
