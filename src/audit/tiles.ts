/**
 * audit/tiles: the C2SP tlog-tiles layout (c2sp.org/tlog-tiles). Tiles are height 8: a tile at level L holds up
 * to 256 consecutive hashes of tree level 8·L, so a client rebuilds any proof from a few immutable, cacheable
 * files. Entry bundles hold the entries behind the level-0 tiles, each prefixed with its big-endian uint16
 * length. Paths are parsed strictly: one canonical spelling per tile keeps caches and mirrors coherent.
 */
import { HASH_SIZE } from './hash.js';
import { AuditErrorCode, auditError } from './errors.js';
import type { HashReader } from './tree.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** Entries longer than this cannot be framed in an entry bundle. */
export const MAX_ENTRY_BYTES = 0xffff;

export interface TileRef {
  /** `hashes`: a Merkle tile at `level`; `entries`: the entry bundle behind level-0 tile `index`. */
  kind: 'hashes' | 'entries';
  level: number;
  index: number;
  /** 1..256; 256 is a full tile, anything less a partial tile (path suffix `.p/<W>`). */
  width: number;
}

const TILE_LEVEL_MAX = 63;

function invalidPath(reason: string): never {
  throw auditError(AuditErrorCode.invalidTilePath, `invalid tile path: ${reason}`);
}

/** Encodes a tile index as zero-padded 3-digit groups, all but the last prefixed by `x` (1234067 → x001/x234/067). */
export function formatTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('tile index must be a non-negative integer');
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

