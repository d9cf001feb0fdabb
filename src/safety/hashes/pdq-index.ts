/**
 * safety/hashes pdq-index: an in-memory index of 256-bit PDQ hashes answering "every stored hash within
 * Hamming distance t of this query", exactly (the result always equals a brute-force scan).
 *
 * Method: multi-index hashing (Norouzi, Punjani, Fleet 2012). The hash is cut into 16 chunks of 16 bits
 * and each chunk has 65,536 buckets. With per-chunk radius r = floor(t / 16), a hash within distance t
 * of the query has some chunk within r bits of the query's chunk (16 chunks each more than r bits off
 * would total at least 16(r+1) > t), so probing, in every chunk, the query's value and all values within
 * r bits (1 + 16 = 17 buckets at t <= 31, 137 at t <= 47) finds every match. From r = 5 (t >= 80)
 * probing would read more postings than a scan, so search scans linearly instead.
 *
 * Neighbour filter: a posting in chunk c also stores chunk c+1 (mod 16) of its hash, and a candidate is
 * only looked up when d_c + d_{c+1} <= 2r + 1. This loses nothing: if every chunk with d_c <= r had
 * d_c + d_{c+1} >= 2r + 2, then each such chunk's successor has d > r, so low chunks and their successors
 * form disjoint pairs of at least 2r + 2 and every other chunk has at least r + 1, totalling at least
 * 16(r+1) > t. At 10M hashes and t = 31 a query reads ~40k 16-bit values sequentially and fetches ~100
 * full hashes, instead of fetching ~40k hashes from random memory.
 *
 * Dedupe: a match is reported only from the first chunk c where both the probe (d_c <= r) and the filter
 * hold, which is checked on the full hash once it is known to match; so no per-query marker array.
 *
 * Storage (no object per entry). Hashes: 2 MiB pages of eight big-endian words per entry. Postings, per
 * chunk, in two tiers:
 * - base: a CSR layout (bucket offsets, then every posting's neighbour chunk contiguous, ids beside),
 *   written by `compact()`, so a probe reads one contiguous run;
 * - overflow: entries added since, appended incrementally to per-bucket chains of blocks (8, 16, 32, then
 *   64 postings, the next block's address in a 2-unit header) in the chunk's own 8 MiB arena pages.
 *   A bit per bucket (128 KiB, cache-resident) says whether its overflow is non-empty.
 * `add` only appends to overflow and `disable` only sets a tombstone the search skips: nothing is rebuilt
 * behind the caller's back. `compact()` folds overflow into base, one chunk at a time (so the extra memory
 * while it runs is one chunk's postings). It is explicit: callers run it after a bulk load (with
 * `deferPostings()` first, adds skip overflow entirely and are scanned linearly until then) and may after
 * large imports. Below `indexFrom` entries (default 2048) there are no postings and search is a linear
 * scan; the first compaction happens when the index grows past that.
 *
 * Search is memory-latency bound, so it runs in phases whose loads do not depend on each other (bucket
 * offsets and rows, then overflow chains level by level, then the postings, then candidate hashes): the
 * CPU then keeps several cache misses in flight instead of waiting on one pointer at a time.
 *
 * Ids are dense numbers from 0 in insertion order; callers map them to their own entry ids.
 */
import { POPCOUNT16 as SHARED_POPCOUNT16, pdqToWords, wordsToPdq } from './hamming.js';

// A module-local binding: under the tsx loader an imported binding can be read through a getter, which
// costs more than the table lookup itself inside the scan loops.
const POPCOUNT16: Uint8Array = SHARED_POPCOUNT16;

export interface PdqMatch {
  /** The index's id for the entry, as returned by `add`. */
  id: number;
  /** Hamming distance between the query and the stored hash, 0..256. */
  distance: number;
}

export interface PdqIndexOptions {
  /** Entry count at which postings are first built; below it, search scans linearly. Default 2048. */
  indexFrom?: number;
}

export const PDQ_BYTES = 32;
/** Meta's recommended PDQ match threshold. */
export const PDQ_DEFAULT_THRESHOLD = 31;
export const PDQ_MAX_THRESHOLD = 255;

