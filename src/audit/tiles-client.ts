/**
 * audit/tiles-client: a deliberately independent tlog-tiles client. It recomputes a tree head from nothing
 * but the public tile bytes, with its own path formatting and RFC 6962 recursion, and shares no code with the
 * log's tree builder: when tests check the log with it, a bug in one cannot hide the same bug in the other.
 * Monitors and `custodian log verify --remote`-style tools can use it against any C2SP tiled log.
 */
import { createHash } from 'node:crypto';

export type TileFetcher = (path: string) => Promise<Uint8Array>;

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function pathFor(tileLevel: number, n: number, width: number): string {
  let digits = String(n);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = digits.match(/.{3}/g)!;
  const encoded = groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
  return `tile/${tileLevel}/${encoded}${width === 256 ? '' : `.p/${width}`}`;
}

/** The RFC 6962 head of the tree of `size` leaves, computed from tiles fetched through `fetch`. */
export async function treeHeadFromTiles(size: number, fetch: TileFetcher): Promise<Buffer> {
  const tiles = new Map<string, Uint8Array>();
  async function tileHash(tileLevel: number, i: number): Promise<Buffer> {
    const available = Math.floor(size / 256 ** tileLevel);
    const n = Math.floor(i / 256);
    const width = Math.min(256, available - n * 256);
    const path = pathFor(tileLevel, n, width);
    let bytes = tiles.get(path);
    if (!bytes) {
      bytes = await fetch(path);
      if (bytes.length !== width * 32) throw new Error(`tile ${path} is ${bytes.length} bytes, expected ${width * 32}`);
      tiles.set(path, bytes);
    }
    const off = (i % 256) * 32;
    return Buffer.from(bytes.subarray(off, off + 32));
  }
  // The hash of the complete subtree of 2^height leaves starting at `start`: read from a tile when the
  // height is a multiple of 8, otherwise hashed up from the tile level below.
  async function complete(start: number, height: number): Promise<Buffer> {
    if (height % 8 === 0) return tileHash(height / 8, start / 2 ** height);
    const half = 2 ** (height - 1);
    return sha256(Buffer.from([1]), await complete(start, height - 1), await complete(start + half, height - 1));
  }
  async function mth(lo: number, hi: number): Promise<Buffer> {
    const n = hi - lo;
    if (n === 0) return sha256();
    const height = Math.log2(n);
    if (Number.isInteger(height)) return complete(lo, height);
    let k = 1;
    while (k * 2 < n) k *= 2;
    return sha256(Buffer.from([1]), await mth(lo, lo + k), await mth(lo + k, hi));
  }
  return mth(0, size);
}
