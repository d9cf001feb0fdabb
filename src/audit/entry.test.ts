/**
 * Tests for audit/entry: canonical JSON (one spelling per event, so leaves are reproducible) and subject
 * pseudonyms (keyed HMAC-SHA-256).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DomainError } from '../errors.js';
import { canonicalJson, encodeEntry, pseudonymize } from './entry.js';

test('canonical JSON sorts keys at every depth, drops undefined members and has no whitespace', () => {
  const a = canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined });
  const b = canonicalJson({ a: { c: 'x', d: [3, { y: null, z: true }] }, b: 1 });
  assert.equal(a, '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  assert.equal(a, b);
  assert.equal(canonicalJson({ s: 'line\nquote"\u0000é' }), '{"s":"line\\nquote\\"\\u0000é"}');
  assert.equal(JSON.stringify(JSON.parse(a)), '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
});

test('values that have no canonical JSON are refused', () => {
  const invalid = (err: unknown) => err instanceof DomainError && err.code === 'invalid_audit_entry';
  assert.throws(() => canonicalJson({ n: Number.NaN }), invalid);
  assert.throws(() => canonicalJson({ n: Infinity }), invalid);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic as never), invalid);
  assert.throws(() => canonicalJson({ d: new Date(0) } as never), invalid);
  assert.throws(() => encodeEntry({ big: 'x'.repeat(70_000) }), invalid);
  assert.equal(encodeEntry({ big: 'x'.repeat(65_000) }).length, 65_010);
});

test('pseudonyms are keyed HMAC-SHA-256: stable per key, different across keys, never the id', () => {
  const key = Buffer.alloc(32, 7);
  const p = pseudonymize(key, 'user-123');
  assert.match(p, /^[0-9a-f]{64}$/);
  assert.equal(p, pseudonymize(key, 'user-123'));
  assert.notEqual(p, pseudonymize(key, 'user-124'));
  assert.notEqual(p, pseudonymize(Buffer.alloc(32, 8), 'user-123'));
  assert.equal(p, createHmac('sha256', key).update('user-123').digest('hex'));
  assert.ok(!p.includes('user'));
  assert.throws(() => pseudonymize(Buffer.alloc(16), 'user-123'), RangeError);
});