const CHUNKS = 16;
const VALUES = 65536;
const NIL16 = 0xffff;
const HASH_PAGE_BITS = 16; // entries per hash page: 65,536 x 32 bytes = 2 MiB
const HASH_PAGE_MASK = (1 << HASH_PAGE_BITS) - 1;
const ARENA_PAGE_BITS = 22; // 16-bit units per overflow arena page (8 MiB)
const ARENA_PAGE_UNITS = 1 << ARENA_PAGE_BITS;
const ARENA_PAGE_MASK = ARENA_PAGE_UNITS - 1;
const MAX_ARENA_PAGES = 1023; // keeps every address below 2^32 - 1
/** Where element 2k and 2k+1 of a Uint16Array sit in word k of a Uint32Array view of it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const EVEN_SHIFT = LITTLE_ENDIAN ? 0 : 16;
const ODD_SHIFT = LITTLE_ENDIAN ? 16 : 0;
/** Marks a queued candidate that holds a base position rather than an id. */
const BASE_HIT = 0x100;
/** From radius 5 up, probing reads more postings than there are entries: scan instead. */
const LINEAR_FROM_RADIUS = 5;

// Overflow chain block sizes: small first blocks keep sparse buckets cheap; 64 caps a full bucket's slack.
const BLOCK_CUMULATIVE = [8, 24, 56, 120];
const BLOCK_FIRST = 8;
const BLOCK_LAST = 64;

/** All 16-bit masks grouped by popcount: the probe offsets for each radius. */
const MASKS_BY_WEIGHT: Uint16Array[] = (() => {
  const groups: number[][] = Array.from({ length: 17 }, () => []);
  for (let m = 0; m < VALUES; m++) groups[POPCOUNT16[m]].push(m);
  return groups.map((g) => Uint16Array.from(g));
})();

/** Buckets probed per chunk at each radius: sum of C(16, k) for k <= r. */
const PROBES_PER_CHUNK: number[] = MASKS_BY_WEIGHT.map((_, r) => MASKS_BY_WEIGHT.slice(0, r + 1).reduce((n, m) => n + m.length, 0));

/** Capacity of the block that starts when a chain already holds `n` postings (n at a block boundary). */
function blockSizeAt(n: number): number {
  if (n === 0) return BLOCK_FIRST;
  for (let b = 0; b < BLOCK_CUMULATIVE.length - 1; b++) if (n === BLOCK_CUMULATIVE[b]) return BLOCK_CUMULATIVE[b + 1] - n;
  return BLOCK_LAST;
}

/** Capacity of the block holding posting number `n` of a chain. */
function blockSizeOf(n: number): number {
  if (n < BLOCK_CUMULATIVE[0]) return BLOCK_FIRST;
  for (let b = 1; b < BLOCK_CUMULATIVE.length; b++) if (n < BLOCK_CUMULATIVE[b]) return BLOCK_CUMULATIVE[b] - BLOCK_CUMULATIVE[b - 1];
  return BLOCK_LAST;
}

/** Position within its block of posting number `n` of a chain; 0 means a new block starts. */
function positionAt(n: number): number {
  if (n < BLOCK_CUMULATIVE[0]) return n;
  for (let b = 1; b < BLOCK_CUMULATIVE.length; b++) if (n < BLOCK_CUMULATIVE[b]) return n - BLOCK_CUMULATIVE[b - 1];
  return (n - BLOCK_CUMULATIVE[BLOCK_CUMULATIVE.length - 1]) & (BLOCK_LAST - 1);
}

function popcount32(x: number): number {
  return POPCOUNT16[x & 0xffff] + POPCOUNT16[x >>> 16];
}

