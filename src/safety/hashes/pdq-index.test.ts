/**
 * Tests for pdq-index: every search must equal a brute-force scan (same ids, same distances), on random
 * data with neighbours planted at each distance 0..48, across thresholds that use probe radius 0, 1, 2
 * and the linear fallback, in both the small (linear) and bucketed modes, and through add/disable churn.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PdqIndex, bruteForcePdq, type PdqMatch } from './pdq-index.js';
import { hammingDistance } from './hamming.js';

/** Deterministic xorshift32 so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function randomHash(next: () => number): Uint8Array {
  const h = new Uint8Array(32);
  for (let i = 0; i < 32; i += 4) {
    const v = next();
    h[i] = v >>> 24;
    h[i + 1] = (v >>> 16) & 0xff;
    h[i + 2] = (v >>> 8) & 0xff;
    h[i + 3] = v & 0xff;
  }
  return h;
}

/** A copy of `h` with exactly `d` distinct bits flipped. */
function flipBits(h: Uint8Array, d: number, next: () => number): Uint8Array {
  const out = Uint8Array.from(h);
  const bits = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0; i < d; i++) {
    const j = i + (next() % (256 - i));
    [bits[i], bits[j]] = [bits[j], bits[i]];
    out[bits[i] >>> 3] ^= 1 << (bits[i] & 7);
  }
  return out;
}

/** A copy of `h` whose flipped bits all fall in as few chunks as possible, the worst case for the filter. */
function flipConcentrated(h: Uint8Array, d: number, firstChunk: number): Uint8Array {
  const out = Uint8Array.from(h);
  for (let i = 0; i < d; i++) {
    const bit = ((firstChunk * 16 + i) % 256) >>> 0;
    out[bit >>> 3] ^= 1 << (bit & 7);
  }
  return out;
}

function sorted(m: PdqMatch[]): PdqMatch[] {
  return [...m].sort((a, b) => a.distance - b.distance || a.id - b.id);
}

interface Fixture {
  index: PdqIndex;
  hashes: Uint8Array[];
  queries: Uint8Array[];
  disabled: Set<number>;
}

/** n random hashes, then for each query neighbours at every distance 0..48 (spread and concentrated). */
function build(n: number, queryCount: number, seed: number, indexFrom?: number): Fixture {
  const next = rng(seed);
  const index = new PdqIndex({ indexFrom });
  const hashes: Uint8Array[] = [];
  const add = (h: Uint8Array) => {
    const id = index.add(h);
    assert.equal(id, hashes.length);
    hashes.push(h);
  };
  for (let i = 0; i < n; i++) add(randomHash(next));
  const queries: Uint8Array[] = [];
  for (let q = 0; q < queryCount; q++) {
    const query = randomHash(next);
    queries.push(query);
    for (let d = 0; d <= 48; d++) {
      add(flipBits(query, d, next));
      add(flipConcentrated(query, d, q % 16));
    }
  }
  return { index, hashes, queries, disabled: new Set() };
}

function assertSameAsBruteForce(f: Fixture, thresholds: number[]): void {
  for (const t of thresholds) {
    for (const query of f.queries) {
      const got = f.index.search(query, t);
      const want = sorted(bruteForcePdq(f.hashes, query, t, (id) => f.disabled.has(id)));
      assert.deepEqual(got, want, `threshold ${t}`);
    }
  }
}