export function tilePath(tile: TileRef): string {
  const base = tile.kind === 'entries' ? 'tile/entries' : `tile/${tile.level}`;
  const suffix = tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`;
  return `${base}/${formatTileIndex(tile.index)}${suffix}`;
}

/**
 * Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` (without the log prefix). Rejects anything but
 * the canonical form: leading zeros, an `x000` leading group, widths outside 1..255, levels above 63.
 * Throws DomainError `invalid_tile_path`.
 */
export function parseTilePath(path: string): TileRef {
  const parts = path.split('/');
  if (parts.length < 3 || parts[0] !== 'tile') invalidPath('must start with tile/');
  let kind: TileRef['kind'];
  let level: number;
  if (parts[1] === 'entries') {
    kind = 'entries';
    level = 0;
  } else {
    if (!/^(0|[1-9][0-9]?)$/.test(parts[1])) invalidPath('bad level');
    level = Number(parts[1]);
    if (level > TILE_LEVEL_MAX) invalidPath('level above 63');
    kind = 'hashes';
  }
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  const last = rest[rest.length - 1];
  // A partial tile's ".p/<W>" splits across two path elements: "<NNN>.p" then "<W>".
  if (last.endsWith('.p')) invalidPath('missing partial width');
  if (rest.length >= 2 && rest[rest.length - 2].endsWith('.p')) {
    const w = rest[rest.length - 1];
    if (!/^[1-9][0-9]{0,2}$/.test(w)) invalidPath('bad partial width');
    width = Number(w);
    if (width >= TILE_WIDTH) invalidPath('partial width must be 1..255');
    rest = rest.slice(0, -1);
    rest[rest.length - 1] = rest[rest.length - 1].slice(0, -2);
  }
  if (rest.length === 0 || rest.length > 6) invalidPath('bad index');
  let index = 0;
  rest.forEach((group, i) => {
    const isLast = i === rest.length - 1;
    const digits = isLast ? group : group.startsWith('x') ? group.slice(1) : invalidPath('index group needs x prefix');
    if (!/^[0-9]{3}$/.test(digits)) invalidPath('index groups are three digits');
    index = index * 1000 + Number(digits);
  });
  if (rest.length > 1 && rest[0] === 'x000') invalidPath('leading zero group');
  if (!Number.isSafeInteger(index)) invalidPath('index too large');
  return { kind, level, index, width };
}

/** Number of hashes a tree of `size` leaves has at tile level `level` (tree level 8·level). */
export function hashesAtTileLevel(size: number, level: number): number {
  return Math.floor(size / 2 ** (TILE_HEIGHT * level));
}

/**
 * Every tile (and, if asked, entry bundle) of a tree of `size` leaves: full tiles plus at most one partial tile
 * per level. C2SP example: size 70,000 has 273 full level-0 tiles, a level-0 partial of width 112, one full
 * level-1 tile, a level-1 partial of width 17 and a level-2 partial of width 1.
 */
export function tilesForSize(size: number, opts: { entryBundles?: boolean } = {}): TileRef[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be a non-negative integer');
  const out: TileRef[] = [];
  for (let level = 0; level <= TILE_LEVEL_MAX; level++) {
    const count = hashesAtTileLevel(size, level);
    if (count === 0) break;
    const full = Math.floor(count / TILE_WIDTH);
    const partial = count % TILE_WIDTH;
    for (let index = 0; index < full; index++) out.push({ kind: 'hashes', level, index, width: TILE_WIDTH });
    if (partial > 0) out.push({ kind: 'hashes', level, index: full, width: partial });
    if (level === 0 && opts.entryBundles) {
      for (let index = 0; index < full; index++) out.push({ kind: 'entries', level: 0, index, width: TILE_WIDTH });
      if (partial > 0) out.push({ kind: 'entries', level: 0, index: full, width: partial });
    }
  }
  return out;
}

/** Tiles present at `newSize` but not at `oldSize` (new full tiles and the new partials): what to push to a CDN. */
export function newTilesForSize(oldSize: number, newSize: number, opts: { entryBundles?: boolean } = {}): TileRef[] {
  if (oldSize > newSize) throw new RangeError('old size exceeds new size');
  const before = new Set(tilesForSize(oldSize, opts).map(tilePath));
  return tilesForSize(newSize, opts).filter((t) => !before.has(tilePath(t)));
}

/** Whether a tree of `size` leaves contains the tile (a partial one only if that many hashes exist). */
export function tileExistsAtSize(tile: TileRef, size: number): boolean {
  const count = hashesAtTileLevel(size, tile.level);
  return tile.index * TILE_WIDTH + tile.width <= count;
}

/**
 * A Merkle tile's bytes: the `width` stored hashes of tree level 8·L starting at index·256, concatenated.
 * Throws `tile_not_found` when the store does not hold them all yet.
 */
export async function buildTile(reader: HashReader, tile: TileRef): Promise<Buffer> {
  if (tile.kind !== 'hashes') throw new RangeError('buildTile builds Merkle tiles; use encodeEntryBundle for entries');
  const hashes = await reader.readHashRange(TILE_HEIGHT * tile.level, tile.index * TILE_WIDTH, tile.width);
  if (hashes.length !== tile.width) throw auditError(AuditErrorCode.tileNotFound, 'tile not found', { path: tilePath(tile) });
  return Buffer.concat(hashes, tile.width * HASH_SIZE);
}

/** Splits tile bytes into hashes; throws if the length is not a whole number of hashes. */
export function splitTile(bytes: Uint8Array): Buffer[] {
  if (bytes.length === 0 || bytes.length % HASH_SIZE !== 0 || bytes.length > TILE_WIDTH * HASH_SIZE) {
    throw new RangeError('tile length must be 1..256 hashes');
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += HASH_SIZE) out.push(buf.subarray(i, i + HASH_SIZE));
  return out;
}

/** Frames entries as an entry bundle: each a big-endian uint16 length then the bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_BYTES) throw auditError(AuditErrorCode.invalidEntry, 'entry too large for a bundle');
    total += 2 + e.length;
  }
  const out = Buffer.alloc(total);
  let off = 0;
  for (const e of entries) {
    out.writeUInt16BE(e.length, off);
    out.set(e, off + 2);
    off += 2 + e.length;
  }
  return out;
}

/** Parses an entry bundle; throws RangeError on truncated framing. */
export function parseEntryBundle(bytes: Uint8Array): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 2 > buf.length) throw new RangeError('truncated entry length');
    const len = buf.readUInt16BE(off);
    if (off + 2 + len > buf.length) throw new RangeError('truncated entry');
    out.push(buf.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  return out;
}