function grown(a: Uint32Array, need: number): Uint32Array {
  if (need <= a.length) return a;
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Chunk `c` (0..15) of the hash whose words start at `base`. */
function chunkOf(page: Uint32Array, base: number, c: number): number {
  const w = page[base + (c >>> 1)];
  return (c & 1) === 0 ? w >>> 16 : w & 0xffff;
}

/** Validates a threshold for PDQ search: an integer 0..255. */
export function isValidPdqThreshold(t: unknown): t is number {
  return typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= PDQ_MAX_THRESHOLD;
}

export class PdqIndex {
  private count = 0;
  private activeCount = 0;
  private readonly hashPages: Uint32Array[] = [];
  private disabled: Uint8Array = new Uint8Array(256);
  private readonly indexFrom: number;

  private indexed = false;
  /** Between deferPostings() and compact(): adds get no postings, and search scans them linearly. */
  private deferring = false;
  /** Entries from here on have no postings yet (only while deferring). */
  private pendingFrom = 0;
  /** Entries 0..baseCount-1 are in the base tier of every chunk; later ones in overflow. */
  private baseCount = 0;
  private readonly baseOffsets: Uint32Array[] = [];
  private readonly baseNext: Uint16Array[] = [];
  /** The same memory as baseNext, as 32-bit words, so the scan reads two postings per load. */
  private readonly baseNextPairs: Uint32Array[] = [];
  private readonly baseIds: Uint32Array[] = [];
  /** Overflow rows, per (chunk << 16 | value): [count, head address, tail address, unused]; empty until used. */
  private rows: Uint32Array = new Uint32Array(0);
  /**
   * One bit per bucket: has overflow postings. 128 KiB that stays in cache, so a probe only reads its
   * 16 MiB-table row (a cache miss) when there is something there.
   */
  private overflowBits: Uint32Array = new Uint32Array(0);
  private readonly arenas: Uint16Array[][] = Array.from({ length: CHUNKS }, () => []);
  private readonly arenaTop = new Float64Array(CHUNKS);

  // Search scratch, reused by every search (search is synchronous, so never shared by two callers).
  private readonly qWords = new Uint32Array(8);
  private readonly qChunks = new Uint16Array(CHUNKS);
  private readonly chunkDist = new Uint8Array(CHUNKS);
  /** Base runs to scan: start, length, info (chunk | neighbour limit << 8). */
  private segStart: Uint32Array = new Uint32Array(512);
  private segLen: Uint32Array = new Uint32Array(512);
  private segInfo: Uint32Array = new Uint32Array(512);
  /** Overflow chains still being walked: block last queued, postings left, postings passed, info. */
  private walkAddr: Uint32Array = new Uint32Array(512);
  private walkLeft: Uint32Array = new Uint32Array(512);
  private walkTaken: Uint32Array = new Uint32Array(512);
  private walkInfo: Uint32Array = new Uint32Array(512);
  /** Overflow blocks to scan: address, postings in use, capacity, info. */
  private blockAddr: Uint32Array = new Uint32Array(512);
  private blockLen: Uint32Array = new Uint32Array(512);
  private blockCap: Uint32Array = new Uint32Array(512);
  private blockInfo: Uint32Array = new Uint32Array(512);
  /** Candidates that passed the neighbour filter: id and the chunk they came from. */
  private candId: Uint32Array = new Uint32Array(1024);
  private candChunk: Uint32Array = new Uint32Array(1024);

  constructor(options: PdqIndexOptions = {}) {
    const from = options.indexFrom ?? 2048;
    if (!Number.isInteger(from) || from < 0) throw new RangeError('indexFrom must be a non-negative integer');
    this.indexFrom = from;
  }

  /** Number of entries ever added (ids are 0..size-1). */
  get size(): number {
    return this.count;
  }

  /** Number of entries not disabled. */
  get activeSize(): number {
    return this.activeCount;
  }

  /** Whether postings exist yet (false while small enough for linear search). */
  get isBucketed(): boolean {
    return this.indexed;
  }

  /** Entries added since the last compaction (held in the slower overflow chains). */
  get overflowSize(): number {
    return this.indexed ? this.count - this.baseCount : 0;
  }

  /**
   * For bulk loads: until the next `compact()`, `add` stores hashes without postings, and searches scan
   * those entries linearly (correct, but slow if there are many). Loading N entries this way and then
   * compacting does one linear pass instead of building N x 16 overflow postings only to discard them.
   */
  deferPostings(): void {
    this.deferring = true;
  }

  /**
   * Adds a 32-byte hash read from `hash` at `offset` and returns its id. Copies the bytes, so the caller
   * may reuse its buffer (bulk loaders pass one large buffer and an offset).
   */
  add(hash: Uint8Array, offset = 0): number {
    if (offset < 0 || offset + PDQ_BYTES > hash.length) throw new RangeError('PDQ hash must be 32 bytes');
    const id = this.count;
    if (id >= 0xffffffff) throw new RangeError('PDQ index is full');
    const pageNo = id >>> HASH_PAGE_BITS;
    if (pageNo === this.hashPages.length) this.hashPages.push(new Uint32Array(8 << HASH_PAGE_BITS));
    const page = this.hashPages[pageNo];
    const base = (id & HASH_PAGE_MASK) << 3;
    pdqToWords(hash, page, base, offset);
    if (id >= this.disabled.length) {
      const bigger = new Uint8Array(this.disabled.length * 2);
      bigger.set(this.disabled);
      this.disabled = bigger;
    }
    this.count = id + 1;
    this.activeCount++;
    if (this.deferring) return id;
    if (this.indexed) {
      this.insertOverflow(id, page, base);
      this.pendingFrom = this.count;
    } else if (this.count >= this.indexFrom) this.compact();
    return id;
  }

  /** Marks an entry so searches skip it. Returns false when it was already disabled. */
  disable(id: number): boolean {
    this.checkId(id);
    if (this.disabled[id] === 1) return false;
    this.disabled[id] = 1;
    this.activeCount--;
    return true;
  }

  /** Undoes `disable`. Returns false when it was not disabled. */
  enable(id: number): boolean {
    this.checkId(id);
    if (this.disabled[id] === 0) return false;
    this.disabled[id] = 0;
    this.activeCount++;
    return true;
  }

  isEnabled(id: number): boolean {
    this.checkId(id);
    return this.disabled[id] === 0;
  }

  /** A copy of the stored hash. */
  getHash(id: number): Uint8Array {
    this.checkId(id);
    return wordsToPdq(this.hashPages[id >>> HASH_PAGE_BITS], (id & HASH_PAGE_MASK) << 3);
  }

  /** Bytes held in typed arrays (hashes, tombstones, postings); excludes the JS objects around them. */
  memoryBytes(): number {
    let bytes = this.disabled.byteLength + this.rows.byteLength + this.overflowBits.byteLength;
    for (const p of this.hashPages) bytes += p.byteLength;
    for (let c = 0; c < this.baseOffsets.length; c++) {
      bytes += this.baseOffsets[c].byteLength + this.baseNext[c].byteLength + this.baseIds[c].byteLength;
    }
    for (const arena of this.arenas) for (const p of arena) bytes += p.byteLength;
    return bytes;
  }

  /**
   * Rewrites every chunk's postings as one contiguous base (including entries added since the last
   * compaction), then frees that chunk's overflow. Linear in the index size; a no-op while the index is
   * below `indexFrom`. Searches give the same results before and after, only faster.
   */
  compact(): void {
    const n = this.count;
    if (!this.indexed && n < this.indexFrom) {
      this.deferring = false; // still small enough for linear search
      return;
    }
    if (!this.indexed) {
      this.overflowBits = new Uint32Array((CHUNKS << 16) >>> 5);
      this.indexed = true;
    }
    if (n === this.baseCount) {
      this.deferring = false;
      return;
    }
    const cursor = new Uint32Array(VALUES);
    const pages = this.hashPages;
    for (let c = 0; c < CHUNKS; c++) {
      const word = c >>> 1;
      const shift = (c & 1) === 0 ? 16 : 0;
      const nextWord = ((c + 1) & 15) >>> 1;
      const nextShift = (c & 1) === 0 ? 0 : 16; // chunk c+1 is the other half, or the next word's high half
      const offsets = new Uint32Array(VALUES + 1);
      for (let id = 0; id < n; id++) {
        offsets[((pages[id >>> HASH_PAGE_BITS][((id & HASH_PAGE_MASK) << 3) + word] >>> shift) & 0xffff) + 1]++;
      }
      for (let v = 0; v < VALUES; v++) offsets[v + 1] += offsets[v];
      cursor.set(offsets.subarray(0, VALUES));
      const ids = new Uint32Array(n);
      const nexts = new Uint16Array(n);
      for (let id = 0; id < n; id++) {
        const page = pages[id >>> HASH_PAGE_BITS];
        const base = (id & HASH_PAGE_MASK) << 3;
        const at = cursor[(page[base + word] >>> shift) & 0xffff]++;
        ids[at] = id;
        nexts[at] = (page[base + nextWord] >>> nextShift) & 0xffff;
      }
      this.baseOffsets[c] = offsets;
      this.baseIds[c] = ids;
      this.baseNext[c] = nexts;
      this.baseNextPairs[c] = new Uint32Array(nexts.buffer, 0, n >>> 1);
      this.arenas[c] = [];
      this.arenaTop[c] = 0;
      this.rows.fill(0, (c << 16) * 4, ((c + 1) << 16) * 4);
      this.overflowBits.fill(0, (c << 16) >>> 5, ((c + 1) << 16) >>> 5);
    }
    this.baseCount = n;
    this.pendingFrom = n;
    this.deferring = false;
  }

  /**
   * Every enabled entry within `threshold` bits of `query`, sorted by distance then id.
   * `threshold` is an integer 0..255; the per-chunk probe radius is floor(threshold / 16).
   */
  search(query: Uint8Array, threshold: number): PdqMatch[] {
    const out: PdqMatch[] = [];
    this.searchInto(query, threshold, out);
    if (out.length > 1) out.sort((a, b) => a.distance - b.distance || a.id - b.id);
    return out;
  }

  /** Like `search` but appends to `out` unsorted, so a caller matching several variants allocates once. */
  searchInto(query: Uint8Array, threshold: number, out: PdqMatch[]): void {
    if (query.length !== PDQ_BYTES) throw new RangeError('PDQ hash must be 32 bytes');
    if (!isValidPdqThreshold(threshold)) throw new RangeError('threshold must be an integer 0..255');
    if (this.count === 0) return;
    pdqToWords(query, this.qWords);
    const radius = threshold >>> 4;
    if (!this.indexed || radius >= LINEAR_FROM_RADIUS) this.scanLinear(threshold, 0, this.count, out);
    else {
      this.scanPostings(threshold, radius, out);
      if (this.pendingFrom < this.count) this.scanLinear(threshold, this.pendingFrom, this.count, out);
    }
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) throw new RangeError('unknown PDQ index id');
  }

  /** Checks every entry with id in [from, to). */
  private scanLinear(t: number, from: number, to: number, out: PdqMatch[]): void {
    const q = this.qWords;
    const q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    const disabled = this.disabled;
    for (let pageNo = from >>> HASH_PAGE_BITS; pageNo << HASH_PAGE_BITS < to; pageNo++) {
      const page = this.hashPages[pageNo];
      const first = pageNo << HASH_PAGE_BITS;
      const start = Math.max(from - first, 0) << 3;
      const end = Math.min(to - first, 1 << HASH_PAGE_BITS) << 3;
      for (let base = start; base < end; base += 8) {
        let d = popcount32(page[base] ^ q0) + popcount32(page[base + 1] ^ q1) + popcount32(page[base + 2] ^ q2);
        if (d > t) continue;
        d += popcount32(page[base + 3] ^ q3) + popcount32(page[base + 4] ^ q4);
        if (d > t) continue;
        d += popcount32(page[base + 5] ^ q5) + popcount32(page[base + 6] ^ q6) + popcount32(page[base + 7] ^ q7);
        if (d > t) continue;
        const id = first + (base >>> 3);
        if (disabled[id] === 0) out.push({ id, distance: d });
      }
    }
  }

  private scanPostings(t: number, r: number, out: PdqMatch[]): void {
    const q = this.qWords;
    const qc = this.qChunks;
    for (let j = 0; j < 8; j++) {
      qc[2 * j] = q[j] >>> 16;
      qc[2 * j + 1] = q[j] & 0xffff;
    }
    const pairLimit = 2 * r + 1;
    const hasBase = this.baseCount > 0;
    const hasOverflow = this.pendingFrom > this.baseCount;
    const rows = this.rows;
    const overflowBits = this.overflowBits;
    const pc16 = POPCOUNT16;

    // Phase 1: read every probed bucket's base offsets and overflow row; queue runs and first blocks.
    const maxProbes = CHUNKS * PROBES_PER_CHUNK[r];
    this.ensureProbeScratch(maxProbes);
    const segStart = this.segStart, segLen = this.segLen, segInfo = this.segInfo;
    const walkAddr = this.walkAddr, walkLeft = this.walkLeft, walkTaken = this.walkTaken, walkInfo = this.walkInfo;
    let blockAddr = this.blockAddr, blockLen = this.blockLen, blockCap = this.blockCap, blockInfo = this.blockInfo;
    let nSeg = 0;
    let nBlocks = 0;
    let walking = 0;
    for (let c = 0; c < CHUNKS; c++) {
      const qv = qc[c];
      const offsets = hasBase ? this.baseOffsets[c] : null;
      const rowBase = c << 16;
      for (let k = 0; k <= r; k++) {
        const masks = MASKS_BY_WEIGHT[k];
        const info = c | ((pairLimit - k) << 8); // the neighbour chunk may differ by at most pairLimit - k bits
        for (let mi = 0; mi < masks.length; mi++) {
          const v = qv ^ masks[mi];
          if (offsets !== null) {
            const lo = offsets[v];
            const len = offsets[v + 1] - lo;
            if (len !== 0) {
              segStart[nSeg] = lo;
              segLen[nSeg] = len;
              segInfo[nSeg] = info;
              nSeg++;
            }
          }
          if (hasOverflow && (overflowBits[(rowBase | v) >>> 5] & (1 << (v & 31))) !== 0) {
            const row = (rowBase | v) << 2;
            const n = rows[row];
            if (n !== 0) {
              const head = rows[row + 1];
              blockAddr[nBlocks] = head;
              blockLen[nBlocks] = n < BLOCK_FIRST ? n : BLOCK_FIRST;
              blockCap[nBlocks] = BLOCK_FIRST;
              blockInfo[nBlocks] = info;
              nBlocks++;
              if (n > BLOCK_FIRST) {
                walkAddr[walking] = head;
                walkLeft[walking] = n - BLOCK_FIRST;
                walkTaken[walking] = BLOCK_FIRST;
                walkInfo[walking] = info;
                walking++;
              }
            }
          }
        }
      }
    }

    // Phase 2: follow overflow chains one level at a time, so their next-block loads overlap.
    while (walking > 0) {
      if (nBlocks + walking > blockAddr.length) {
        this.ensureBlocks(nBlocks + walking);
        blockAddr = this.blockAddr;
        blockLen = this.blockLen;
        blockCap = this.blockCap;
        blockInfo = this.blockInfo;
      }
      let still = 0;
      for (let w = 0; w < walking; w++) {
        const a = walkAddr[w];
        const info = walkInfo[w];
        const page = this.arenas[info & 0xff][a >>> ARENA_PAGE_BITS];
        const o = a & ARENA_PAGE_MASK;
        const nextBlock = ((page[o] << 16) | page[o + 1]) >>> 0;
        const size = blockSizeAt(walkTaken[w]);
        const left = walkLeft[w];
        const n = left < size ? left : size;
        blockAddr[nBlocks] = nextBlock;
        blockLen[nBlocks] = n;
        blockCap[nBlocks] = size;
        blockInfo[nBlocks] = info;
        nBlocks++;
        if (left > n) {
          walkAddr[still] = nextBlock;
          walkLeft[still] = left - n;
          walkTaken[still] = walkTaken[w] + size;
          walkInfo[still] = info;
          still++;
        }
      }
      walking = still;
    }

    // Phase 3: pass every queued posting through the neighbour filter.
    // Base hits are queued as (position | BASE_HIT) and turned into ids in phase 4, so this loop makes
    // no random reads; pairs of neighbour chunks are read as one 32-bit word.
    let candId = this.candId, candChunk = this.candChunk;
    let nCand = 0;
    for (let s = 0; s < nSeg; s++) {
      const info = segInfo[s];
      const c = info & 0xff;
      const limit = info >>> 8;
      const qn = qc[(c + 1) & 15];
      const nexts = this.baseNext[c];
      const pairs = this.baseNextPairs[c];
      const qq = (qn | (qn << 16)) >>> 0;
      let i = segStart[s];
      const end = i + segLen[s];
      if (nCand + segLen[s] > candId.length) {
        this.candId = candId = grown(candId, nCand + segLen[s]);
        this.candChunk = candChunk = grown(candChunk, nCand + segLen[s]);
      }
      if ((i & 1) !== 0 && i < end) {
        if (pc16[nexts[i] ^ qn] <= limit) {
          candId[nCand] = i;
          candChunk[nCand++] = c | BASE_HIT;
        }
        i++;
      }
      for (; i + 1 < end; i += 2) {
        const x = pairs[i >>> 1] ^ qq;
        if (pc16[(x >>> EVEN_SHIFT) & 0xffff] <= limit) {
          candId[nCand] = i;
          candChunk[nCand++] = c | BASE_HIT;
        }
        if (pc16[(x >>> ODD_SHIFT) & 0xffff] <= limit) {
          candId[nCand] = i + 1;
          candChunk[nCand++] = c | BASE_HIT;
        }
      }
      if (i < end && pc16[nexts[i] ^ qn] <= limit) {
        candId[nCand] = i;
        candChunk[nCand++] = c | BASE_HIT;
      }
    }
    for (let bi = 0; bi < nBlocks; bi++) {
      const a = blockAddr[bi];
      const info = blockInfo[bi];
      const c = info & 0xff;
      const limit = info >>> 8;
      const qn = qc[(c + 1) & 15];
      const page = this.arenas[c][a >>> ARENA_PAGE_BITS];
      const start = (a & ARENA_PAGE_MASK) + 2;
      const end = start + blockLen[bi];
      const idsAt = start + blockCap[bi];
      for (let i = start; i < end; i++) {
        if (pc16[page[i] ^ qn] <= limit) {
          if (nCand === candId.length) {
            this.candId = candId = grown(candId, nCand + 1);
            this.candChunk = candChunk = grown(candChunk, nCand + 1);
          }
          const o = idsAt + 2 * (i - start);
          candId[nCand] = ((page[o] << 16) | page[o + 1]) >>> 0;
          candChunk[nCand] = c;
          nCand++;
        }
      }
    }

    // Phase 4: look up the ids of base hits (independent loads), then check each candidate in full.
    for (let i = 0; i < nCand; i++) {
      const cc = candChunk[i];
      if ((cc & BASE_HIT) !== 0) {
        candId[i] = this.baseIds[cc & 0xff][candId[i]];
        candChunk[i] = cc & 0xff;
      }
    }
    for (let i = 0; i < nCand; i++) this.checkCandidate(candId[i], candChunk[i], t, r, out);
  }

  private ensureProbeScratch(n: number): void {
    if (n > this.segStart.length) {
      this.segStart = grown(this.segStart, n);
      this.segLen = grown(this.segLen, n);
      this.segInfo = grown(this.segInfo, n);
      this.walkAddr = grown(this.walkAddr, n);
      this.walkLeft = grown(this.walkLeft, n);
      this.walkTaken = grown(this.walkTaken, n);
      this.walkInfo = grown(this.walkInfo, n);
    }
    this.ensureBlocks(n);
  }

  private ensureBlocks(n: number): void {
    if (n <= this.blockAddr.length) return;
    this.blockAddr = grown(this.blockAddr, n);
    this.blockLen = grown(this.blockLen, n);
    this.blockCap = grown(this.blockCap, n);
    this.blockInfo = grown(this.blockInfo, n);
  }

  /** Full distance with early exit, then the first-chunk rule so each match is reported once. */
  private checkCandidate(id: number, c: number, t: number, r: number, out: PdqMatch[]): void {
    if (this.disabled[id] !== 0) return;
    const page = this.hashPages[id >>> HASH_PAGE_BITS];
    const base = (id & HASH_PAGE_MASK) << 3;
    const q = this.qWords;
    let d = popcount32(page[base] ^ q[0]) + popcount32(page[base + 1] ^ q[1]) + popcount32(page[base + 2] ^ q[2]);
    if (d > t) return;
    d += popcount32(page[base + 3] ^ q[3]) + popcount32(page[base + 4] ^ q[4]);
    if (d > t) return;
    d += popcount32(page[base + 5] ^ q[5]) + popcount32(page[base + 6] ^ q[6]) + popcount32(page[base + 7] ^ q[7]);
    if (d > t) return;
    if (c > 0) {
      const cd = this.chunkDist;
      const last = c >>> 1;
      for (let j = 0; j <= last; j++) {
        const x = page[base + j] ^ q[j];
        cd[2 * j] = POPCOUNT16[x >>> 16];
        cd[2 * j + 1] = POPCOUNT16[x & 0xffff];
      }
      const pairLimit = 2 * r + 1;
      for (let e = 0; e < c; e++) if (cd[e] <= r && cd[e] + cd[e + 1] <= pairLimit) return; // reported from chunk e
    }
    out.push({ id, distance: d });
  }

  /** Appends the entry to the overflow chain of its bucket in every chunk. */
  private insertOverflow(id: number, page: Uint32Array, base: number): void {
    // The 16 MiB of rows is only paid for once something is added after a compaction.
    if (this.rows.length === 0) this.rows = new Uint32Array((CHUNKS << 16) * 4);
    const rows = this.rows;
    const idHi = id >>> 16;
    const idLo = id & 0xffff;
    for (let c = 0; c < CHUNKS; c++) {
      const value = chunkOf(page, base, c);
      const next = chunkOf(page, base, (c + 1) & 15);
      const row = ((c << 16) | value) << 2;
      const n = rows[row];
      const pos = positionAt(n);
      const size = blockSizeOf(n);
      const arena = this.arenas[c];
      let block: number;
      if (n === 0) {
        block = this.allocBlock(c, size);
        rows[row + 1] = block;
        rows[row + 2] = block;
        this.overflowBits[row >>> 7] |= 1 << ((row >>> 2) & 31);
      } else if (pos === 0) {
        block = this.allocBlock(c, size);
        const tail = rows[row + 2];
        const tp = arena[tail >>> ARENA_PAGE_BITS];
        tp[tail & ARENA_PAGE_MASK] = block >>> 16;
        tp[(tail & ARENA_PAGE_MASK) + 1] = block & 0xffff;
        rows[row + 2] = block;
      } else {
        block = rows[row + 2];
      }
      const p = arena[block >>> ARENA_PAGE_BITS];
      const o = (block & ARENA_PAGE_MASK) + 2;
      p[o + pos] = next;
      p[o + size + 2 * pos] = idHi;
      p[o + size + 2 * pos + 1] = idLo;
      rows[row] = n + 1;
    }
  }

  /** Reserves a block (2-unit header, `size` neighbour chunks, `size` ids) within one arena page. */
  private allocBlock(c: number, size: number): number {
    const arena = this.arenas[c];
    let addr = this.arenaTop[c];
    const units = 2 + 3 * size;
    if (Math.floor(addr / ARENA_PAGE_UNITS) === arena.length || (addr % ARENA_PAGE_UNITS) + units > ARENA_PAGE_UNITS) {
      if (arena.length >= MAX_ARENA_PAGES) throw new RangeError('PDQ index is full');
      addr = arena.length * ARENA_PAGE_UNITS;
      arena.push(new Uint16Array(ARENA_PAGE_UNITS));
    }
    const page = arena[addr >>> ARENA_PAGE_BITS];
    page[addr & ARENA_PAGE_MASK] = NIL16;
    page[(addr & ARENA_PAGE_MASK) + 1] = NIL16;
    this.arenaTop[c] = addr + units;
    return addr;
  }
}

/** Reference search over a plain list, for tests and recall checks: every (id, distance) within t. */
export function bruteForcePdq(hashes: readonly Uint8Array[], query: Uint8Array, threshold: number, skip?: (id: number) => boolean): PdqMatch[] {
  const out: PdqMatch[] = [];
  for (let id = 0; id < hashes.length; id++) {
    if (skip?.(id)) continue;
    const h = hashes[id];
    let d = 0;
    for (let i = 0; i < PDQ_BYTES; i++) d += POPCOUNT16[h[i] ^ query[i]];
    if (d <= threshold) out.push({ id, distance: d });
  }
  return out;
}
