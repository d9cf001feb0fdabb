// Tests for the regex prefilter: the requirements it derives from patterns, and soundness (it never skips
// a rule, or the rest of a message after a match, where RE2 would find a match), on the built-in packs
// over varied messages and on random patterns over random texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RE2 } from 're2-wasm';
import fc from 'fast-check';
import { normalizeAll } from './normalize.js';
import { builtinRuleSet } from './packs/index.js';
import { formatRequirement, PRECISIONS, RegexPrefilter, requirementOf } from './rules-prefilter.js';

const req = (p: string) => formatRequirement(requirementOf(p));

test('strings continue through groups, optional parts and whitespace', () => {
  assert.equal(req('snap|kik'), 'or("snap", "kik")');
  assert.equal(req('ab?c'), 'or("ac", "abc")');
  assert.equal(req('x(?:foo)?y'), 'or("xy", "xfooy")');
  assert.equal(req('a\\s*b'), 'or("a b", "ab")'); // every whitespace run reads as one space
  assert.equal(req('how  old'), 'and("how ol", "ow old")'); // atoms are cut to six characters
  assert.equal(req('\\bsend (?:me )?(?:a )?pic'), 'and(or("\\\\bsend p", "\\\\bsend a", "\\\\bsend m"), or("nd pic", " a pic", "me pic"))');
});

test('assertions stay on atoms; digits read as 0', () => {
  assert.equal(req('\\bsc\\b'), '"\\\\bsc\\\\b"');
  assert.equal(req('^in (?:4|5)th'), '"^in 0th"');
  assert.equal(req('[6-9]th'), '"0th"');
  assert.equal(req('a$'), '"a$"');
  assert.equal(req('(?:^|\\s)@[a-z0-9_.]{3,30}'), 'or("^@", " @")');
});

test('patterns that can never match, match anything, or are not understood', () => {
  assert.equal(req('a\\bb'), 'false');
  assert.equal(req('a^b'), 'false');
  assert.equal(req('.*'), 'true');
  assert.equal(req('a|b*'), 'true');
  assert.equal(req('(?i)snap'), 'null');
  assert.equal(req('\\Qsnap\\E'), 'null');
  assert.equal(req('\\1'), 'null');
  assert.equal(req('a{,3}'), 'null');
});

test('a rule is considered only when its atoms occur, with their assertions', () => {
  const pf = new RegexPrefilter(['\\bsc\\b', 'kik', '^hey']);
  const may = (text: string) => {
    const scan = pf.scan([text]);
    return [0, 1, 2].map((k) => pf.mayMatch(k, scan, 0));
  };
  assert.deepEqual(may('add me on sc'), [true, false, false]);
  assert.deepEqual(may('my disc broke'), [false, false, false]);
  assert.deepEqual(may('hey kik'), [false, true, true]);
  assert.deepEqual(may('oh hey'), [false, false, false]);
});

test('after a match, only what is left of the text counts', () => {
  const pf = new RegexPrefilter(['(?:^|\\s)@[a-z0-9_.]{3,30}']);
  const text = 'rt @abc: hi @defg';
  const scan = pf.scan([text]);
  assert.equal(pf.mayMatch(0, scan, 0), true);
  assert.equal(pf.mayMatch(0, scan, 'rt @abc'.length), true); // " @defg" is still ahead
  assert.equal(pf.mayMatch(0, scan, text.length), false);
});

test('patterns read different texts; equal texts are scanned once', () => {
  const pf = new RegexPrefilter(['snap', 'sn@p'], [1, 0]);
  let scan = pf.scan(['sn@p', 'snap']);
  assert.deepEqual([pf.mayMatch(0, scan, 0), pf.mayMatch(1, scan, 0)], [true, true]);
  scan = pf.scan(['snap', 'snap']);
  assert.deepEqual([pf.mayMatch(0, scan, 0), pf.mayMatch(1, scan, 0)], [true, false]);
});

/** Every match RE2 finds in `text` (as exec with the g flag walks them), as UTF-16 start offsets. */
function matchStarts(re: RE2, text: string): number[] {
  const units: number[] = [];
  for (let i = 0; i < text.length; i++) {
    units.push(i);
    if (text.charCodeAt(i) >= 0xd800 && text.charCodeAt(i) <= 0xdbff) i++;
  }
  units.push(text.length);
  const out: number[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text), guard = 0; m !== null && guard < 200; m = re.exec(text), guard++) {
    out.push(units[m.index] ?? text.length);
    if (m[0]!.length === 0) re.lastIndex++;
  }
  return out;
}

const VIEWS = ['literal', 'folded', 'squeezed'] as const;
const packRules = builtinRuleSet().rules.filter((r) => r.kind === 'regex');
const packPrefilter = new RegexPrefilter(
  packRules.map((r) => r.pattern),
  packRules.map((r) => VIEWS.indexOf(r.view ?? 'folded')),
);
const packRegexes = packRules.map((r) => new RE2(r.pattern, 'gu'));

function assertPacksSound(message: string) {
  const n = normalizeAll(message);
  const scan = packPrefilter.scan([n.literal.text, n.folded.text, n.squeezed.text]);
  packRules.forEach((r, k) => {
    const text = n[r.view ?? 'folded'].text;
    for (const start of matchStarts(packRegexes[k]!, text)) {
      assert.ok(packPrefilter.mayMatch(k, scan, start), `${r.id} matches ${JSON.stringify(text)} at ${start} but the prefilter would skip it`);
    }
  });
}

