// AES-GCM sealing must fail closed: a wrong tag, nonce, AAD or key yields DecryptError with no detail, and
// wrapped data keys only unwrap for the scope and epoch they were made for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aadOf, DecryptError, memoryKeyring, newDataKey, open, openLocalKeyring, randomId, seal, unwrapDataKey, wrapDataKey } from './index.js';

const key = Buffer.alloc(32, 7);
const aad = aadOf('conversation', 'cv_1', 'm_1', 'u_1');

test('seal/open round trip with a fresh nonce each time', () => {
  const a = seal(key, Buffer.from('hello'), aad);
  const b = seal(key, Buffer.from('hello'), aad);
  assert.notDeepEqual(a, b);
  assert.equal(open(key, a, aad).toString(), 'hello');
});

test('tampering fails closed', () => {
  const sealed = seal(key, Buffer.from('secret text'), aad);
  const cases: [string, () => unknown][] = [
    ['wrong tag', () => { const s = Buffer.from(sealed); s[s.length - 1] ^= 1; return open(key, s, aad); }],
    ['wrong nonce', () => { const s = Buffer.from(sealed); s[3] ^= 1; return open(key, s, aad); }],
    ['wrong ciphertext', () => { const s = Buffer.from(sealed); s[14] ^= 1; return open(key, s, aad); }],
    ['wrong AAD (moved row)', () => open(key, sealed, aadOf('conversation', 'cv_2', 'm_1', 'u_1'))],
    ['wrong key', () => open(Buffer.alloc(32, 8), sealed, aad)],
    ['truncated', () => open(key, sealed.subarray(0, 20), aad)],
    ['unknown version', () => { const s = Buffer.from(sealed); s[0] = 2; return open(key, s, aad); }],
  ];
  for (const [name, fn] of cases) {
    assert.throws(fn, (err: unknown) => err instanceof DecryptError && !/secret/.test((err as Error).message), name);
  }
});

test('aadOf is unambiguous', () => {
  assert.notDeepEqual(aadOf('ab', 'c'), aadOf('a', 'bc'));
});

test('data keys unwrap only for their scope and epoch, and not after the KEK is destroyed', () => {
  const ring = memoryKeyring();
  const dek = newDataKey();
  const w = wrapDataKey(ring, 'eu', 'cv_1', 3, dek);
  assert.deepEqual(unwrapDataKey(ring, 'cv_1', 3, w), dek);
  assert.throws(() => unwrapDataKey(ring, 'cv_2', 3, w), DecryptError);
  assert.throws(() => unwrapDataKey(ring, 'cv_1', 4, w), DecryptError);
  assert.equal(unwrapDataKey(memoryKeyring(), 'cv_1', 3, w), null, 'another server without the region key');
  ring.destroyRegionKey(w.kekId);
  assert.equal(unwrapDataKey(ring, 'cv_1', 3, w), null);
});

test('local keyring file is created 0600 and reloads the same keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-keyring-'));
  try {
    const path = join(dir, 'keyring.json');
    const a = openLocalKeyring(path);
    const kek = a.regionKey('eu');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const b = openLocalKeyring(path);
    assert.deepEqual(b.regionKey('eu').key, kek.key);
    assert.equal(b.tokenSigningKey().keyId, a.tokenSigningKey().keyId);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('randomId is prefixed, sortable by time and unique', () => {
  const ids = Array.from({ length: 1000 }, () => randomId('m'));
  assert.equal(new Set(ids).size, ids.length);
  assert.match(ids[0], /^m_[0-9a-z]{26}$/);
});

test('pooled random bytes never repeat across pool refills and fill exactly the asked range', async () => {
  const { randomInto } = await import('./random.js');
  const seen = new Set<string>();
  // 3000 draws of 12 bytes cross several 4 KiB refills.
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.alloc(14, 0xee);
    randomInto(b, 1, 12);
    assert.equal(b[0], 0xee);
    assert.equal(b[13], 0xee);
    const hex = b.subarray(1, 13).toString('hex');
    assert.ok(!seen.has(hex), 'no 96-bit draw repeats');
    seen.add(hex);
  }
  const big = Buffer.alloc(5000);
  randomInto(big, 0, 5000);
  assert.ok(big.subarray(4000).some((x) => x !== 0), 'large draws are filled too');
});
