// Tests for the dense Aho-Corasick automaton: it reports exactly the occurrences a naive substring search
// finds (overlapping ones, patterns that are suffixes of others, non-ASCII and surrogate units), and
// reads aliased units as their alias.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AhoCorasick } from './aho-corasick.js';

function matches(ac: AhoCorasick, text: string): string[] {
  const out: string[] = [];
  ac.forEachMatch(text, (id, start, end) => out.push(`${id}@${start}-${end}`));
  return out.sort();
}

function naive(patterns: readonly string[], text: string, alias: (u: number) => number = (u) => u): string[] {
  const read = (s: string) => Array.from({ length: s.length }, (_, k) => s.charCodeAt(k)).map((u) => (u < 128 ? alias(u) : u));
  const t = read(text);
  const out: string[] = [];
  patterns.forEach((p, id) => {
    const q = read(p);
    for (let s = 0; s + q.length <= t.length; s++) if (q.every((u, k) => t[s + k] === u)) out.push(`${id}@${s}-${s + q.length}`);
  });
  return out.sort();
}

test('finds overlapping occurrences and patterns inside other patterns', () => {
  const patterns = ['he', 'she', 'his', 'hers', 'e'];
  const ac = new AhoCorasick(patterns);
  assert.deepEqual(matches(ac, 'ushers'), naive(patterns, 'ushers'));
  assert.deepEqual(matches(ac, 'ushers'), ['0@2-4', '1@1-4', '3@2-6', '4@3-4']); // he, she, hers, e
  assert.deepEqual(matches(ac, 'aaaa'), []);
});

test('duplicate patterns are reported under each id', () => {
  const ac = new AhoCorasick(['ab', 'ab']);
  assert.deepEqual(matches(ac, 'xab'), ['0@1-3', '1@1-3']);
});

test('non-ASCII and astral units are matched unit by unit', () => {
  const patterns = ['ѕnар', '😀x', '\ud83d'];
  const ac = new AhoCorasick(patterns);
  const text = 'add ѕnар 😀x 😁';
  assert.deepEqual(matches(ac, text), naive(patterns, text));
});

test('an alias folds ASCII units before matching', () => {
  const alias = (u: number) => (u === 9 || u === 10 ? 32 : u >= 48 && u <= 57 ? 48 : u);
  const ac = new AhoCorasick(['a b', '00'], alias);
  assert.deepEqual(matches(ac, 'a\tb 12 a\nb'), ['0@0-3', '0@7-10', '1@4-6']);
});

test('empty patterns are rejected', () => {
  assert.throws(() => new AhoCorasick(['a', '']));
});

test('property: same occurrences as a naive search', () => {
  const unit = fc.constantFrom('a', 'b', 'c', ' ', '\t', '1', '7', 'é', 'ѕ', '\ud83d', '\ude00');
  const str = (min: number, max: number) => fc.array(unit, { minLength: min, maxLength: max }).map((a) => a.join(''));
  const alias = (u: number) => (u === 9 ? 32 : u === 55 ? 49 : u);
  fc.assert(
    fc.property(fc.array(str(1, 5), { minLength: 1, maxLength: 12 }), str(0, 40), fc.boolean(), (raw, text, aliased) => {
      // With an alias, patterns are written in the folded form.
      const fold = (p: string) => String.fromCharCode(...Array.from({ length: p.length }, (_, k) => p.charCodeAt(k)).map((u) => (u < 128 ? alias(u) : u)));
      const patterns = aliased ? raw.map(fold) : raw;
      const ac = aliased ? new AhoCorasick(patterns, alias) : new AhoCorasick(patterns);
      assert.deepEqual(matches(ac, text), naive(patterns, text, aliased ? alias : undefined));
    }),
    { numRuns: 500 },
  );
});
