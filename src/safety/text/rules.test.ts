// Tests for the rule engine: validation, keyword/phrase/regex matching on normalised text, allow-lists,
// offsets into the original message, and that no rule can hang the server (RE2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDomainError } from '../../errors.js';
import { compileRuleSet, evaluateText, type Rule } from './rules.js';

const rule = (r: Partial<Rule> & Pick<Rule, 'id' | 'kind' | 'pattern'>): Rule => ({ pack: 'test', category: 'cat', weight: 0.5, ...r });
const compile = (...rules: Rule[]) => compileRuleSet({ version: 't1', rules });

function assertInvalid(ruleSet: unknown) {
  assert.throws(
    () => compileRuleSet(ruleSet),
    (e: unknown) => isDomainError(e) && e.code === 'invalid_rule',
  );
}

test('validation: malformed rule sets are rejected with invalid_rule', () => {
  assertInvalid(null);
  assertInvalid({ rules: [] });
  assertInvalid({ version: 'v', rules: 'x' });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'keyword', pattern: 'x' }), rule({ id: 'a', kind: 'keyword', pattern: 'y' })] });
  assertInvalid({ version: 'v', rules: [{ ...rule({ id: 'a', kind: 'keyword', pattern: 'x' }), kind: 'glob' }] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'keyword', pattern: 'x', weight: 1.5 })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'keyword', pattern: 'two words' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'keyword', pattern: '   ' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'bad id!', kind: 'keyword', pattern: 'x' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'phrase', pattern: '? x' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'keyword', pattern: 'x', view: 'literal' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'keyword', pattern: 'x', allow: [3 as unknown as string] })] });
});

test('validation: regexes that need backtracking (backreferences, lookaround) are rejected', () => {
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'regex', pattern: '(a)\\1' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'regex', pattern: 'snap(?!chat)' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'regex', pattern: '(?<=a)b' })] });
  assertInvalid({ version: 'v', rules: [rule({ id: 'a', kind: 'regex', pattern: '(unclosed' })] });
});

test('validation errors never echo the pattern', () => {
  try {
    compileRuleSet({ version: 'v', rules: [rule({ id: 'a', kind: 'regex', pattern: 'secretword(' })] });
    assert.fail('expected invalid_rule');
  } catch (e) {
    assert.ok(isDomainError(e));
    assert.ok(!e.message.includes('secretword'));
  }
});

test('keyword: whole words only, through obfuscation', () => {
  const c = compile(rule({ id: 'k', kind: 'keyword', pattern: 'snapchat' }));
  assert.equal(evaluateText(c, 'add me on snapchat').length, 1);
  assert.equal(evaluateText(c, 'add me on ЅNАРСНАТ').length, 1);
  assert.equal(evaluateText(c, 'add me on s n a p c h a t').length, 1);
  assert.equal(evaluateText(c, 'add me on sn@pch@t').length, 1);
  assert.equal(evaluateText(c, 'add me on snaaapchat').length, 1);
  assert.equal(evaluateText(c, 'snapchatting all day').length, 0);
});

test('keyword with a trailing * matches by prefix', () => {
  const c = compile(rule({ id: 'k', kind: 'keyword', pattern: 'pic*' }));
  assert.equal(evaluateText(c, 'send pictures').length, 1);
  assert.equal(evaluateText(c, 'send pics').length, 1);
  assert.equal(evaluateText(c, 'epic').length, 0);
});

test('phrase: words in order; ? stands for one word', () => {
  const c = compile(rule({ id: 'p', kind: 'phrase', pattern: "don't tell ? parents" }));
  assert.equal(evaluateText(c, 'pls dont tell ur parents ok').length, 1);
  assert.equal(evaluateText(c, 'DON’T TELL YOUR PARENTS').length, 1);
  assert.equal(evaluateText(c, 'dont tell parents').length, 0);
});

test('allow-list drops a hit only where an allowed phrase overlaps it', () => {
  const c = compile(rule({ id: 'k', kind: 'keyword', pattern: 'snap', allow: ['oh snap'] }));
  assert.equal(evaluateText(c, 'oh snap i forgot').length, 0);
  const hits = evaluateText(c, 'oh snap, add me on snap');
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.start, 'oh snap, add me on '.length);
});

