/**
 * safety/hashes pdq-index: an in-memory index of 256-bit PDQ hashes answering "every stored hash within
 * Hamming distance t of this query", exactly (the result always equals a brute-force scan).
 *
 * Method: multi-index hashing (Norouzi, Punjani, Fleet 2012). The hash is cut into 16 chunks of 16 bits
 * and each chunk has 65,536 buckets. With per-chunk radius r = floor(t / 16), a hash within distance t
 * of the query has some chunk within r bits of the query's chunk (16 chunks each more than r bits off
 * would total at least 16(r+1) > t), so probing, in every chunk, the query's value and all values within
 * r bits (1 + 16 = 17 buckets at t <= 31, 137 at t <= 47) finds every match.
 *
 * Neighbour filter: a posting in chunk c also stores chunk c+1 (mod 16) of its hash, and a candidate is
 * only looked up when d_c + d_{c+1} <= 2r + 1. This loses nothing: if every chunk with d_c <= r had
 * d_c + d_{c+1} >= 2r + 2, then each such chunk's successor has d > r, so low chunks and their successors
 * form disjoint pairs of at least 2r + 2 and every other chunk has at least r + 1, totalling at least
 * 16(r+1) > t. At 10M hashes and t = 31 a query reads ~40k postings sequentially and fetches ~100 full
 * hashes, instead of fetching ~40k hashes from random memory.
 *
 * Dedupe: a match is reported only from the first chunk c where both the probe (d_c <= r) and the filter
 * hold, which is checked on the full hash once it is known to match; so no per-query marker array.
 *
 * Storage (no object per entry): hashes in 2 MiB pages of eight big-endian words per entry. Postings are
 * three 16-bit units (id high, id low, neighbour chunk) in 6 MiB arena pages; each bucket is a chain of
 * blocks of 8, 16, 32, then 64 postings, whose first posting-sized slot holds the next block's address.
 * Each bucket's count, head and tail share one 16-byte row so a probe costs one cache miss. Adding
 * appends to 16 chains; disabling sets a tombstone the search skips; nothing is ever rebuilt. Below
 * `indexFrom` entries (default 2048) there are no buckets and search is a linear scan; the buckets are
 * built once when the index grows past that, so a small bank costs a few KiB, not the 16 MiB bucket table.
 *
 * Search is memory-latency bound, so it runs in phases whose loads do not depend on each other (bucket
 * rows, then the chains level by level, then the postings, then candidate hashes): the CPU then keeps
 * many cache misses in flight instead of waiting on one pointer at a time.
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
  /** Entry count at which buckets are built; below it, search scans linearly. Default 2048. */
  indexFrom?: number;
}

export const PDQ_BYTES = 32;
/** Meta's recommended PDQ match threshold. */
export const PDQ_DEFAULT_THRESHOLD = 31;
export const PDQ_MAX_THRESHOLD = 255;

const CHUNKS = 16;
export const STATS = { blocks: 0, postings: 0, cands: 0, searches: 0 };
const NIL = 0xffffffff;
const HASH_PAGE_BITS = 16; // entries per hash page: 65,536 x 32 bytes = 2 MiB
const HASH_PAGE_MASK = (1 << HASH_PAGE_BITS) - 1;
const ARENA_PAGE_BITS = 20; // postings per arena page: 1M x 6 bytes
const ARENA_PAGE_POSTINGS = 1 << ARENA_PAGE_BITS;
const ARENA_PAGE_MASK = ARENA_PAGE_POSTINGS - 1;
const MAX_ARENA_PAGES = 4095; // keeps every address below NIL
/** From radius 5 up, probing reads more postings than there are entries: scan instead. */
const LINEAR_FROM_RADIUS = 5;

// Chain block sizes: small first blocks keep sparse buckets cheap, 64 caps the slack of a full bucket
// (~17% at 10M entries, where a bucket holds ~150 postings) while keeping chains short.
const BLOCK_CUMULATIVE = [8, 24, 56, 120];
const BLOCK_FIRST = 8;
const BLOCK_LAST = 64;

