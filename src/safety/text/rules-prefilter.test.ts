// Tests for the regex prefilter: the literals it extracts, and soundness (it never skips a rule whose regex
// would match) on the built-in packs over varied messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RE2 } from 're2-wasm';
import fc from 'fast-check';
import { normalizeAll } from './normalize.js';
import { builtinRuleSet } from './packs/index.js';
import { compileRequirement, LiteralSet, literalsOf, requiredLiterals, satisfied } from './rules-prefilter.js';

const lits = (p: string) => {
  const r = requiredLiterals(p);
  return r === null ? null : r.map((b) => b.map((c) => [...c].sort()));
};

test('literal runs, groups and alternations', () => {
  assert.deepEqual(lits('\\bwhat (?:r|are) (?:u|you) wearing\\b'), [[['what '], ['are', 'r'], [' '], ['u', 'you'], [' wearing']]]);
  assert.deepEqual(lits('snap|kik'), [[['snap']], [['kik']]]);
  assert.deepEqual(lits('ab?c'), [[['a'], ['c']]]);
  assert.deepEqual(lits('x(?:foo)?y'), [[['x'], ['y']]]);
  assert.deepEqual(lits('[6-9]th'), [[['6', '7', '8', '9'], ['th']]]);
});

test('patterns with an unconstrained branch or unknown syntax always run', () => {
  assert.equal(requiredLiterals('a|b*'), null);
  assert.equal(requiredLiterals('(?i)snap'), null);
  assert.equal(requiredLiterals('.*'), null);
  assert.equal(requiredLiterals('\\x41'), null);
});

test('Aho-Corasick finds every literal occurrence, overlapping ones included', () => {
  const set = new LiteralSet(['he', 'she', 'his', 'hers']);
  const found = new Uint8Array(4);
  set.scan('ushers', found);
  assert.deepEqual([...found], [1, 1, 0, 1]);
});

const rules = builtinRuleSet().rules.filter((r) => r.kind === 'regex');
const compiled = rules.map((r) => {
  const req = requiredLiterals(r.pattern);
  const ids = new Map<string, number>();
  if (req) for (const l of literalsOf(req)) ids.set(l, ids.size);
  return { rule: r, re: new RE2(r.pattern, 'u'), ids, set: new LiteralSet([...ids.keys()]), req: req ? compileRequirement(req, ids) : null };
});

function assertSound(text: string) {
  const n = normalizeAll(text);
  for (const c of compiled) {
    const view = n[c.rule.view ?? 'folded'].text;
    if (!c.re.test(view) || c.req === null) continue;
    const found = new Uint8Array(c.ids.size);
    c.set.scan(view, found);
    assert.ok(satisfied(c.req, found), `${c.rule.id} matches but the prefilter would skip it`);
  }
}

test('soundness: a rule that matches is never skipped (pack phrases and random mixes)', () => {
  const samples = [
    'add me on snap', 'whats ur sc', 'send me a selfie before bed', 'i have ur nudes. pay $200 or i post them',
    'how old r u', '6th', '14', 'im 13', 'u got 1 hr', 'my number is 555 201 3344', '@jay_22', 'tell ur parents ur going w a friend',
    'do ur parents check ur phone', 'ill buy them for u', 'ur mature for 11', 'we should meet up, just us',
  ];
  for (const s of samples) assertSound(s);
  const words = ['add', 'me', 'on', 'snap', 'u', 'ur', 'pics', 'pay', '$50', 'or', 'i', 'post', 'them', 'dont', 'tell', 'parents', '13', 'old', 'how', 'r', 'send', 'a', 'selfie', 'meet', 'irl', 'hr', 'min', 'just', 'us'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 12 }), (ws) => assertSound(ws.join(' '))),
    { numRuns: 200 },
  );
});
