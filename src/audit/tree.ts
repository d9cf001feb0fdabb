/**
 * audit/tree: the shape of an RFC 6962 append-only Merkle tree, independent of where hashes are kept.
 *
 * A node (level, index) is the complete subtree over leaves [index·2^level, (index+1)·2^level). Only complete
 * subtrees are ever stored: they never change once written, which is what makes the log append-only. Any
 * other range hash (a tree head, a right-edge proof element) is folded on demand from the complete subtrees
 * that tile it. Sizes and indexes are JS numbers: exact up to 2^53 entries, far beyond any real log, and we
 * avoid 32-bit bitwise operators for that reason.
 */
import { HASH_SIZE, foldRight, hashChildren, hashLeaf } from './hash.js';

export interface NodeId {
  level: number;
  index: number;
}

export interface StoredNode extends NodeId {
  hash: Buffer;
}

/** Reads stored complete-subtree hashes. Implemented by the database store and by MemoryTree. */
export interface HashReader {
  /** Hashes of the given nodes, in order; throws if any is missing. */
  readHashes(nodes: readonly NodeId[]): Promise<Buffer[]>;
  /** Up to `count` consecutive hashes at `level` from `start`; fewer if the tree does not hold them yet. */
  readHashRange(level: number, start: number, count: number): Promise<Buffer[]>;
}

const POW2: number[] = Array.from({ length: 54 }, (_, i) => 2 ** i);

export function pow2(level: number): number {
  return POW2[level];
}

/** Largest power of two strictly smaller than n (n >= 2): RFC 6962's split point k. */
export function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The complete subtrees that tile [start, end), left to right. Valid for the ranges RFC 6962 proofs and heads
 * use: `start` aligned to the largest power of two not above (end - start).
 */
export function rangeNodes(start: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let pos = start;
  let remaining = end - start;
  for (let level = 53; level >= 0 && remaining > 0; level--) {
    const width = POW2[level];
    if (remaining >= width) {
      out.push({ level, index: pos / width });
      pos += width;
      remaining -= width;
    }
  }
  return out;
}

/** Nodes whose folded hashes form the tree head of a tree of `size` leaves (empty for size 0). */
export function treeHashNodes(size: number): NodeId[] {
  return rangeNodes(0, size);
}

export type ProofPlan = NodeId[][];

function assertIndex(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative safe integer`);
}

/**
 * RFC 9162 §2.1.3.1 PATH(m, D[n]) as ranges, deepest sibling first; each proof element is the fold of one
 * group of stored nodes. Precondition: 0 <= index < size (checked).
 */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  assertIndex('index', index);
  assertIndex('size', size);
  if (index >= size) throw new RangeError('index must be below size');
  const siblings: NodeId[][] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = largestPow2Below(hi - lo);
    if (index < lo + k) {
      siblings.push(rangeNodes(lo + k, hi));
      hi = lo + k;
    } else {
      siblings.push(rangeNodes(lo, lo + k));
      lo += k;
    }
  }
  return siblings.reverse();
}

/**
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as ranges. Preconditions (checked):
 * 0 < from <= to; from == to yields the empty proof.
 */
export function consistencyProofPlan(from: number, to: number): ProofPlan {
  assertIndex('from', from);
  assertIndex('to', to);
  if (from === 0 || from > to) throw new RangeError('need 0 < from <= to');
  const out: NodeId[][] = [];
  let lo = 0;
  let hi = to;
  let isOriginalTree = true;
  for (;;) {
    if (from === hi) {
      // The old tree's last subtree is a node of the new tree: the verifier needs it unless it is the whole
      // old tree (whose root the verifier already has).
      if (!isOriginalTree) out.push(rangeNodes(lo, hi));
      break;
    }
    const k = largestPow2Below(hi - lo);
    if (from <= lo + k) {
      out.push(rangeNodes(lo + k, hi));
      hi = lo + k;
    } else {
      out.push(rangeNodes(lo, lo + k));
      lo += k;
      isOriginalTree = false;
    }
  }
  return out.reverse();
}

/** Every node a plan needs, deduplicated, for one batched read. */
export function planNodes(plan: ProofPlan): NodeId[] {
  const seen = new Set<string>();
  const out: NodeId[] = [];
  for (const group of plan) {
    for (const n of group) {
      const key = `${n.level}/${n.index}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(n);
      }
    }
  }
  return out;
}

/** Reads a plan's nodes once and folds each group into a proof element. */
export async function resolvePlan(reader: HashReader, plan: ProofPlan): Promise<Buffer[]> {
  const nodes = planNodes(plan);
  const hashes = await reader.readHashes(nodes);
  const byKey = new Map<string, Buffer>();
  nodes.forEach((n, i) => byKey.set(`${n.level}/${n.index}`, hashes[i]));
  return plan.map((group) => foldRight(group.map((n) => byKey.get(`${n.level}/${n.index}`)!)));
}

export async function treeHashFrom(reader: HashReader, size: number): Promise<Buffer> {
  return foldRight(await reader.readHashes(treeHashNodes(size)));
}