/** All 16-bit masks grouped by popcount: the probe offsets for each radius. */
const MASKS_BY_WEIGHT: Uint16Array[] = (() => {
  const groups: number[][] = Array.from({ length: 17 }, () => []);
  for (let m = 0; m < 65536; m++) groups[POPCOUNT16[m]].push(m);
  return groups.map((g) => Uint16Array.from(g));
})();

/** Buckets probed per chunk at each radius: sum of C(16, k) for k <= r. */
const PROBES_PER_CHUNK: number[] = MASKS_BY_WEIGHT.map((_, r) => MASKS_BY_WEIGHT.slice(0, r + 1).reduce((n, m) => n + m.length, 0));

/** Size of the block that starts when a bucket already holds `n` postings (n at a block boundary). */
function blockSizeAt(n: number): number {
  if (n === 0) return BLOCK_FIRST;
  for (let b = 0; b < BLOCK_CUMULATIVE.length - 1; b++) if (n === BLOCK_CUMULATIVE[b]) return BLOCK_CUMULATIVE[b + 1] - n;
  return BLOCK_LAST;
}

/** Position within its block of posting number `n` of a bucket; 0 means a new block starts. */
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

/** Validates a threshold for PDQ search: an integer 0..255. */
export function isValidPdqThreshold(t: unknown): t is number {
  return typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= PDQ_MAX_THRESHOLD;
}

export class PdqIndex {
  private count = 0;
  private activeCount = 0;
  private readonly hashPages: Uint32Array[] = [];
  private disabled = new Uint8Array(256);
  private readonly indexFrom: number;

  private indexed = false;
  /** Per bucket (chunk << 16 | value): [count, head address, tail address, unused]. */
  private buckets = new Uint32Array(0);
  private readonly arena: Uint16Array[] = [];
  private arenaTop = 0;

  // Search scratch, reused by every search (search is synchronous, so never shared by two callers).
  private readonly qWords = new Uint32Array(8);
  private readonly qChunks = new Uint16Array(CHUNKS);
  private readonly chunkDist = new Uint8Array(CHUNKS);
  /** Chains still being walked: address of the block last queued, postings left, postings passed, info. */
  private walkAddr = new Uint32Array(512);
  private walkLeft = new Uint32Array(512);
  private walkTaken = new Uint32Array(512);
  private walkInfo = new Uint32Array(512);
  /** Blocks to scan: address, postings in use, info (chunk | limit << 8). */
  private blockAddr = new Uint32Array(2048);
  private blockLen = new Uint32Array(2048);
  private blockInfo = new Uint32Array(2048);
  /** Candidates that passed the neighbour filter: id and the chunk they came from. */
  private candId = new Uint32Array(1024);
  private candChunk = new Uint32Array(1024);

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

  /** Whether the buckets exist yet (false while small enough for linear search). */
  get isBucketed(): boolean {
    return this.indexed;
  }

  /**
   * Adds a 32-byte hash read from `hash` at `offset` and returns its id. Copies the bytes, so the caller
   * may reuse its buffer (bulk loaders pass one large buffer and an offset).
   */
  add(hash: Uint8Array, offset = 0): number {
    if (offset < 0 || offset + PDQ_BYTES > hash.length) throw new RangeError('PDQ hash must be 32 bytes');
    const id = this.count;
    if (id >= NIL) throw new RangeError('PDQ index is full');
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
    if (this.indexed) this.insertPostings(id, page, base);
    else if (this.count >= this.indexFrom) this.buildBuckets();
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

  /** Bytes held in typed arrays (hashes, tombstones, buckets, postings); excludes the JS objects. */
  memoryBytes(): number {
    let bytes = this.disabled.byteLength + this.buckets.byteLength;
    for (const p of this.hashPages) bytes += p.byteLength;
    for (const p of this.arena) bytes += p.byteLength;
    return bytes;
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
    if (!this.indexed || radius >= LINEAR_FROM_RADIUS) this.scanLinear(threshold, out);
    else this.scanBuckets(threshold, radius, out);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) throw new RangeError('unknown PDQ index id');
  }