describe('PdqIndex', () => {
  const big = build(20_000, 24, 7);

  it('builds buckets once it passes indexFrom', () => {
    assert.equal(big.index.isBucketed, true);
    assert.equal(big.index.size, 20_000 + 24 * 49 * 2);
  });

  it('equals brute force at thresholds 0, 10, 15, 16, 31, 32, 47 and the linear fallback (80)', () => {
    assertSameAsBruteForce(big, [0, 10, 15, 16, 31, 32, 47, 80]);
  });

  it('finds the planted neighbour at every distance up to the threshold', () => {
    const got = big.index.search(big.queries[0], 31);
    const distances = new Set(got.map((m) => m.distance));
    for (let d = 0; d <= 31; d++) assert.ok(distances.has(d), `distance ${d}`);
    assert.ok(got.every((m) => m.distance <= 31));
  });

  it('reports each match once and its true distance', () => {
    const got = big.index.search(big.queries[1], 47);
    assert.equal(new Set(got.map((m) => m.id)).size, got.length);
    for (const m of got) assert.equal(m.distance, hammingDistance(big.hashes[m.id], big.queries[1]));
  });

  it('skips disabled entries, and finds them again once enabled', () => {
    const f = build(5_000, 6, 11);
    const first = f.index.search(f.queries[0], 31);
    assert.ok(first.length >= 32);
    for (const m of first.slice(0, 10)) {
      assert.equal(f.index.disable(m.id), true);
      f.disabled.add(m.id);
    }
    assert.equal(f.index.disable(first[0].id), false);
    assertSameAsBruteForce(f, [10, 31, 47]);
    assert.equal(f.index.activeSize, f.index.size - 10);
    f.index.enable(first[0].id);
    f.disabled.delete(first[0].id);
    assertSameAsBruteForce(f, [31]);
  });

  it('finds entries added after a search', () => {
    const f = build(5_000, 4, 13);
    assertSameAsBruteForce(f, [31]);
    const next = rng(99);
    for (const q of f.queries) {
      for (const d of [0, 1, 17, 31, 32]) {
        const h = flipBits(q, d, next);
        f.index.add(h);
        f.hashes.push(h);
      }
    }
    assertSameAsBruteForce(f, [31, 47]);
  });

  it('equals brute force after compact(), and after adds and disables on top of it', () => {
    const f = build(8_000, 6, 23);
    assert.ok(f.index.overflowSize > 0);
    const before = f.queries.map((q) => f.index.search(q, 31));
    f.index.compact();
    assert.equal(f.index.overflowSize, 0);
    assert.deepEqual(f.queries.map((q) => f.index.search(q, 31)), before);
    assertSameAsBruteForce(f, [0, 15, 31, 47]);
    const next = rng(3);
    for (const q of f.queries) {
      for (const d of [0, 5, 31]) {
        const h = flipBits(q, d, next);
        f.index.add(h);
        f.hashes.push(h);
      }
      const victim = f.index.search(q, 31)[0].id;
      f.index.disable(victim);
      f.disabled.add(victim);
    }
    assert.equal(f.index.overflowSize, 18);
    assertSameAsBruteForce(f, [10, 31, 47]);
    f.index.compact();
    assertSameAsBruteForce(f, [10, 31, 47]);
  });

  it('with postings deferred (bulk load), equals brute force before and after compact()', () => {
    // Base from the first compaction, overflow from plain adds, then a deferred batch on top.
    const f = build(3_000, 4, 29);
    f.index.deferPostings();
    const next = rng(31);
    for (let i = 0; i < 4_000; i++) {
      const h = i % 100 === 0 ? flipBits(f.queries[i % 4], (i / 100) % 40, next) : randomHash(next);
      f.index.add(h);
      f.hashes.push(h);
    }
    const disabledId = f.index.size - 100; // a deferred entry (i = 3900, near query 0)
    f.index.disable(disabledId);
    f.disabled.add(disabledId);
    assertSameAsBruteForce(f, [10, 31, 47]);
    f.index.compact();
    assert.equal(f.index.overflowSize, 0);
    assertSameAsBruteForce(f, [10, 31, 47]);
    // Adds after the compaction go back to overflow postings.
    const h = flipBits(f.queries[0], 3, next);
    f.index.add(h);
    f.hashes.push(h);
    assert.equal(f.index.overflowSize, 1);
    assertSameAsBruteForce(f, [31]);
  });

  it('linear mode (small index) equals brute force, and crossing indexFrom keeps results', () => {
    const f = build(100, 3, 17, 1_000_000);
    assert.equal(f.index.isBucketed, false);
    assertSameAsBruteForce(f, [0, 31, 47]);
    const g = build(0, 3, 17, 150);
    assert.equal(g.index.isBucketed, true); // 294 entries > 150
    assertSameAsBruteForce(g, [0, 31, 47]);
  });

  it('handles buckets far larger than one block (skewed data)', () => {
    // Every hash shares chunk 0..3 values, so four chunks have one bucket of thousands of postings.
    const next = rng(5);
    const index = new PdqIndex({ indexFrom: 0 });
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < 3_000; i++) {
      const h = randomHash(next);
      h.fill(0xab, 0, 8);
      if (i % 50 === 0) h.fill(0xab, 8, 24); // a cluster of near-identical hashes
      hashes.push(h);
      index.add(h);
    }
    for (let i = 0; i < 20; i++) {
      const q = i % 2 === 0 ? hashes[i * 50] : randomHash(next);
      for (const t of [31, 47]) assert.deepEqual(index.search(q, t), sorted(bruteForcePdq(hashes, q, t)));
    }
  });

  it('equals brute force for arbitrary hashes and thresholds (property)', () => {
    // One index grows across runs (a fresh one per run would spend the time allocating bucket tables);
    // every run compares against brute force over everything added so far, and some runs compact first.
    const index = new PdqIndex({ indexFrom: 0 });
    const hashes: Uint8Array[] = [];
    let run = 0;
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        fc.array(hash, { minLength: 1, maxLength: 40 }),
        hash,
        fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 64 }),
        (base, query, flips, t) => {
          // Mix unrelated hashes with hashes near the query so matches actually occur.
          for (let i = 0; i < base.length; i++) {
            const near = Uint8Array.from(query);
            for (const b of flips.slice(0, i + 1)) near[b >>> 3] ^= 1 << (b & 7);
            for (const h of [base[i], near]) {
              index.add(h);
              hashes.push(h);
            }
          }
          if (++run % 37 === 0) index.compact();
          assert.deepEqual(index.search(query, t), sorted(bruteForcePdq(hashes, query, t)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects bad input', () => {
    const index = new PdqIndex();
    assert.throws(() => index.add(new Uint8Array(31)), RangeError);
    index.add(new Uint8Array(32));
    assert.throws(() => index.search(new Uint8Array(32), 256), RangeError);
    assert.throws(() => index.search(new Uint8Array(32), 3.5), RangeError);
    assert.throws(() => index.search(new Uint8Array(16), 31), RangeError);
    assert.throws(() => index.disable(1), RangeError);
    assert.deepEqual(index.getHash(0), new Uint8Array(32));
  });
});