export async function inclusionProofFrom(reader: HashReader, index: number, size: number): Promise<Buffer[]> {
  return resolvePlan(reader, inclusionProofPlan(index, size));
}

export async function consistencyProofFrom(reader: HashReader, from: number, to: number): Promise<Buffer[]> {
  return resolvePlan(reader, consistencyProofPlan(from, to));
}

/**
 * The right edge of a tree: its complete subtrees, left to right, with strictly decreasing levels (a
 * "compact range" over [0, size)). It is all the state needed to append and to compute the tree head.
 */
export interface Frontier {
  size: number;
  nodes: { level: number; hash: Buffer }[];
}

export function emptyFrontier(): Frontier {
  return { size: 0, nodes: [] };
}

export function frontierRoot(frontier: Frontier): Buffer {
  return foldRight(frontier.nodes.map((n) => n.hash));
}

/**
 * Appends leaf hashes to a frontier without mutating it (so a failed commit leaves the caller's state as it
 * was). Returns the new frontier and every complete subtree the append created, which are exactly the
 * hashes to store: each is final the moment it exists.
 */
export function appendLeafHashes(frontier: Frontier, leafHashes: readonly Buffer[]): { frontier: Frontier; created: StoredNode[] } {
  const nodes = frontier.nodes.slice();
  const created: StoredNode[] = [];
  let size = frontier.size;
  for (const leaf of leafHashes) {
    if (leaf.length !== HASH_SIZE) throw new RangeError('leaf hash must be 32 bytes');
    const i = size;
    created.push({ level: 0, index: i, hash: leaf });
    nodes.push({ level: 0, hash: leaf });
    while (nodes.length >= 2 && nodes[nodes.length - 1].level === nodes[nodes.length - 2].level) {
      const right = nodes.pop()!;
      const left = nodes.pop()!;
      const level = right.level + 1;
      const hash = hashChildren(left.hash, right.hash);
      nodes.push({ level, hash });
      created.push({ level, index: Math.floor(i / POW2[level]), hash });
    }
    size += 1;
  }
  return { frontier: { size, nodes }, created };
}

/** Rebuilds a frontier from stored hashes, e.g. when a sequencer starts on an existing log. */
export async function frontierFrom(reader: HashReader, size: number): Promise<Frontier> {
  const ids = treeHashNodes(size);
  const hashes = await reader.readHashes(ids);
  return { size, nodes: ids.map((n, i) => ({ level: n.level, hash: hashes[i] })) };
}

/**
 * A whole tree held in memory: every complete-subtree hash, one contiguous buffer per level. Used by tests, by
 * the benchmark (10^6 entries) and wherever a tree must be rebuilt from entries without touching the store.
 */
export class MemoryTree implements HashReader {
  private levels: { buf: Buffer; count: number }[] = [];
  private frontier: Frontier = emptyFrontier();

  get size(): number {
    return this.frontier.size;
  }

  appendEntries(entries: readonly Uint8Array[]): void {
    this.appendLeafHashes(entries.map((e) => hashLeaf(e)));
  }

  appendLeafHashes(leafHashes: readonly Buffer[]): StoredNode[] {
    const { frontier, created } = appendLeafHashes(this.frontier, leafHashes);
    for (const n of created) this.put(n);
    this.frontier = frontier;
    return created;
  }

  root(): Buffer {
    return frontierRoot(this.frontier);
  }

  /** Stored hash of a complete subtree, or undefined if it does not exist yet. */
  hashAt(level: number, index: number): Buffer | undefined {
    const l = this.levels[level];
    if (!l || index < 0 || index >= l.count) return undefined;
    return l.buf.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  readHashesSync(nodes: readonly NodeId[]): Buffer[] {
    return nodes.map((n) => {
      const h = this.hashAt(n.level, n.index);
      if (!h) throw new RangeError(`missing hash ${n.level}/${n.index}`);
      return h;
    });
  }

  async readHashes(nodes: readonly NodeId[]): Promise<Buffer[]> {
    return this.readHashesSync(nodes);
  }

  readHashRangeSync(level: number, start: number, count: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = start; i < start + count; i++) {
      const h = this.hashAt(level, i);
      if (!h) break;
      out.push(h);
    }
    return out;
  }

  async readHashRange(level: number, start: number, count: number): Promise<Buffer[]> {
    return this.readHashRangeSync(level, start, count);
  }

  private put(n: StoredNode): void {
    let l = this.levels[n.level];
    if (!l) {
      l = { buf: Buffer.alloc(HASH_SIZE * 1024), count: 0 };
      this.levels[n.level] = l;
    }
    // Appends arrive in index order per level; anything else would be a bug in appendLeafHashes.
    if (n.index !== l.count) throw new Error('out-of-order node');
    if ((l.count + 1) * HASH_SIZE > l.buf.length) {
      const bigger = Buffer.alloc(l.buf.length * 2);
      l.buf.copy(bigger, 0, 0, l.count * HASH_SIZE);
      l.buf = bigger;
    }
    n.hash.copy(l.buf, l.count * HASH_SIZE);
    l.count += 1;
  }
}
