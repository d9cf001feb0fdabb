/**
 * safety/hashes pdq-index: an in-memory index of 256-bit PDQ hashes answering "every stored hash within
 * Hamming distance t of this query", exactly (the result always equals a brute-force scan).
 *
 * Method: multi-index hashing (Norouzi, Punjani, Fleet 2012). The hash is cut into 16 chunks of 16 bits
 * and each chunk has 65,536 buckets. With per-chunk radius r = floor(t / 16), a hash within distance t
 * of the query has some chunk within r bits of the query's chunk (16 chunks each more than r bits off
 * would total at least 16(r+1) > t), so probing, in every chunk, the query's value and all values within
 * r bits (1 + 16 = 17 buckets at t = 31, 137 at t <= 47) finds every match.
 *
 * Neighbour filter: a posting in chunk c also stores chunk c+1 (mod 16) of its hash, and a candidate is
 * only looked up when d_c + d_{c+1} <= 2r + 1. This loses nothing: if every chunk with d_c <= r had
 * d_c + d_{c+1} >= 2r + 2, then each such chunk's successor has d > r, so low chunks and their successors
 * form disjoint pairs of at least 2r + 2 and every other chunk has at least r + 1, totalling at least
 * 16(r+1) > t. At 10M hashes and t = 31 this reads ~40k 16-bit postings per query sequentially and
 * fetches ~100 full hashes, instead of fetching ~40k hashes from random memory.
 *
 * Dedupe: a match is reported only from the first chunk c where both the probe (d_c <= r) and the filter
 * hold, which is checked on the full hash once it is known to match; so no per-query marker array.
 *
 * Storage (no object per entry): hashes in 2 MiB pages of eight big-endian words per entry; postings in
 * an arena of 1M-unit pages (a Uint32Array of entry ids beside a Uint16Array of neighbour chunks), each
 * bucket a chain of blocks of 8, 16, 32, then 64 postings with the next block's address in the block's
 * first unit. Adding appends to 16 chains; disabling sets a tombstone the search skips; nothing is ever
 * rebuilt. Below `indexFrom` entries (default 2048) there are no buckets at all and search is a linear
 * scan; the buckets are built once when the index grows past that, so small banks cost a few KiB.
 *
 * Ids are dense numbers from 0 in insertion order; callers map them to their own entry ids.
 */
import { POPCOUNT16 as P2, pdqToWords, wordsToPdq } from './hamming.js';
const POPCOUNT16: Uint8Array = P2;

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
const NIL = 0xffffffff;
const HASH_PAGE_BITS = 16; // entries per hash page: 65,536 x 32 bytes = 2 MiB
const HASH_PAGE_MASK = (1 << HASH_PAGE_BITS) - 1;
const ARENA_PAGE_BITS = 20; // units per arena page: 4 MiB of ids + 2 MiB of neighbour chunks
const ARENA_PAGE_SIZE = 1 << ARENA_PAGE_BITS;
const ARENA_PAGE_MASK = ARENA_PAGE_SIZE - 1;
const MAX_ARENA_PAGES = 4095; // keeps every address below NIL
/** From radius 5 up, probing reads more postings than there are entries: scan instead. */
const LINEAR_FROM_RADIUS = 5;

// Chain block sizes: small first blocks keep sparse buckets cheap, 64 caps the slack of a full bucket
// (~17% at 10M entries, where a bucket holds ~150 postings) and the number of block hops per scan.
const BLOCK_CUMULATIVE = [8, 24, 56, 120];
const BLOCK_FIRST = 8;
const BLOCK_LAST = 64;