test('soundness on the packs: pack phrases and random mixes of their words', () => {
  const samples = [
    'add me on snap', 'whats ur sc', 'send me a selfie before bed', 'i have ur nudes. pay $200 or i post them',
    'how old r u', '6th', '14', 'im 13', 'u got 1 hr', 'my number is 555 201 3344', '@jay_22', 'tell ur parents ur going w a friend',
    'do ur parents check ur phone', 'ill buy them for u', 'ur mature for 11', 'we should meet up, just us', 'rt @a_b: @cd.e hi @fgh',
    'call +1 (555) 201-3344 by 8pm', 'in 7th grade!!', 'ru 12', 'r u\talone', 'do  u   have\nsnap', 'im 19 yo.', '$$$',
    'u  got  until  tmrw', 'DO U HAVE SN@PCHAT', 'ѕnарсhаt', 's n a p', '😀 add me on kik 😀 @kik_user',
  ];
  for (const s of samples) assertPacksSound(s);
  const vocabulary = new Set<string>();
  for (const r of packRules) for (const w of r.pattern.replace(/\\[bswdSWD]|\(\?:|[()|?*+[\]{}^$\\]/g, ' ').split(/\s+/)) if (w && w.length < 15) vocabulary.add(w);
  const words = [...vocabulary, '@jay_22', '555-201-3344', '13', '$50', '8pm', '2 hrs', '12:30', 'u', 'ur', '1', '14', '9', '\n', '!', '?', '.', '😀'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 14 }), fc.constantFrom(' ', '  ', '\t'), (ws, sep) => assertPacksSound(ws.join(sep))),
    { numRuns: 400 },
  );
});

// Random patterns over a small alphabet, and random texts over the same one: every construct the analysis
// handles (products, windows, assertions, whitespace runs, digits, repetition) meets texts that nearly
// match it.
const ALPHABET = ['a', 'b', 'c', ' ', '1', '7', '.', '@', '-'];
const patternArb: fc.Arbitrary<string> = fc.letrec<{ re: string; atom: string }>((tie) => ({
  re: fc.array(tie('atom'), { minLength: 1, maxLength: 4 }).chain((seq) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(seq.join('')) },
      { weight: 1, arbitrary: tie('re').map((other) => `${seq.join('')}|${other}`) },
    ),
  ),
  atom: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', ' ', '1', '7', '\\.', '@', '-', 'ab', 'ba', 'a b') },
    { weight: 2, arbitrary: fc.constantFrom('[ab]', '[^a]', '[ .-]', '\\d', '\\s', '\\w', '\\W', '.', '[0-9a]', '[a-c]') },
    { weight: 2, arbitrary: fc.constantFrom('\\b', '\\B', '^', '$') },
    {
      weight: 3,
      arbitrary: fc
        .tuple(tie('re'), fc.constantFrom('', '?', '*', '+', '{2}', '{1,3}', '{0,2}', '{2,}', '{4}', '{1,5}'))
        .map(([inner, q]) => `(?:${inner})${q}`),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('a', 'b', '\\d', '\\s', '[ab]', ' '), fc.constantFrom('?', '*', '+', '{2,4}')).map(([a, q]) => a + q) },
  ),
})).re;
const textArb = fc.array(fc.constantFrom(...ALPHABET, '\t', '\n', '  ', 'A', 'é', '😀'), { maxLength: 24 }).map((a) => a.join(''));

test('property: random patterns never skip a match RE2 finds', () => {
  fc.assert(
    fc.property(patternArb, fc.array(textArb, { minLength: 1, maxLength: 6 }), (pattern, texts) => {
      let re: RE2;
      try {
        re = new RE2(pattern, 'gu');
      } catch (e) {
        if (e instanceof SyntaxError) return; // not valid RE2: rejected before the prefilter ever sees it
        throw e;
      }
      const pf = new RegexPrefilter([pattern]);
      for (const text of texts) {
        const scan = pf.scan([text]);
        for (const start of matchStarts(re, text)) {
          assert.ok(pf.mayMatch(0, scan, start), `${JSON.stringify(pattern)} matches ${JSON.stringify(text)} at ${start}: ${formatRequirement(requirementOf(pattern))}`);
        }
      }
    }),
    // re2-wasm never frees a program and has a fixed heap: keep the number of patterns modest.
    { numRuns: 1500 },
  );
});

test('a rule set too large for the precise automaton is analysed more coarsely, and stays sound', () => {
  assert.equal(packPrefilter.precision, PRECISIONS[0]);
  const word = fc.stringMatching(/^[a-z]{4,7}$/);
  const lists = fc.sample(fc.tuple(fc.array(word, { minLength: 15, maxLength: 15 }), fc.array(word, { minLength: 15, maxLength: 15 })), { seed: 7, numRuns: 1500 });
  const patterns = lists.map(([a, b]) => `\\b(?:${a.join('|')}) (?:${b.join('|')})\\b`);
  const pf = new RegexPrefilter(patterns);
  assert.notEqual(pf.precision, PRECISIONS[0]);
  for (let k = 0; k < 20; k++) {
    const [a, b] = lists[k]!;
    const re = new RE2(patterns[k]!, 'gu');
    for (const text of [`so ${a[3]} ${b[9]} ok`, `${a[0]}${b[0]} ${a[1]}  ${b[1]}`, `${b[2]} ${a[2]}`, `x${a[4]} ${b[4]}`]) {
      const scan = pf.scan([text]);
      for (const start of matchStarts(re, text)) assert.ok(pf.mayMatch(k, scan, start), `${patterns[k]} on ${text}`);
    }
  }
});
