// Tests for text normalisation: each obfuscation a sender uses to slip past a keyword is folded away, the
// digits that age and phone rules need survive in the literal view, and offsets point back into the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeAll, normalizeText, originalSpan } from './normalize.js';

const folded = (s: string) => normalizeText(s).text;

test('NFKC and lowercase: fullwidth, mathematical and ligature forms fold to ASCII', () => {
  assert.equal(folded('ＳＮＡＰ'), 'snap');
  assert.equal(folded('𝐬𝐧𝐚𝐩𝐜𝐡𝐚𝐭'), 'snapchat');
  assert.equal(folded('ﬁne'), 'fine');
});

test('homoglyphs: Cyrillic and Greek lookalikes fold to Latin', () => {
  assert.equal(folded('ѕnарсhаt'), 'snapchat'); // Cyrillic s, a, p, c, h, a
  assert.equal(folded('tеlеgrаm'), 'telegram'); // Cyrillic e, a
  assert.equal(folded('κικ'), 'kik'); // Greek kappa, iota
  assert.equal(folded('ᴅɪsᴄᴏʀᴅ'), 'discord'); // small capitals
});

test('zero-width and bidi controls are removed', () => {
  assert.equal(folded('sn\u200bap'), 'snap');
  assert.equal(folded('s\u200dn\u2060a\ufeffp'), 'snap');
  assert.equal(folded('\u202esnap\u202c'), 'snap');
  assert.equal(folded('se\u00adcret'), 'secret');
});

test('diacritics and zalgo marks on Latin letters are removed', () => {
  assert.equal(folded('fück'), 'fuck');
  assert.equal(folded('s\u0338n\u0338a\u0338p\u0338'), 'snap');
});

test('leetspeak folds inside words that contain letters', () => {
  assert.equal(folded('h3ll0'), 'hello');
  assert.equal(folded('sn@p'), 'snap');
  assert.equal(folded('$nap'), 'snap');
  assert.equal(folded('p!cs'), 'pics');
  assert.equal(folded('wr0ng p3rs0n'), 'wrong person');
  assert.equal(folded('s3xt 4 m3'), 's3xt 4 me'.replace('s3xt', 'sext'));
});

test('digits outside letter-words and quantities survive', () => {
  assert.equal(folded('i am 13'), 'i am 13');
  assert.equal(folded('13yo'), '13yo');
  assert.equal(folded('6th grade'), '6th grade');
  assert.equal(folded('call 555-123-4567'), 'call 555-123-4567');
  assert.equal(folded('$100 now'), '$100 now');
  assert.equal(folded('hey!'), 'hey!');
  assert.equal(folded('@coolguy'), '@coolguy');
});

test('literal view keeps leetspeak digits and symbols', () => {
  const n = normalizeAll('sn@p me at 13');
  assert.equal(n.literal.text, 'sn@p me at 13');
  assert.equal(n.folded.text, 'snap me at 13');
});

test('repeats: folded caps at two, squeezed at one', () => {
  const n = normalizeAll('heyyyyy snaaaaap');
  assert.equal(n.folded.text, 'heyy snaap');
  assert.equal(n.squeezed.text, 'hey snap');
  assert.equal(normalizeAll('1000000').folded.text, '1000000');
});

test('spaced-out letters join; text-speak runs do not', () => {
  assert.equal(folded('add me on s n a p'), 'add me on snap');
  assert.equal(folded('s.n.a.p'), 'snap');
  assert.equal(folded('k-i-k'), 'kik');
  assert.equal(folded('s n @ p'), 'snap');
  assert.equal(folded('r u a girl'), 'r u a girl');
  assert.equal(folded('send a pic'), 'send a pic');
});

test('whitespace collapses and emoji stay as their own tokens', () => {
  assert.equal(folded('  hi\t\n there  '), 'hi there');
  assert.equal(folded('hi😊there'), 'hi 😊 there');
  assert.equal(folded('🤐'), '🤐');
});

test('offsets map each normalised code unit back into the original', () => {
  const input = 'Add me on ѕn\u200b@p!!';
  const n = normalizeAll(input);
  assert.equal(n.folded.text, 'add me on snap!!');
  const at = n.folded.text.indexOf('snap');
  const span = originalSpan(n, n.folded, at, at + 4);
  assert.equal(input.slice(span.start, span.end), 'ѕn\u200b@p');
});

test('offsets: astral characters end after both code units', () => {
  const input = 'x 𝐬𝐧𝐚𝐩';
  const n = normalizeAll(input);
  const at = n.folded.text.indexOf('snap');
  const span = originalSpan(n, n.folded, at, at + 4);
  assert.equal(input.slice(span.start, span.end), '𝐬𝐧𝐚𝐩');
});

test('property: offsets are one per code unit, non-decreasing, and inside the input', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
      for (const v of Object.values(normalizeAll(s)).slice(1) as { text: string; offsets: number[] }[]) {
        assert.equal(v.offsets.length, v.text.length);
        for (let i = 0; i < v.offsets.length; i++) {
          assert.ok(v.offsets[i]! >= 0 && v.offsets[i]! < s.length);
          if (i > 0) assert.ok(v.offsets[i]! >= v.offsets[i - 1]!);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('property: normalising is idempotent on the folded view', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      const once = folded(s);
      assert.equal(folded(once), once);
    }),
    { numRuns: 300 },
  );
});

test('long inputs and large expansions (scratch buffers grow) normalise like short ones', () => {
  const long = 'Add ME on sn@p '.repeat(2000);
  const n = normalizeAll(long);
  assert.equal(n.folded.text, 'add me on snap '.repeat(2000).trim());
  assert.equal(n.literal.text, 'add me on sn@p '.repeat(2000).trim());
  assert.equal(n.folded.offsets.length, n.folded.text.length);
  // U+FDFA is one code point that NFKC turns into 18 characters.
  const expanded = normalizeAll('ﷺ'.repeat(300));
  assert.equal(expanded.folded.offsets.length, expanded.folded.text.length);
  assert.ok(expanded.folded.text.length > 300 * 10);
  // A short message right after a long one sees none of it.
  assert.deepEqual(normalizeAll('Hi   there'), { original: 'Hi   there', literal: { text: 'hi there', offsets: [0, 1, 2, 5, 6, 7, 8, 9] }, folded: { text: 'hi there', offsets: [0, 1, 2, 5, 6, 7, 8, 9] }, squeezed: { text: 'hi there', offsets: [0, 1, 2, 5, 6, 7, 8, 9] } });
});

test('views that come out equal are equal strings, with offsets arrays of their own', () => {
  const n = normalizeAll('send me a pic');
  assert.equal(n.literal.text, n.folded.text);
  assert.equal(n.folded.text, n.squeezed.text);
  assert.notEqual(n.literal.offsets, n.folded.offsets);
  n.literal.offsets[0] = 99;
  assert.equal(n.folded.offsets[0], 0);
});