/** All 16-bit masks grouped by popcount: the probe offsets for each radius. */
const MASKS_BY_WEIGHT: Uint16Array[] = (() => {
  const groups: number[][] = Array.from({ length: 17 }, () => []);
  for (let m = 0; m < 65536; m++) groups[POPCOUNT16[m]].push(m);
  return groups.map((g) => Uint16Array.from(g));
})();

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
  private bucketHead = new Uint32Array(0);
  private bucketTail = new Uint32Array(0);
  private bucketCount = new Uint32Array(0);
  private readonly idPages: Uint32Array[] = [];
  private readonly nextPages: Uint16Array[] = [];
  private arenaTop = 0;

  // Query scratch, reused by every search (search is synchronous, so never shared by two callers).
  private readonly qWords = new Uint32Array(8);
  private readonly qChunks = new Uint16Array(CHUNKS);
  private readonly chunkDist = new Uint8Array(CHUNKS);

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
    const pageNo = id >>> HASH_PAGE_BITS;
    if (pageNo === this.hashPages.length) this.hashPages.push(new Uint32Array(8 << HASH_PAGE_BITS));
    const page = this.hashPages[pageNo];
    const base = (id & HASH_PAGE_MASK) << 3;
    pdqToWords(hash, page, base, offset);
    if (id >= this.disabled.length) {
      const grown = new Uint8Array(this.disabled.length * 2);
      grown.set(this.disabled);
      this.disabled = grown;
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
    let bytes = this.disabled.byteLength + this.bucketHead.byteLength * 3;
    for (const p of this.hashPages) bytes += p.byteLength;
    for (let i = 0; i < this.idPages.length; i++) bytes += this.idPages[i].byteLength + this.nextPages[i].byteLength;
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
    const q = this.qWords;
    pdqToWords(query, q);
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
    const head = this.bucketHead;
    const counts = this.bucketCount;
    const idPages = this.idPages;
    const nextPages = this.nextPages;
    for (let c = 0; c < CHUNKS; c++) {
      const qv = qc[c];
      const qn = qc[(c + 1) & 15];
      const bucketBase = c << 16;
      for (let k = 0; k <= r; k++) {
        const masks = MASKS_BY_WEIGHT[k];
        const limit = pairLimit - k; // neighbour chunk may differ by at most this many bits
        for (let mi = 0; mi < masks.length; mi++) {
          const b = bucketBase | (qv ^ masks[mi]);
          let left = counts[b];
          if (left === 0) continue;
          let addr = head[b];
          let size = BLOCK_FIRST;
          let taken = 0;
          for (;;) {
            const ids = idPages[addr >>> ARENA_PAGE_BITS];
            const nexts = nextPages[addr >>> ARENA_PAGE_BITS];
            const start = (addr & ARENA_PAGE_MASK) + 1;
            const n = left < size ? left : size;
            const end = start + n;
            for (let i = start; i < end; i++) {
              if (POPCOUNT16[nexts[i] ^ qn] <= limit) this.checkCandidate(ids[i], c, t, r, out);
            }
            left -= n;
            if (left === 0) break;
            addr = ids[start - 1];
            taken += size;
            size = blockSizeAt(taken);
          }
        }
      }
    }
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
      for (let e = 0; e < c; e++) if (cd[e] <= r && cd[e] + cd[e + 1] <= pairLimit) return; // found at chunk e
    }
    out.push({ id, distance: d });
  }

  private buildBuckets(): void {
    const buckets = CHUNKS << 16;
    this.bucketHead = new Uint32Array(buckets).fill(NIL);
    this.bucketTail = new Uint32Array(buckets).fill(NIL);
    this.bucketCount = new Uint32Array(buckets);
    this.indexed = true;
    for (let id = 0; id < this.count; id++) {
      this.insertPostings(id, this.hashPages[id >>> HASH_PAGE_BITS], (id & HASH_PAGE_MASK) << 3);
    }
  }

  private insertPostings(id: number, page: Uint32Array, base: number): void {
    for (let c = 0; c < CHUNKS; c++) {
      const w = page[base + (c >>> 1)];
      const value = (c & 1) === 0 ? w >>> 16 : w & 0xffff;
      const nw = page[base + (((c + 1) & 15) >>> 1)];
      const next = (c & 1) === 0 ? nw & 0xffff : nw >>> 16; // chunk c+1 is the other half (or word 0's high half)
      const b = (c << 16) | value;
      const n = this.bucketCount[b];
      const pos = positionAt(n);
      let block: number;
      if (n === 0) {
        block = this.allocBlock(BLOCK_FIRST);
        this.bucketHead[b] = block;
        this.bucketTail[b] = block;
      } else if (pos === 0) {
        block = this.allocBlock(blockSizeAt(n));
        const tail = this.bucketTail[b];
        this.idPages[tail >>> ARENA_PAGE_BITS][tail & ARENA_PAGE_MASK] = block;
        this.bucketTail[b] = block;
      } else {
        block = this.bucketTail[b];
      }
      const at = (block & ARENA_PAGE_MASK) + 1 + pos;
      this.idPages[block >>> ARENA_PAGE_BITS][at] = id;
      this.nextPages[block >>> ARENA_PAGE_BITS][at] = next;
      this.bucketCount[b] = n + 1;
    }
  }

  /** Reserves a block (one header unit + `size` postings) that never straddles an arena page. */
  private allocBlock(size: number): number {
    let addr = this.arenaTop;
    const units = size + 1;
    if (addr >>> ARENA_PAGE_BITS === this.idPages.length || (addr & ARENA_PAGE_MASK) + units > ARENA_PAGE_SIZE) {
      if (this.idPages.length >= MAX_ARENA_PAGES) throw new RangeError('PDQ index is full');
      addr = this.idPages.length * ARENA_PAGE_SIZE;
      this.idPages.push(new Uint32Array(ARENA_PAGE_SIZE));
      this.nextPages.push(new Uint16Array(ARENA_PAGE_SIZE));
    }
    this.idPages[addr >>> ARENA_PAGE_BITS][addr & ARENA_PAGE_MASK] = NIL;
    this.arenaTop = addr + units;
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