test('regex: runs on the folded view by default and on the literal view when asked', () => {
  const c = compile(
    rule({ id: 'folded', kind: 'regex', pattern: '\\bleak\\b' }),
    rule({ id: 'phone', kind: 'regex', pattern: '\\d{3}-\\d{4}', view: 'literal', category: 'phone' }),
  );
  assert.deepEqual(evaluateText(c, 'or i l3ak').map((h) => h.ruleId), ['folded']);
  assert.deepEqual(evaluateText(c, 'call 555-1234').map((h) => h.ruleId), ['phone']);
});

test('hits carry offsets into the original message', () => {
  const c = compile(rule({ id: 'k', kind: 'keyword', pattern: 'snap' }));
  const text = '😀😀 Add me on \u200bѕn@p!!';
  const [hit] = evaluateText(c, text);
  assert.ok(hit);
  assert.equal(text.slice(hit.start, hit.end), 'ѕn@p');
  assert.deepEqual({ ruleId: hit.ruleId, pack: hit.pack, category: hit.category, weight: hit.weight }, { ruleId: 'k', pack: 'test', category: 'cat', weight: 0.5 });
});

test('regex offsets stay right after astral characters (RE2 counts code points)', () => {
  const c = compile(rule({ id: 'r', kind: 'regex', pattern: 'snap' }));
  const text = '😀😀😀 snap';
  const [hit] = evaluateText(c, text);
  assert.ok(hit);
  assert.equal(text.slice(hit.start, hit.end), 'snap');
});

test('a regex that can match the empty string terminates', () => {
  const c = compile(rule({ id: 'r', kind: 'regex', pattern: 'x*' }));
  assert.ok(Array.isArray(evaluateText(c, 'abc xx abc')));
});

test('ReDoS: a catastrophic pattern returns on a hostile input (RE2, not backtracking)', () => {
  const c = compile(rule({ id: 'redos', kind: 'regex', pattern: '(a+)+$' }));
  const hits = evaluateText(c, 'a'.repeat(50_000) + '!');
  assert.ok(Array.isArray(hits));
});

test('rules whose union does not compile still run one by one', () => {
  const c = compile(
    rule({ id: 'g1', kind: 'regex', pattern: '(?P<x>snap)' }),
    rule({ id: 'g2', kind: 'regex', pattern: '(?P<x>kik)' }),
  );
  assert.deepEqual(evaluateText(c, 'snap or kik').map((h) => h.ruleId).sort(), ['g1', 'g2']);
});

test('every match of a regex is reported, up to the last one (no RE2 call after it is needed)', () => {
  const c = compile(rule({ id: 'h', kind: 'regex', pattern: '(?:^|\\s)@[a-z0-9_.]{3,30}', view: 'literal' }));
  const text = 'RT @abc: hi @de_f and @ghi.j, mail x@yz.com';
  const hits = evaluateText(c, text);
  assert.deepEqual(hits.map((h) => text.slice(h.start, h.end)), ['@abc', '@de_f', '@ghi.j']);
});

test('rules on different views of one message all fire, whether the views differ or not', () => {
  const c = compile(
    rule({ id: 'lit', kind: 'regex', pattern: '\\d{3}-\\d{4}', view: 'literal' }),
    rule({ id: 'fold', kind: 'regex', pattern: '\\bsnap\\b' }),
    rule({ id: 'sq', kind: 'regex', pattern: '\\bhey\\b', view: 'squeezed' }),
  );
  assert.deepEqual(evaluateText(c, 'heyyy snap 555-1234').map((h) => h.ruleId), ['sq', 'fold', 'lit']);
  assert.deepEqual(evaluateText(c, 'hey sn@p 555-1234').map((h) => h.ruleId), ['sq', 'fold', 'lit']);
  assert.deepEqual(evaluateText(c, 'nothing here').map((h) => h.ruleId), []);
});

test('a regex that can never match compiles and never fires', () => {
  const c = compile(rule({ id: 'never', kind: 'regex', pattern: 'a\\bb' }), rule({ id: 'k', kind: 'keyword', pattern: 'ab' }));
  assert.deepEqual(evaluateText(c, 'ab a b').map((h) => h.ruleId), ['k']);
});

test('phrases starting with a one-letter word, and prefix words', () => {
  const c = compile(rule({ id: 'p', kind: 'phrase', pattern: 'u up' }), rule({ id: 'k', kind: 'keyword', pattern: 'pic*' }));
  assert.deepEqual(evaluateText(c, 'r u up? send pics').map((h) => h.ruleId), ['p', 'k']);
  assert.deepEqual(evaluateText(c, 'up u').map((h) => h.ruleId), []);
});
