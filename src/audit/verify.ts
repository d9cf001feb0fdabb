/**
 * audit/verify: pure verification of RFC 9162 §2.1.3.2 inclusion proofs and §2.1.4.2 consistency proofs.
 * Nothing here trusts the log: a client (or `custodian log verify`) gives it a proof, sizes and the roots it
 * got from signed checkpoints. Preconditions are checked before any hashing; every failure throws
 * DomainError `invalid_proof` with the reason (never with entry content).
 */
import { HASH_SIZE, hashChildren } from './hash.js';
import { AuditErrorCode, auditError } from './errors.js';

function fail(reason: string): never {
  throw auditError(AuditErrorCode.invalidProof, reason);
}

function checkHash(name: string, h: Uint8Array): void {
  if (h.length !== HASH_SIZE) fail(`${name} must be ${HASH_SIZE} bytes`);
}

function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) fail(`${name} must be a non-negative integer`);
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/**
 * The root that an inclusion proof for `leafHash` at `index` implies for a tree of `size` leaves.
 * Preconditions: 0 <= index < size; every hash 32 bytes; proof exactly as long as the path.
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Buffer {
  checkSize('index', index);
  checkSize('size', size);
  if (index >= size) fail('index must be below size');
  checkHash('leaf hash', leafHash);
  proof.forEach((p) => checkHash('proof element', p));
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) fail('proof too long');
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      // Skip levels where this node has no right sibling (the right edge of an unbalanced tree).
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) fail('proof too short');
  return r;
}

/** Throws unless `proof` shows `leafHash` at `index` in the tree of `size` leaves with head `root`. */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkHash('root', root);
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  if (!computed.equals(root)) fail('inclusion proof does not lead to the root');
}

/**
 * Throws unless `proof` shows that the tree of `fromSize` leaves with head `fromRoot` is a prefix of the tree of
 * `toSize` leaves with head `toRoot`, i.e. the log only appended between the two checkpoints.
 * Preconditions: 0 < fromSize <= toSize (a proof from the empty tree proves nothing); equal sizes need an
 * empty proof and equal roots.
 */
export function verifyConsistency(
  fromSize: number,
  toSize: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  checkSize('from size', fromSize);
  checkSize('to size', toSize);
  if (fromSize === 0) fail('a consistency proof from the empty tree is meaningless');
  if (fromSize > toSize) fail('from size exceeds to size');
  if (fromSize === toSize) {
    if (proof.length !== 0) fail('equal sizes need an empty proof');
    if (!Buffer.from(fromRoot).equals(Buffer.from(toRoot))) fail('equal sizes with different roots');
    return;
  }
  checkHash('from root', fromRoot);
  checkHash('to root', toRoot);
  if (proof.length === 0) fail('empty proof');
  proof.forEach((p) => checkHash('proof element', p));

  // If the old tree is a complete subtree, its root is the first node of the path and is not sent.
  const path = isPowerOfTwo(fromSize) ? [fromRoot, ...proof] : [...proof];
  let fn = fromSize - 1;
  let sn = toSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]);
  let sr: Buffer = Buffer.from(path[0]);
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) fail('proof too long');
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) fail('proof too short');
  if (!fr.equals(Buffer.from(fromRoot))) fail('consistency proof does not lead to the old root');
  if (!sr.equals(Buffer.from(toRoot))) fail('consistency proof does not lead to the new root');
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
