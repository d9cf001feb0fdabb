/**
 * Tests for the sequencer, store, read functions and verifyLog on real databases (PGlite always, PostgreSQL
 * when reachable): appends resolve once durable under a signed checkpoint, proofs and tiles served from the
 * store verify independently, and tampering (changed entry, truncation, rewritten history, wrong key, altered
 * signature) is detected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../errors.js';
import { runMigrations, type Db } from '../storage/index.js';
import { testDrivers } from '../storage/testing.js';
import {
  auditMigrations,
  canonicalJson,
  consistencyProof,
  entryWithProof,
  generateNoteKey,
  hashLeaf,
  inclusionProof,
  latestCheckpoint,
  openAuditLog,
  openCheckpoint,
  parseEntryBundle,
  parseSignerKey,
  parseVerifierKey,
  pseudonymize,
  readEntry,
  readTile,
  signCheckpoint,
  tilePath,
  tilesForSize,
  treeHead,
  treeHeadFromTiles,
  verifyConsistency,
  verifyInclusion,
  verifyLog,
  MemoryTree,
} from './index.js';
import { insertBatch } from './store.js';

const ORIGIN = 'custodian.test/log';
const keys = generateNoteKey(ORIGIN);
const verifier = parseVerifierKey(keys.verifierKey);
const logKey = Buffer.alloc(32, 3);
const code = (c: string) => (err: unknown) => err instanceof DomainError && err.code === c;

function event(i: number) {
  return { type: 'content.read', staffId: `staff-${i % 7}`, caseId: `case-${i % 13}`, purpose: 'report review', subject: pseudonymize(logKey, `user-${i}`), n: i };
}

async function filledLog(db: Db, count: number) {
  await runMigrations(db, auditMigrations);
  const log = await openAuditLog({ db, origin: ORIGIN, signerKey: keys.signerKey, maxBatch: 100, maxDelayMs: 1 });
  const indexes = await Promise.all(Array.from({ length: count }, (_, i) => log.appendEntry(event(i))));
  return { log, indexes };
}

async function expectedTree(db: Db, size: number): Promise<MemoryTree> {
  const tree = new MemoryTree();
  for (let i = 0; i < size; i++) tree.appendEntries([await readEntry(db, i)]);
  return tree;
}

for (const driver of await testDrivers()) {
  test(`audit log on ${driver.name}: appends, checkpoints, tiles, proofs`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    t.after(cleanup);
    await runMigrations(db, auditMigrations);
    const log = await openAuditLog({ db, origin: ORIGIN, signerKey: keys.signerKey, maxBatch: 64, maxDelayMs: 1 });
    const empty = openCheckpoint(await latestCheckpoint(db), [verifier], ORIGIN);
    assert.equal(empty.size, 0);

    // Many concurrent callers: each gets a distinct index, and only after its entry is committed.
    const singles = Array.from({ length: 300 }, (_, i) => log.appendEntry(event(i)));
    const many = log.appendEntries(Array.from({ length: 300 }, (_, i) => event(300 + i)));
    const indexes = [...(await Promise.all(singles)), ...(await many)];
    assert.deepEqual([...indexes].sort((a, b) => a - b), Array.from({ length: 600 }, (_, i) => i));
    for (const n of [0, 299, 300, 450, 599]) {
      assert.equal((await readEntry(db, indexes[n])).toString(), canonicalJson(event(n)), `entry of caller ${n}`);
    }
    const batch = await many;
    batch.forEach((x, i) => assert.equal(x, batch[0] + i, 'one appendEntries call gets contiguous indexes'));

    const cp = openCheckpoint(await latestCheckpoint(db), [verifier], ORIGIN);
    assert.equal(cp.size, 600);
    const tree = await expectedTree(db, 600);
    assert.ok(cp.rootHash.equals(tree.root()));
    assert.ok((await treeHead(db, 600)).equals(tree.root()));

    // Inclusion proofs from the store verify against the signed root, for entries all over the tree.
    for (const i of [0, 1, 255, 256, 511, 599]) {
      const proof = await inclusionProof(db, i, 600);
      verifyInclusion(i, 600, hashLeaf(await readEntry(db, i)), proof, cp.rootHash);
    }
    const withProof = await entryWithProof(db, 42);
    verifyInclusion(42, withProof.treeSize, hashLeaf(withProof.entry), withProof.proof, openCheckpoint(withProof.checkpoint, [verifier]).rootHash);

    // Every stored checkpoint is consistent with the latest one.
    const sizes = (await db.query<{ size: number }>('SELECT size FROM audit_checkpoints ORDER BY size')).rows.map((r) => Number(r.size));
    assert.ok(sizes.length >= 3, 'batched: several checkpoints');
    for (const s of sizes.filter((x) => x > 0)) {
      const old = await treeHead(db, s);
      verifyConsistency(s, 600, old, cp.rootHash, await consistencyProof(db, s, 600));
    }

    // Tiles: an independent client recomputes the signed root from tile bytes; bundles hash to tile slots.
    const head = await treeHeadFromTiles(600, (p) => readTile(db, p));
    assert.ok(head.equals(cp.rootHash));
    assert.deepEqual(tilesForSize(600).map(tilePath), ['tile/0/000', 'tile/0/001', 'tile/0/002.p/88', 'tile/1/000.p/2']);
    const bundle = parseEntryBundle(await readTile(db, 'tile/entries/002.p/88'));
    const tile = await readTile(db, 'tile/0/002.p/88');
    assert.equal(bundle.length, 88);
    bundle.forEach((e, i) => assert.ok(hashLeaf(e).equals(tile.subarray(i * 32, i * 32 + 32))));
    assert.equal(parseEntryBundle(await readTile(db, 'tile/entries/000')).length, 256);
    // A partial tile for an earlier size is the prefix of the later one.
    assert.ok((await readTile(db, 'tile/0/002.p/10')).equals(tile.subarray(0, 320)));

    // Errors callers see.
    await assert.rejects(readTile(db, 'tile/0/2'), code('invalid_tile_path'));
    await assert.rejects(readTile(db, 'tile/0/003'), code('tile_not_found'));
    await assert.rejects(readTile(db, 'tile/0/002'), code('tile_not_found'));
    await assert.rejects(readTile(db, 'tile/entries/002.p/89'), code('tile_not_found'));
    await assert.rejects(inclusionProof(db, 600, 600), code('invalid_proof_request'));
    await assert.rejects(inclusionProof(db, 0, 601), code('invalid_proof_request'));
    // The path of leaf 600 in a tree of 601 uses only nodes that exist; it must still be refused.
    await assert.rejects(inclusionProof(db, 600, 601), code('invalid_proof_request'));
    await assert.rejects(consistencyProof(db, 512, 601), code('invalid_proof_request'));
    await assert.rejects(consistencyProof(db, 601, 601), code('invalid_proof_request'));
    await assert.rejects(treeHead(db, 601), code('invalid_proof_request'));
    assert.deepEqual(await consistencyProof(db, 600, 600), []);
    await assert.rejects(consistencyProof(db, 0, 10), code('invalid_proof_request'));
    await assert.rejects(consistencyProof(db, 11, 10), code('invalid_proof_request'));
    await assert.rejects(readEntry(db, 600), code('entry_not_found'));
    await assert.rejects(log.appendEntry({ big: 'x'.repeat(70_000) }), code('invalid_audit_entry'));

    // The tables refuse changes.
    await assert.rejects(db.query("UPDATE audit_entries SET body = '\\x00' WHERE idx = 1"), /append-only/);
    await assert.rejects(db.query('DELETE FROM audit_checkpoints WHERE size = 600'), /append-only/);
    await assert.rejects(db.query("UPDATE audit_hash_tiles SET hashes = '\\x00' || hashes WHERE level = 0 AND idx = 0"), /only grow/);
    await assert.rejects(db.query('DELETE FROM audit_hash_tiles WHERE level = 3'), /only grow/);
    await assert.rejects(db.query('TRUNCATE audit_entries'), /append-only/);

    // Restart: a new sequencer on the same store continues the same tree.
    await log.close();
    await assert.rejects(log.appendEntry(event(0)), code('audit_log_closed'));
    const again = await openAuditLog({ db, origin: ORIGIN, signerKey: keys.signerKey });
    // Characters that need care in transit (array literals, encodings) come back byte for byte.
    const tricky = { ...event(600), purpose: 'quote " backslash \\ comma , {brace} é 漢字 😀 \u0000 \t \n end' };
    assert.equal(await again.appendEntry(tricky), 600);
    await again.close();
    assert.equal((await readEntry(db, 600)).toString('utf8'), canonicalJson(tricky));

    // Two sequencers (two cluster nodes) on one store: they serialise on the store and never fork the tree.
    const a = await openAuditLog({ db, origin: ORIGIN, signerKey: keys.signerKey, maxDelayMs: 1 });
    const b = await openAuditLog({ db, origin: ORIGIN, signerKey: keys.signerKey, maxDelayMs: 1 });
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).appendEntry(event(601 + i))));
    assert.deepEqual([...got].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => 601 + i));
    await Promise.all([a.close(), b.close()]);
    const after = openCheckpoint(await latestCheckpoint(db), [verifier], ORIGIN);
    assert.equal(after.size, 641);
    verifyConsistency(600, 641, cp.rootHash, after.rootHash, await consistencyProof(db, 600, 641));

    const report = await verifyLog(db, keys.verifierKey, { origin: ORIGIN, trustedCheckpoints: [await latestCheckpoint(db)] });
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.equal(report.size, 641);
    assert.equal(report.rootHash, after.rootHash.toString('base64'));
  });

  test(`verifyLog on ${driver.name} detects tampering`, { skip: driver.skip }, async (t) => {
    // One honest log of 300 entries, snapshotted; each scenario tampers with a restored copy.
    const { db: store, cleanup } = await driver.open();
    t.after(cleanup);
    const { log } = await filledLog(store, 300);
    await log.close();
    const tables = ['audit_entries', 'audit_hash_tiles', 'audit_checkpoints'];
    // What an attacker with database access would do first.
    for (const table of tables) await store.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    for (const table of tables) await store.query(`CREATE TABLE snap_${table} AS SELECT * FROM ${table}`);
    async function fresh(): Promise<Db> {
      for (const table of tables) {
        await store.query(`DELETE FROM ${table}`);
        await store.query(`INSERT INTO ${table} SELECT * FROM snap_${table}`);
      }
      return store;
    }

    // Changed entry.
    let db = await fresh();
    assert.equal((await verifyLog(db, keys.verifierKey)).ok, true);
    await db.query('UPDATE audit_entries SET body = $1 WHERE idx = 17', [Buffer.from(canonicalJson({ ...event(17), purpose: 'other' }))]);
    let report = await verifyLog(db, keys.verifierKey);
    assert.equal(report.ok, false);
    assert.ok(report.problems.some((p) => p.includes('entry 17')), report.problems.join('; '));

    // Wrong key, and an altered signature.
    db = await fresh();
    const other = generateNoteKey(ORIGIN);
    report = await verifyLog(db, other.verifierKey);
    assert.equal(report.ok, false);
    assert.ok(report.problems.every((p) => p.includes('unverified_note')));
    const note = await latestCheckpoint(db);
    const sigAt = note.lastIndexOf(' ') + 8;
    const altered = note.slice(0, sigAt) + (note[sigAt] === 'A' ? 'B' : 'A') + note.slice(sigAt + 1);
    await db.query('UPDATE audit_checkpoints SET note = $1 WHERE size = 300', [altered]);
    report = await verifyLog(db, keys.verifierKey);
    assert.ok(report.problems.some((p) => p.includes('checkpoint 300') && p.includes('invalid_note_signature')), report.problems.join('; '));

    // Truncated: entries cut, or the whole tail removed cleanly (caught only by a checkpoint held elsewhere).
    db = await fresh();
    const held = await latestCheckpoint(db);
    await db.query('DELETE FROM audit_entries WHERE idx >= 290');
    report = await verifyLog(db, keys.verifierKey);
    assert.ok(report.problems.some((p) => p.includes('entries missing')), report.problems.join('; '));
    const sizes = (await db.query<{ size: number }>('SELECT size FROM audit_checkpoints WHERE size <= 250 ORDER BY size DESC LIMIT 1')).rows;
    const cut = Number(sizes[0].size);
    await db.query('DELETE FROM audit_entries WHERE idx >= $1', [cut]);
    await db.query('DELETE FROM audit_hash_tiles WHERE idx * 32 >= ($1::bigint >> level::int)', [cut]);
    await db.query(
      'UPDATE audit_hash_tiles SET hashes = substring(hashes FROM 1 FOR ((($1::bigint >> level::int) - idx * 32) * 32)::int) WHERE idx * 32 + octet_length(hashes) / 32 > ($1::bigint >> level::int)',
      [cut],
    );
    await db.query('DELETE FROM audit_checkpoints WHERE size > $1', [cut]);
    assert.equal((await verifyLog(db, keys.verifierKey)).ok, true, 'a clean truncation is self-consistent');
    report = await verifyLog(db, keys.verifierKey, { trustedCheckpoints: [held] });
    assert.ok(report.problems.some((p) => p.includes('truncated')), report.problems.join('; '));

    // Rewritten history: entry 10 changed, every hash recomputed, and re-signed with the real key.
    db = await fresh();
    const mid = (await db.query<{ size: number }>('SELECT size FROM audit_checkpoints WHERE size BETWEEN 11 AND 299 ORDER BY size LIMIT 1')).rows;
    const midSize = Number(mid[0].size);
    const midRoot = await treeHead(db, midSize);
    const midNote = (await db.query<{ note: string }>('SELECT note FROM audit_checkpoints WHERE size = $1', [midSize])).rows[0].note;
    const bodies: Buffer[] = [];
    for (let i = 0; i < 300; i++) bodies.push(i === 10 ? Buffer.from(canonicalJson({ ...event(10), staffId: 'someone-else' })) : await readEntry(db, i));
    const forged = new MemoryTree();
    const nodes = forged.appendLeafHashes(bodies.map((b) => hashLeaf(b)));
    await db.query('DELETE FROM audit_entries');
    await db.query('DELETE FROM audit_hash_tiles');
    await db.query('DELETE FROM audit_checkpoints WHERE size = 300');
    const forgedNote = signCheckpoint({ origin: ORIGIN, size: 300, rootHash: forged.root() }, [parseSignerKey(keys.signerKey)]);
    await db.tx((tx) => insertBatch(tx, { startIndex: 0, entries: bodies, nodes, checkpoint: { size: 300, root: forged.root(), note: forgedNote } }));
    report = await verifyLog(db, keys.verifierKey);
    assert.ok(report.problems.some((p) => p.includes('history rewritten')), `older stored checkpoints expose it: ${report.problems.join('; ')}`);
    await db.query('DELETE FROM audit_checkpoints WHERE size <> 300');
    assert.equal((await verifyLog(db, keys.verifierKey)).ok, true, 'a full rewrite with the key is self-consistent');
    report = await verifyLog(db, keys.verifierKey, { trustedCheckpoints: [midNote] });
    assert.ok(report.problems.some((p) => p.includes('history rewritten')), report.problems.join('; '));
    // A client holding the older checkpoint asks the rewritten log for a consistency proof: it cannot verify.
    const forgedCp = openCheckpoint(await latestCheckpoint(db), [verifier], ORIGIN);
    const proof = await consistencyProof(db, midSize, 300);
    assert.throws(() => verifyConsistency(midSize, 300, midRoot, forgedCp.rootHash, proof), code('invalid_proof'));
  });
}
