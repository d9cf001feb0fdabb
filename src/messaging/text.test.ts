// normalizeMessageText against its plain definition (NFC, count code points, scan marks one by one), on
// generated text mixing ASCII, controls, combining marks, astral characters, bidi controls and lone surrogates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDomainError } from '../errors.js';
import { normalizeMessageText } from './text.js';

function reference(input: string, maxChars: number, maxMarks: number): string {
  if (!input.isWellFormed()) throw new Error('invalid');
  const text = input.normalize('NFC');
  if (text.length === 0 || text.trim().length === 0) throw new Error('invalid');
  if ([...text].length > maxChars) throw new Error('invalid');
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFDD0-\uFDEF\uFFFE\uFFFF]/u.test(text)) throw new Error('invalid');
  let run = 0;
  for (const ch of text) {
    run = /\p{M}/u.test(ch) ? run + 1 : 0;
    if (run > maxMarks) throw new Error('invalid');
  }
  return text;
}

const outcome = (f: () => string) => {
  try {
    return f();
  } catch (err) {
    if (isDomainError(err)) return `error:${err.code}`;
    if ((err as Error).message === 'invalid') return 'error:invalid_text';
    throw err;
  }
};

const piece = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(' ', '\t', '\n', '\u0000', '\u0007', '\u007f', '\u0085', 'e\u0301', '\u0301', '\u0301\u0302\u0303', '\u202e', '\u2066', 'é', 'ﬁ', '😀', '👩‍👩‍👧', '\ud800', '\udc00', '\ufdd0', '\uffff', 'ｗ'),
);

test('normalizeMessageText agrees with its plain definition', () => {
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 4 }), (parts, maxChars, maxMarks) => {
      const input = parts.join('');
      assert.equal(outcome(() => normalizeMessageText(input, maxChars, maxMarks)), outcome(() => reference(input, maxChars, maxMarks)));
    }),
    { numRuns: 3000 },
  );
});

test('text limits: length in code points, marks per character, empty', () => {
  assert.equal(normalizeMessageText('😀'.repeat(4), 4, 4), '😀'.repeat(4));
  assert.throws(() => normalizeMessageText('😀'.repeat(5), 4, 4), (e: unknown) => isDomainError(e) && e.code === 'invalid_text');
  assert.equal(normalizeMessageText('cafe\u0301', 10, 4), 'caf\u00e9');
  assert.throws(() => normalizeMessageText('q' + '\u0301'.repeat(5), 10, 4));
  assert.throws(() => normalizeMessageText(' \n\t ', 10, 4));
  assert.equal(normalizeMessageText('plain ascii\n', 12, 0), 'plain ascii\n');
});
