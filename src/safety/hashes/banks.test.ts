/**
 * Tests for banks: per-bank thresholds, dihedral variants, the quality floor, disabled banks and entries,
 * the allow-list rule (and its known-CSAM exact-match exception), severity, and input validation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DomainError } from '../../errors.js';
import {
  addBank,
  addEntry,
  beginBulkLoad,
  compactBanks,
  createBankSet,
  disableEntry,
  enableEntry,
  getBank,
  getEntry,
  matchMedia,
  updateBank,
  type BankSet,
  type MediaHashes,
} from './banks.js';

function pdqFrom(seed: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(seed).digest());
}

/** `h` with `d` consecutive bits flipped, starting at bit `from`. */
function near(h: Uint8Array, d: number, from = 0): Uint8Array {
  const out = Uint8Array.from(h);
  for (let i = from; i < from + d; i++) out[i >>> 3] ^= 1 << (i & 7);
  return out;
}

function md5(text: string): Uint8Array {
  return new Uint8Array(createHash('md5').update(text).digest());
}

function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update('file:' + text).digest());
}

/** Eight unrelated variant hashes for a media item whose original is `original`. */
function variantsOf(original: Uint8Array, seed: string): Uint8Array[] {
  return [original, ...Array.from({ length: 7 }, (_, i) => pdqFrom(`${seed}/variant${i + 1}`))];
}

function media(original: Uint8Array, extra: Partial<MediaHashes> = {}, quality = 90): MediaHashes {
  return { pdq: { variants: variantsOf(original, 'q'), quality }, ...extra };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return err.code;
  }
  assert.fail('expected a DomainError');
}

function standardSet(): { set: BankSet; csam: Uint8Array; spam: Uint8Array; meme: Uint8Array } {
  const set = createBankSet();
  addBank(set, { id: 'ncmec', name: 'NCMEC', action: 'quarantine_and_report' });
  addBank(set, { id: 'spam', name: 'Spam', action: 'block', pdqThreshold: 10 });
  addBank(set, { id: 'watch', name: 'Watch', action: 'flag' });
  addBank(set, { id: 'allow', name: 'Known benign', action: 'allow', pdqThreshold: 8 });
  const csam = pdqFrom('csam');
  const spam = pdqFrom('spam');
  const meme = pdqFrom('meme');
  addEntry(set, 'ncmec', { entryId: 'n1', pdq: csam, md5: md5('csam'), sha256: sha256('csam'), metadata: { source: 'ncmec', externalId: 'X1' } });
  addEntry(set, 'spam', { entryId: 's1', pdq: spam });
  addEntry(set, 'watch', { entryId: 'w1', pdq: meme, md5: md5('meme') });
  return { set, csam, spam, meme };
}

