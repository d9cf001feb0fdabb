/**
 * Tests for audit/tiles: C2SP tlog-tiles path encoding (examples from the spec and the Go tlog fuzz seeds),
 * tile sets per tree size, entry bundles, and an independent tiles client that recomputes a tree head and
 * checks an entry using nothing but tile and bundle bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DomainError } from '../errors.js';
import { MemoryTree } from './tree.js';
import { treeHeadFromTiles } from './tiles-client.js';
import {
  buildTile,
  encodeEntryBundle,
  formatTileIndex,
  newTilesForSize,
  parseEntryBundle,
  parseTilePath,
  tilePath,
  tilesForSize,
  type TileRef,
} from './tiles.js';

const invalidPath = (err: unknown) => err instanceof DomainError && err.code === 'invalid_tile_path';

test('tile index encoding follows the spec example', () => {
  assert.equal(formatTileIndex(1234067), 'x001/x234/067');
  assert.equal(formatTileIndex(0), '000');
  assert.equal(formatTileIndex(5), '005');
  assert.equal(formatTileIndex(999), '999');
  assert.equal(formatTileIndex(1000), 'x001/000');
  assert.equal(tilePath({ kind: 'hashes', level: 3, index: 1234067, width: 256 }), 'tile/3/x001/x234/067');
  assert.equal(tilePath({ kind: 'hashes', level: 0, index: 1, width: 5 }), 'tile/0/001.p/5');
  assert.equal(tilePath({ kind: 'entries', level: 0, index: 1000, width: 112 }), 'tile/entries/x001/000.p/112');
});

test('tile paths parse to what they encode, for many indexes and widths', () => {
  for (const index of [0, 1, 999, 1000, 1234067, 2 ** 40 + 7]) {
    for (const width of [1, 17, 255, 256]) {
      for (const kind of ['hashes', 'entries'] as const) {
        const tile: TileRef = { kind, level: kind === 'entries' ? 0 : 5, index, width };
        assert.deepEqual(parseTilePath(tilePath(tile)), tile);
      }
    }
  }
  assert.deepEqual(parseTilePath('tile/63/x123/x456/078.p/2'), { kind: 'hashes', level: 63, index: 123456078, width: 2 });
});

test('non-canonical or malformed tile paths are rejected', () => {
  const bad = [
    'tile/3/5/123/456/078', // Go's old height-in-path layout: groups without x
    'tile/3/-1/123/456/078',
    'tile/1/data/x003/x057/500',
    'tile/01/000',
    'tile/64/000',
    'tile/0/00',
    'tile/0/0000',
    'tile/0/x000/001',
    'tile/0/001.p/0',
    'tile/0/001.p/256',
    'tile/0/001.p/05',
    'tile/0/001.p',
    'tile/0/001.p/',
    'tile/0/x001.p/5/002',
    'tile/0/001/',
    'tile/0/',
    'tile/0',
    '/tile/0/000',
    'tile/entries/x001',
    'tile/0/x1/000',
    'tile/a/000',
    'tiles/0/000',
  ];
  for (const p of bad) assert.throws(() => parseTilePath(p), invalidPath, p);
});

test('the tiles of a tree follow the spec examples', () => {
  const at70k = tilesForSize(70_000);
  const count = (level: number, full: boolean) => at70k.filter((t) => t.level === level && (t.width === 256) === full).length;
  assert.equal(count(0, true), 273);
  assert.deepEqual(at70k.filter((t) => t.level === 0 && t.width < 256).map((t) => t.width), [112]);
  assert.equal(count(1, true), 1);
  assert.deepEqual(at70k.filter((t) => t.level === 1 && t.width < 256).map((t) => t.width), [17]);
  assert.deepEqual(at70k.filter((t) => t.level === 2).map((t) => [t.width, t.index]), [[1, 0]]);
  assert.equal(at70k.length, 273 + 1 + 1 + 1 + 1);
  assert.deepEqual(tilesForSize(256).map(tilePath), ['tile/0/000', 'tile/1/000.p/1']);
  assert.deepEqual(tilesForSize(0), []);
  assert.equal(tilesForSize(70_000, { entryBundles: true }).filter((t) => t.kind === 'entries').length, 274);
  assert.deepEqual(newTilesForSize(255, 257).map(tilePath), ['tile/0/000', 'tile/0/001.p/1', 'tile/1/000.p/1']);
});

test('entry bundles frame entries with big-endian uint16 lengths', () => {
  const entries = [Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(300, 9), Buffer.alloc(0xffff, 1)];
  const bundle = encodeEntryBundle(entries);
  assert.deepEqual([...bundle.subarray(0, 5)], [0, 0, 0, 1, 0x61]);
  assert.deepEqual([...bundle.subarray(5, 7)], [0x01, 0x2c]);
  assert.deepEqual(parseEntryBundle(bundle), entries);
  assert.throws(() => parseEntryBundle(bundle.subarray(0, bundle.length - 1)), RangeError);
  assert.throws(() => parseEntryBundle(Buffer.from([0])), RangeError);
  assert.throws(() => encodeEntryBundle([Buffer.alloc(0x10000)]), DomainError);
});

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

test('an independent client recomputes the tree head from tile bytes alone', async () => {
  const tree = new MemoryTree();
  const entries = Array.from({ length: 70_000 }, (_, i) => Buffer.from(`{"i":${i}}`));
  tree.appendEntries(entries);
  const published = new Map<string, Buffer>();
  for (const t of tilesForSize(tree.size)) published.set(tilePath(t), await buildTile(tree, t));
  const fetch = async (p: string) => {
    const b = published.get(p);
    if (!b) throw new Error(`404 ${p}`);
    return b;
  };
  const expected = new MemoryTree();
  for (const size of [1, 255, 256, 257, 65_536, 65_537, 69_999, tree.size]) {
    expected.appendEntries(entries.slice(expected.size, size));
    // Partial tiles for smaller sizes are prefixes of the larger tree's tiles (append-only), which is what
    // lets a log serve `.p/<W>` for every checkpointed size from the same stored hashes.
    const sizeTiles = new Map<string, Buffer>();
    for (const t of tilesForSize(size)) if (t.width < 256) sizeTiles.set(tilePath(t), await buildTile(tree, t));
    const head = await treeHeadFromTiles(size, async (p) => sizeTiles.get(p) ?? fetch(p));
    assert.ok(head.equals(expected.root()), `size ${size}`);
  }
  // Entry bundles: each entry hashes to its level-0 tile slot.
  const bundle = encodeEntryBundle(entries.slice(256 * 10, 256 * 11));
  const tile = await fetch('tile/0/010');
  parseEntryBundle(bundle).forEach((e, i) => assert.ok(sha256(Buffer.from([0]), e).equals(tile.subarray(i * 32, i * 32 + 32))));
  // A changed byte in any tile the head depends on changes the head the client computes.
  // (Full tiles under the level-2 tile are not on the head's path, so they are left out here.)
  for (const path of ['tile/1/001.p/17', 'tile/0/273.p/112', 'tile/2/000.p/1']) {
    const tampered = Buffer.from(published.get(path)!);
    tampered[5] ^= 1;
    const head = await treeHeadFromTiles(tree.size, async (p) => (p === path ? tampered : fetch(p)));
    assert.ok(!head.equals(tree.root()), path);
  }
});

test('buildTile refuses tiles the tree does not hold', async () => {
  const tree = new MemoryTree();
  tree.appendEntries([Buffer.from('a'), Buffer.from('b')]);
  assert.equal((await buildTile(tree, { kind: 'hashes', level: 0, index: 0, width: 2 })).length, 64);
  await assert.rejects(buildTile(tree, { kind: 'hashes', level: 0, index: 0, width: 3 }), (e: unknown) => e instanceof DomainError && e.code === 'tile_not_found');
  await assert.rejects(buildTile(tree, { kind: 'hashes', level: 1, index: 0, width: 1 }), DomainError);
});