  private scanLinear(t: number, out: PdqMatch[]): void {
    const q = this.qWords;
    const q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    const disabled = this.disabled;
    const n = this.count;
    for (let pageNo = 0; pageNo < this.hashPages.length; pageNo++) {
      const page = this.hashPages[pageNo];
      const first = pageNo << HASH_PAGE_BITS;
      const end = Math.min(n - first, 1 << HASH_PAGE_BITS) << 3;
      for (let base = 0; base < end; base += 8) {
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

  private scanBuckets(t: number, r: number, out: PdqMatch[]): void {
    const q = this.qWords;
    const qc = this.qChunks;
    for (let j = 0; j < 8; j++) {
      qc[2 * j] = q[j] >>> 16;
      qc[2 * j + 1] = q[j] & 0xffff;
    }
    const pairLimit = 2 * r + 1;
    const buckets = this.buckets;
    const arena = this.arena;
    const pc16 = POPCOUNT16;

    // Phase 1: read every probed bucket's row; queue its first block and remember longer chains.
    const maxProbes = CHUNKS * PROBES_PER_CHUNK[r];
    this.ensureWalk(maxProbes);
    this.ensureBlocks(maxProbes);
    let walkAddr = this.walkAddr, walkLeft = this.walkLeft, walkTaken = this.walkTaken, walkInfo = this.walkInfo;
    let blockAddr = this.blockAddr, blockLen = this.blockLen, blockInfo = this.blockInfo;
    let walking = 0;
    let nBlocks = 0;
    for (let c = 0; c < CHUNKS; c++) {
      const qv = qc[c];
      const bucketBase = c << 16;
      for (let k = 0; k <= r; k++) {
        const masks = MASKS_BY_WEIGHT[k];
        const info = c | ((pairLimit - k) << 8); // neighbour chunk may differ by at most pairLimit - k bits
        for (let mi = 0; mi < masks.length; mi++) {
          const row = (bucketBase | (qv ^ masks[mi])) << 2;
          const n = buckets[row];
          if (n === 0) continue;
          const head = buckets[row + 1];
          blockAddr[nBlocks] = head;
          blockLen[nBlocks] = n < BLOCK_FIRST ? n : BLOCK_FIRST;
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

    // Phase 2: follow all chains one level at a time, so their next-block loads overlap.
    while (walking > 0) {
      if (nBlocks + walking > blockAddr.length) {
        this.ensureBlocks(nBlocks + walking);
        blockAddr = this.blockAddr;
        blockLen = this.blockLen;
        blockInfo = this.blockInfo;
      }
      let still = 0;
      for (let w = 0; w < walking; w++) {
        const a = walkAddr[w];
        const page = arena[a >>> ARENA_PAGE_BITS];
        const o = (a & ARENA_PAGE_MASK) * 3;
        const nextBlock = ((page[o] << 16) | page[o + 1]) >>> 0;
        const size = blockSizeAt(walkTaken[w]);
        const left = walkLeft[w];
        const n = left < size ? left : size;
        blockAddr[nBlocks] = nextBlock;
        blockLen[nBlocks] = n;
        blockInfo[nBlocks] = walkInfo[w];
        nBlocks++;
        if (left > n) {
          walkAddr[still] = nextBlock;
          walkLeft[still] = left - n;
          walkTaken[still] = walkTaken[w] + size;
          walkInfo[still] = walkInfo[w];
          still++;
        }
      }
      walking = still;
    }

    // Phase 3: scan the postings of every queued block through the neighbour filter.
    let candId = this.candId, candChunk = this.candChunk;
    let nCand = 0;
    for (let bi = 0; bi < nBlocks; bi++) {
      const a = blockAddr[bi];
      const page = arena[a >>> ARENA_PAGE_BITS];
      const info = blockInfo[bi];
      const c = info & 0xff;
      const limit = info >>> 8;
      const qn = qc[(c + 1) & 15];
      const start = (a & ARENA_PAGE_MASK) * 3 + 3;
      const end = start + blockLen[bi] * 3;
      for (let o = start; o < end; o += 3) {
        if (pc16[page[o + 2] ^ qn] <= limit) {
          if (nCand === candId.length) {
            this.candId = candId = grown(candId, nCand + 1);
            this.candChunk = candChunk = grown(candChunk, nCand + 1);
          }
          candId[nCand] = ((page[o] << 16) | page[o + 1]) >>> 0;
          candChunk[nCand] = c;
          nCand++;
        }
      }
    }

    STATS.searches++; STATS.blocks += nBlocks; STATS.cands += nCand; for (let bi = 0; bi < nBlocks; bi++) STATS.postings += blockLen[bi];
    // Phase 4: full distance for each candidate.
    for (let i = 0; i < nCand; i++) this.checkCandidate(candId[i], candChunk[i], t, r, out);
  }

  private ensureWalk(n: number): void {
    if (n <= this.walkAddr.length) return;
    this.walkAddr = grown(this.walkAddr, n);
    this.walkLeft = grown(this.walkLeft, n);
    this.walkTaken = grown(this.walkTaken, n);
    this.walkInfo = grown(this.walkInfo, n);
  }

  private ensureBlocks(n: number): void {
    if (n <= this.blockAddr.length) return;
    this.blockAddr = grown(this.blockAddr, n);
    this.blockLen = grown(this.blockLen, n);
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

  private buildBuckets(): void {
    this.buckets = new Uint32Array((CHUNKS << 16) * 4);
    this.indexed = true;
    for (let id = 0; id < this.count; id++) {
      this.insertPostings(id, this.hashPages[id >>> HASH_PAGE_BITS], (id & HASH_PAGE_MASK) << 3);
    }
  }

  private insertPostings(id: number, page: Uint32Array, base: number): void {
    const buckets = this.buckets;
    const idHi = id >>> 16;
    const idLo = id & 0xffff;
    for (let c = 0; c < CHUNKS; c++) {
      const w = page[base + (c >>> 1)];
      const value = (c & 1) === 0 ? w >>> 16 : w & 0xffff;
      const nw = page[base + (((c + 1) & 15) >>> 1)];
      const next = (c & 1) === 0 ? nw & 0xffff : nw >>> 16; // chunk c+1: the other half, or the next word's high half
      const row = ((c << 16) | value) << 2;
      const n = buckets[row];
      const pos = positionAt(n);
      let block: number;
      if (n === 0) {
        block = this.allocBlock(BLOCK_FIRST);
        buckets[row + 1] = block;
        buckets[row + 2] = block;
      } else if (pos === 0) {
        block = this.allocBlock(blockSizeAt(n));
        const tail = buckets[row + 2];
        const tp = this.arena[tail >>> ARENA_PAGE_BITS];
        const to = (tail & ARENA_PAGE_MASK) * 3;
        tp[to] = block >>> 16;
        tp[to + 1] = block & 0xffff;
        buckets[row + 2] = block;
      } else {
        block = buckets[row + 2];
      }
      const p = this.arena[block >>> ARENA_PAGE_BITS];
      const o = ((block & ARENA_PAGE_MASK) + 1 + pos) * 3;
      p[o] = idHi;
      p[o + 1] = idLo;
      p[o + 2] = next;
      buckets[row] = n + 1;
    }
  }

  /** Reserves a block (a header slot + `size` postings) that never straddles an arena page. */
  private allocBlock(size: number): number {
    let addr = this.arenaTop;
    const slots = size + 1;
    if (addr >>> ARENA_PAGE_BITS === this.arena.length || (addr & ARENA_PAGE_MASK) + slots > ARENA_PAGE_POSTINGS) {
      if (this.arena.length >= MAX_ARENA_PAGES) throw new RangeError('PDQ index is full');
      addr = this.arena.length * ARENA_PAGE_POSTINGS;
      this.arena.push(new Uint16Array(ARENA_PAGE_POSTINGS * 3));
    }
    this.arenaTop = addr + slots;
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