describe('banks', () => {
  it('matches within each bank threshold and not beyond', () => {
    const { set, csam, spam } = standardSet();
    const r31 = matchMedia(set, media(near(csam, 31)));
    assert.equal(r31.action, 'quarantine_and_report');
    assert.deepEqual(r31.matches, [{ bankId: 'ncmec', entryId: 'n1', action: 'quarantine_and_report', hashType: 'pdq', distance: 31, variant: 0 }]);
    assert.equal(matchMedia(set, media(near(csam, 32))).action, 'none');
    // The spam bank uses threshold 10.
    assert.equal(matchMedia(set, media(near(spam, 10))).action, 'block');
    assert.equal(matchMedia(set, media(near(spam, 11))).action, 'none');
    updateBank(set, 'spam', { pdqThreshold: 20 });
    assert.equal(matchMedia(set, media(near(spam, 11))).action, 'block');
  });

  it('matches a stored image through any dihedral variant of the query, reporting the best one', () => {
    const { set, csam } = standardSet();
    // The stored hash is the query image rotated: it equals variant 5 of the query.
    const variants = variantsOf(pdqFrom('upload'), 'rot');
    variants[5] = near(csam, 3);
    variants[2] = near(csam, 20);
    const r = matchMedia(set, { pdq: { variants, quality: 100 } });
    assert.equal(r.action, 'quarantine_and_report');
    assert.equal(r.matches.length, 1);
    assert.equal(r.matches[0].variant, 5);
    assert.equal(r.matches[0].distance, 3);
  });

  it('skips PDQ below the quality floor but still matches exact digests', () => {
    const { set, csam, meme } = standardSet();
    assert.equal(matchMedia(set, media(csam, {}, 49)).action, 'none');
    assert.equal(matchMedia(set, media(csam, {}, 50)).action, 'quarantine_and_report');
    const r = matchMedia(set, media(meme, { md5: md5('meme') }, 10));
    assert.deepEqual(r.matches, [{ bankId: 'watch', entryId: 'w1', action: 'flag', hashType: 'md5', distance: 0, variant: null }]);
    const strict = createBankSet({ pdqQualityFloor: 80 });
    addBank(strict, { id: 'b', name: 'b', action: 'block' });
    addEntry(strict, 'b', { entryId: 'e', pdq: csam });
    assert.equal(matchMedia(strict, media(csam, {}, 79)).action, 'none');
  });

  it('matches MD5 and SHA-256 exactly, alongside PDQ', () => {
    const { set, csam } = standardSet();
    const r = matchMedia(set, { md5: md5('csam'), sha256: sha256('csam'), pdq: { variants: [near(csam, 1)], quality: 100 } });
    assert.deepEqual(
      r.matches.map((m) => [m.hashType, m.entryId, m.distance]),
      [['md5', 'n1', 0], ['sha256', 'n1', 0], ['pdq', 'n1', 1]].sort((a, b) => Number(a[2]) - Number(b[2]) || String(a[0]).localeCompare(String(b[0]))),
    );
    assert.equal(matchMedia(set, { md5: md5('other'), sha256: sha256('other') }).action, 'none');
  });

  it('does not match disabled entries or disabled banks, and matches again when re-enabled', () => {
    const { set, csam } = standardSet();
    addEntry(set, 'ncmec', { entryId: 'n2', pdq: near(csam, 40), md5: md5('second') });
    assert.equal(disableEntry(set, 'n1'), true);
    assert.equal(disableEntry(set, 'n1'), false);
    assert.equal(matchMedia(set, media(csam, { md5: md5('csam'), sha256: sha256('csam') })).action, 'none');
    assert.equal(getBank(set, 'ncmec').activeEntries, 1);
    assert.equal(getEntry(set, 'n1').enabled, false);
    assert.equal(matchMedia(set, { md5: md5('second') }).action, 'quarantine_and_report');
    enableEntry(set, 'n1');
    assert.equal(matchMedia(set, media(csam)).action, 'quarantine_and_report');
    updateBank(set, 'ncmec', { enabled: false });
    assert.equal(matchMedia(set, media(csam, { md5: md5('csam') })).action, 'none');
    addEntry(set, 'spam', { entryId: 's-off', md5: md5('off'), enabled: false });
    assert.equal(matchMedia(set, { md5: md5('off') }).action, 'none');
  });

  it('resolves the most severe action across banks', () => {
    const { set, spam, meme } = standardSet();
    addEntry(set, 'watch', { entryId: 'w2', pdq: near(spam, 2) });
    const r = matchMedia(set, media(spam));
    assert.equal(r.action, 'block');
    assert.deepEqual(r.matches.map((m) => m.bankId), ['spam', 'watch']);
    assert.equal(matchMedia(set, media(meme)).action, 'flag');
    addEntry(set, 'ncmec', { entryId: 'n-meme', md5: md5('meme') });
    assert.equal(matchMedia(set, media(meme, { md5: md5('meme') })).action, 'quarantine_and_report');
  });

  it('lets an allow-list match suppress the other banks', () => {
    const { set, spam, csam, meme } = standardSet();
    addEntry(set, 'allow', { entryId: 'a1', pdq: near(spam, 4) });
    const r = matchMedia(set, media(spam));
    assert.equal(r.action, 'allow');
    assert.deepEqual(r.matches.map((m) => m.entryId), ['a1']);
    assert.deepEqual(r.suppressed.map((m) => m.entryId), ['s1']);
    // Outside the allow bank's own threshold (8) nothing is suppressed.
    assert.equal(matchMedia(set, media(near(spam, 9, 100))).action, 'block'); // 13 bits from a1
    // An allow match suppresses perceptual matches to known CSAM too ...
    addEntry(set, 'allow', { entryId: 'a2', pdq: near(csam, 2), md5: md5('meme') });
    assert.equal(matchMedia(set, media(csam)).action, 'allow');
    // ... and exact matches in block/flag banks ...
    const flagged = matchMedia(set, { md5: md5('meme') });
    assert.equal(flagged.action, 'allow');
    assert.deepEqual(flagged.suppressed.map((m) => m.entryId), ['w1']);
    void meme;
    // ... but never an exact match in a quarantine_and_report bank.
    const exact = matchMedia(set, media(csam, { sha256: sha256('csam') }));
    assert.equal(exact.action, 'quarantine_and_report');
    assert.deepEqual(exact.matches.map((m) => `${m.bankId}:${m.hashType}`), ['ncmec:sha256', 'allow:pdq']);
    assert.deepEqual(exact.suppressed.map((m) => `${m.bankId}:${m.hashType}`), ['ncmec:pdq']);
    // A disabled allow entry suppresses nothing.
    disableEntry(set, 'a1');
    assert.equal(matchMedia(set, media(spam)).action, 'block');
  });

  it('reports each entry once per hash type even when several variants match it', () => {
    const { set, csam } = standardSet();
    const variants = [near(csam, 9), near(csam, 4), near(csam, 4), near(csam, 30)];
    const r = matchMedia(set, { pdq: { variants, quality: 100 } });
    assert.deepEqual(r.matches.map((m) => [m.entryId, m.distance, m.variant]), [['n1', 4, 1]]);
  });

  it('finds matches the same way before and after compaction, in a large bank', () => {
    const set = createBankSet();
    addBank(set, { id: 'big', name: 'big', action: 'block' });
    for (let i = 0; i < 5000; i++) addEntry(set, 'big', { entryId: `e${i}`, pdq: pdqFrom(`big${i}`) });
    const probe = (i: number, d: number) => matchMedia(set, media(near(pdqFrom(`big${i}`), d))).matches.map((m) => m.entryId);
    const before = [probe(7, 0), probe(4000, 31), probe(4999, 32)];
    compactBanks(set);
    assert.deepEqual([probe(7, 0), probe(4000, 31), probe(4999, 32)], before);
    assert.deepEqual(before, [['e7'], ['e4000'], []]);
    addEntry(set, 'big', { entryId: 'late', pdq: pdqFrom('late') });
    disableEntry(set, 'e7');
    assert.deepEqual(matchMedia(set, media(pdqFrom('late'))).matches.map((m) => m.entryId), ['late']);
    assert.deepEqual(probe(7, 0), []);
  });

  it('matches during and after a bulk load', () => {
    const set = createBankSet();
    addBank(set, { id: 'old', name: 'old', action: 'flag' });
    for (let i = 0; i < 3000; i++) addEntry(set, 'old', { entryId: `o${i}`, pdq: pdqFrom(`old${i}`) });
    beginBulkLoad(set);
    addBank(set, { id: 'new', name: 'new', action: 'block' });
    for (let i = 0; i < 3000; i++) {
      addEntry(set, 'old', { entryId: `o+${i}`, pdq: pdqFrom(`old+${i}`) });
      addEntry(set, 'new', { entryId: `n${i}`, pdq: pdqFrom(`new${i}`) });
    }
    const probe = () => [
      matchMedia(set, media(near(pdqFrom('old10'), 30))).matches.map((m) => m.entryId),
      matchMedia(set, media(near(pdqFrom('old+2999'), 31))).matches.map((m) => m.entryId),
      matchMedia(set, media(near(pdqFrom('new1234'), 20))).action,
    ];
    assert.deepEqual(probe(), [['o10'], ['o+2999'], 'block']);
    compactBanks(set);
    assert.equal(set.bulkLoading, false);
    assert.deepEqual(probe(), [['o10'], ['o+2999'], 'block']);
  });

  it('returns entries with hex digests and metadata', () => {
    const { set, csam } = standardSet();
    const e = getEntry(set, 'n1');
    assert.equal(e.bankId, 'ncmec');
    assert.equal(e.pdq, Buffer.from(csam).toString('hex'));
    assert.equal(e.md5, Buffer.from(md5('csam')).toString('hex'));
    assert.equal(e.sha256, Buffer.from(sha256('csam')).toString('hex'));
    assert.deepEqual(e.metadata, { source: 'ncmec', externalId: 'X1' });
  });

  it('rejects malformed input with stable codes', () => {
    const { set, csam } = standardSet();
    assert.equal(codeOf(() => addBank(set, { id: 'spam', name: 'x', action: 'block' })), 'hash_bank_exists');
    assert.equal(codeOf(() => addBank(set, { id: '', name: 'x', action: 'block' })), 'invalid_bank');
    assert.equal(codeOf(() => addBank(set, { id: 'z', name: 'x', action: 'delete' as never })), 'invalid_bank');
    assert.equal(codeOf(() => addBank(set, { id: 'z', name: 'x', action: 'block', pdqThreshold: 64 })), 'invalid_pdq_threshold');
    assert.equal(codeOf(() => addEntry(set, 'nope', { entryId: 'x', md5: md5('x') })), 'hash_bank_not_found');
    assert.equal(codeOf(() => addEntry(set, 'spam', { entryId: 'n1', md5: md5('x') })), 'hash_entry_exists');
    assert.equal(codeOf(() => addEntry(set, 'spam', { entryId: 'x' })), 'hash_entry_empty');
    assert.equal(codeOf(() => addEntry(set, 'spam', { entryId: 'x', md5: new Uint8Array(15) })), 'invalid_hash');
    assert.equal(codeOf(() => addEntry(set, 'spam', { entryId: 'x', md5: md5('x'), metadata: { label: 'x'.repeat(1001) } })), 'invalid_entry');
    assert.equal(codeOf(() => disableEntry(set, 'missing')), 'hash_entry_not_found');
    assert.equal(codeOf(() => matchMedia(set, { pdq: { variants: [csam], quality: 101 } })), 'invalid_pdq_quality');
    assert.equal(codeOf(() => matchMedia(set, { pdq: { variants: [], quality: 90 } })), 'invalid_hash');
    assert.equal(codeOf(() => matchMedia(set, { pdq: { variants: Array(9).fill(csam), quality: 90 } })), 'invalid_hash');
    assert.equal(codeOf(() => matchMedia(set, { sha256: new Uint8Array(16) })), 'invalid_hash');
    // A failed add leaves nothing behind.
    assert.equal(codeOf(() => getEntry(set, 'x')), 'hash_entry_not_found');
  });
});
