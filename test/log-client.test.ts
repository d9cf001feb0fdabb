// After `custodian demo`, an independent tlog-tiles client (written here from the C2SP specs, sharing no code
// with src/audit) fetches the checkpoint and tiles over HTTP, verifies the signed note with the published
// verifier key, and recomputes the root from the entry bundles and from the hash tiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { loadConfig } from '../src/config/index.js';
import { memoryKeyring } from '../src/crypto/index.js';
import { runDemo } from '../src/demo/index.js';
import { buildApp } from '../src/http/app.js';
import { createLogger, openServices } from '../src/server.js';
import { createMemoryBlobStore, openDb } from '../src/storage/index.js';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (entry: Buffer) => sha256(Buffer.from([0]), entry);
const nodeHash = (l: Buffer, r: Buffer) => sha256(Buffer.from([1]), l, r);

/** RFC 6962 §2.1 MTH, literally. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** tlog-tiles index encoding: groups of three digits, all but the last prefixed with "x". */
function encodeIndex(n: number): string {
  const groups: string[] = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

test('an independent tlog-tiles client verifies the demo log', async () => {
  const db = await openDb({ driver: 'pglite' });
  const config = loadConfig({ LOG_LEVEL: 'warn' }, { dataDir: '/nonexistent' });
  const services = await openServices(config, { db, keyring: memoryKeyring(), log: createLogger(config), blobs: createMemoryBlobStore() });
  const app = await buildApp(services);
  try {
    const demo = await runDemo(services);
    assert.equal(demo.grants.length, 2);
    // Push the log past one full tile so full tiles, partial tiles and a level-1 tile are all exercised.
    await Promise.all(Array.from({ length: 300 }, (_, i) => services.audit.append({ type: 'test.filler', n: i })));

    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      return res.rawPayload;
    };
    const vkey = JSON.parse((await get('/log/key')).toString()).verifierKey as string;
    // vkey form: <name>+<hex key id>+<base64 key>; the base64 part may itself contain '+'.
    const [name, keyIdHex] = vkey.split('+');
    const keyB64 = vkey.slice(name.length + keyIdHex.length + 2);
    const keyBytes = Buffer.from(keyB64, 'base64');
    assert.equal(keyBytes[0], 1, 'Ed25519 key type');
    const pub = keyBytes.subarray(1);
    assert.equal(sha256(Buffer.from(`${name}\n`), keyBytes).subarray(0, 4).toString('hex'), keyIdHex, 'key id per signed-note');

    const note = (await get('/log/checkpoint')).toString('utf8');
    const sep = note.indexOf('\n\n');
    const body = note.slice(0, sep + 1);
    const sigLine = note.slice(sep + 2).split('\n').find((l) => l.startsWith(`\u2014 ${name} `))!;
    const sig = Buffer.from(sigLine.split(' ')[2], 'base64');
    assert.equal(sig.subarray(0, 4).toString('hex'), keyIdHex);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]);
    assert.equal(verify(null, Buffer.from(body, 'utf8'), createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig.subarray(4)), true, 'checkpoint signature');
    const tampered = body.replace(/\n(\d+)\n/, (_m, n) => `\n${Number(n) + 1}\n`);
    assert.equal(verify(null, Buffer.from(tampered, 'utf8'), createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig.subarray(4)), false);

    const [origin, sizeLine, rootB64] = body.split('\n');
    assert.equal(origin, name);
    const size = Number(sizeLine);
    assert.ok(size >= 300);

    // Entry bundles → leaf hashes → root.
    const leaves: Buffer[] = [];
    for (let t = 0; t * 256 < size; t++) {
      const width = Math.min(256, size - t * 256);
      const bundle = await get(`/log/tile/entries/${encodeIndex(t)}${width < 256 ? `.p/${width}` : ''}`);
      for (let off = 0; off < bundle.length; ) {
        const len = bundle.readUInt16BE(off);
        leaves.push(leafHash(bundle.subarray(off + 2, off + 2 + len)));
        off += 2 + len;
      }
    }
    assert.equal(leaves.length, size);
    assert.equal(mth(leaves).toString('base64'), rootB64, 'root from entry bundles');

    // Level-0 hash tiles carry the same leaf hashes; the level-1 tile carries the 256-leaf subtree roots.
    const tile0 = await get(`/log/tile/0/${encodeIndex(0)}`);
    assert.deepEqual(tile0, Buffer.concat(leaves.slice(0, 256)));
    const level1 = await get('/log/tile/1/000.p/1');
    assert.deepEqual(level1, mth(leaves.slice(0, 256)));

    // The demo's reads are in the log, and name no user.
    const entries = [];
    const first = await get(`/log/tile/entries/000`);
    for (let off = 0; off < first.length; ) {
      const len = first.readUInt16BE(off);
      entries.push(first.subarray(off + 2, off + 2 + len).toString('utf8'));
      off += 2 + len;
    }
    const reads = entries.filter((e) => e.includes('"content.read"'));
    assert.equal(reads.length, 2);
    for (const u of demo.users) assert.ok(!entries.some((e) => e.includes(`"${u}"`)), `no entry names ${u}`);
  } finally {
    await app.close();
    await services.close();
  }
});
