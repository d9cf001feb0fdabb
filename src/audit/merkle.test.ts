/**
 * Tests for audit/hash, audit/tree and audit/verify: RFC 6962 hashing, tree heads, and proof generation and
 * verification against the transparency-dev/merkle vectors (testdata/merkle-vectors.json), plus an
 * RFC 9162 §2.1-literal recursive reference to cross-check every proof for small trees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DomainError } from '../errors.js';
import { emptyRoot, hashChildren, hashLeaf } from './hash.js';
import {
  MemoryTree,
  consistencyProofFrom,
  consistencyProofPlan,
  inclusionProofFrom,
  inclusionProofPlan,
  treeHashFrom,
} from './tree.js';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';

interface InclusionVector { file: string; leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[]; wantErr: boolean }
interface ConsistencyVector { file: string; size1: number; size2: number; root1: string; root2: string; proof: string[]; wantErr: boolean }
const vectors = JSON.parse(readFileSync(new URL('./testdata/merkle-vectors.json', import.meta.url), 'utf8')) as {
  leavesHex: string[];
  rootsHex: string[];
  nodeHashesHex: string[][];
  hasher: { emptyRootHex: string; emptyLeafHashHex: string; leaf: { input: string; hashHex: string }; node: { left: string; right: string; hashHex: string } };
  inclusion: InclusionVector[];
  consistency: ConsistencyVector[];
};
const b64 = (s: string) => Buffer.from(s, 'base64');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const leaves = vectors.leavesHex.map((h) => Buffer.from(h, 'hex'));

// RFC 9162 §2.1.1-2.1.4, written as literally as possible (slow, recursive) to check the fast code against.
function refMth(d: Buffer[]): Buffer {
  if (d.length === 0) return emptyRoot();
  if (d.length === 1) return hashLeaf(d[0]);
  const k = refSplit(d.length);
  return hashChildren(refMth(d.slice(0, k)), refMth(d.slice(k)));
}
function refSplit(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function refPath(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = refSplit(d.length);
  return m < k ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))] : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))];
}
function refSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [refMth(d)];
  const k = refSplit(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refMth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refMth(d.slice(0, k))];
}

function entries(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`entry-${i}`));
}

function isInvalidProof(err: unknown): boolean {
  return err instanceof DomainError && err.code === 'invalid_proof';
}

test('RFC 6962 hasher matches transparency-dev vectors', () => {
  const h = vectors.hasher;
  assert.equal(hex(emptyRoot()), h.emptyRootHex);
  assert.equal(hex(hashLeaf(Buffer.alloc(0))), h.emptyLeafHashHex);
  assert.equal(hex(hashLeaf(Buffer.from(h.leaf.input))), h.leaf.hashHex);
  assert.equal(hex(hashChildren(Buffer.from(h.node.left), Buffer.from(h.node.right))), h.node.hashHex);
  // Domain separation: a leaf of (l || r) is not the node over l and r.
  assert.notEqual(hex(hashLeaf(Buffer.from('N123N456'))), h.node.hashHex);
});

test('tree heads and stored node hashes match the reference tree for every size', async () => {
  const tree = new MemoryTree();
  assert.equal(hex(tree.root()), vectors.hasher.emptyRootHex);
  for (let i = 0; i < leaves.length; i++) {
    tree.appendEntries([leaves[i]]);
    assert.equal(hex(tree.root()), vectors.rootsHex[i], `root of size ${i + 1}`);
    assert.equal(hex(await treeHashFrom(tree, i + 1)), vectors.rootsHex[i], `root folded from stored nodes, size ${i + 1}`);
  }
  vectors.nodeHashesHex.forEach((level, l) =>
    level.forEach((want, i) => assert.equal(hex(tree.hashAt(l, i)!), want, `node ${l}/${i}`)),
  );
  assert.equal(tree.hashAt(4, 0), undefined);
});

test('transparency-dev inclusion vectors: accepted exactly when wantErr is false', () => {
  assert.ok(vectors.inclusion.length > 50);
  for (const v of vectors.inclusion) {
    const run = () => verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), v.proof.map(b64), b64(v.root));
    if (v.wantErr) assert.throws(run, isInvalidProof, v.file);
    else assert.doesNotThrow(run, v.file);
  }
});

test('transparency-dev consistency vectors: accepted exactly when wantErr is false', () => {
  assert.ok(vectors.consistency.length > 50);
  for (const v of vectors.consistency) {
    const run = () => verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), v.proof.map(b64));
    if (v.wantErr) assert.throws(run, isInvalidProof, v.file);
    else assert.doesNotThrow(run, v.file);
  }
});

test('generated proofs equal the published happy-path vectors', async () => {
  const tree = new MemoryTree();
  tree.appendEntries(leaves);
  let checked = 0;
  for (const v of vectors.inclusion.filter((x) => !x.wantErr && x.file.endsWith('happy-path.json'))) {
    const proof = await inclusionProofFrom(tree, v.leafIdx, v.treeSize);
    assert.deepEqual(proof.map((p) => p.toString('base64')), v.proof, v.file);
    checked++;
  }
  for (const v of vectors.consistency.filter((x) => !x.wantErr && x.file.endsWith('happy-path.json'))) {
    const proof = await consistencyProofFrom(tree, v.size1, v.size2);
    assert.deepEqual(proof.map((p) => p.toString('base64')), v.proof, v.file);
    checked++;
  }
  assert.ok(checked >= 8);
});

test('every inclusion and consistency proof up to size 40 matches the RFC reference and verifies', async () => {
  const data = entries(40);
  const tree = new MemoryTree();
  tree.appendEntries(data);
  for (let n = 1; n <= 40; n++) {
    const prefix = data.slice(0, n);
    const root = refMth(prefix);
    assert.ok((await treeHashFrom(tree, n)).equals(root));
    for (let m = 0; m < n; m++) {
      const proof = await inclusionProofFrom(tree, m, n);
      assert.deepEqual(proof, refPath(m, prefix), `inclusion ${m}/${n}`);
      verifyInclusion(m, n, hashLeaf(data[m]), proof, root);
    }
    for (let m = 1; m <= n; m++) {
      const proof = await consistencyProofFrom(tree, m, n);
      assert.deepEqual(proof, m === n ? [] : refSubproof(m, prefix, true), `consistency ${m}->${n}`);
      verifyConsistency(m, n, refMth(data.slice(0, m)), root, proof);
    }
  }
});

test('tampered proofs are rejected', async () => {
  const data = entries(300);
  const tree = new MemoryTree();
  tree.appendEntries(data);
  const root = tree.root();
  const proof = await inclusionProofFrom(tree, 123, 300);
  verifyInclusion(123, 300, hashLeaf(data[123]), proof, root);
  for (let i = 0; i < proof.length; i++) {
    const bad = proof.map((p) => Buffer.from(p));
    bad[i][7] ^= 0x01;
    assert.throws(() => verifyInclusion(123, 300, hashLeaf(data[123]), bad, root), isInvalidProof);
  }
  assert.throws(() => verifyInclusion(124, 300, hashLeaf(data[123]), proof, root), isInvalidProof, 'wrong index');
  assert.throws(() => verifyInclusion(123, 300, hashLeaf(data[124]), proof, root), isInvalidProof, 'wrong leaf');
  assert.throws(() => verifyInclusion(123, 300, hashLeaf(data[123]), proof.slice(1), root), isInvalidProof, 'truncated');
  assert.throws(() => verifyInclusion(123, 300, hashLeaf(data[123]), [...proof, root], root), isInvalidProof, 'extended');
  assert.throws(() => verifyInclusion(300, 300, hashLeaf(data[123]), proof, root), isInvalidProof, 'index = size');

  const old = await treeHashFrom(tree, 100);
  const cproof = await consistencyProofFrom(tree, 100, 300);
  verifyConsistency(100, 300, old, root, cproof);
  assert.throws(() => verifyConsistency(100, 300, root, old, cproof), isInvalidProof, 'swapped roots');
  assert.throws(() => verifyConsistency(101, 300, old, root, cproof), isInvalidProof, 'wrong size');
  assert.throws(() => verifyConsistency(300, 100, old, root, cproof), isInvalidProof, 'from > to');
  const forked = new MemoryTree();
  forked.appendEntries([...data.slice(0, 50), Buffer.from('rewritten'), ...data.slice(51)]);
  assert.throws(() => verifyConsistency(100, 300, old, forked.root(), cproof), isInvalidProof, 'rewritten history');
});

test('proof generation checks its preconditions', () => {
  assert.throws(() => inclusionProofPlan(5, 5), RangeError);
  assert.throws(() => inclusionProofPlan(-1, 5), RangeError);
  assert.throws(() => consistencyProofPlan(0, 5), RangeError);
  assert.throws(() => consistencyProofPlan(6, 5), RangeError);
  assert.deepEqual(consistencyProofPlan(5, 5), []);
  assert.deepEqual(inclusionProofPlan(0, 1), []);
  assert.throws(() => rootFromInclusionProof(0, 1, Buffer.alloc(31), []), isInvalidProof);
});

test('proof shape stays logarithmic far beyond 32-bit sizes', () => {
  const size = 2 ** 40 + 12345;
  const plan = inclusionProofPlan(size - 1, size);
  assert.ok(plan.length <= 41);
  // Every proof element over a size this large must decompose into stored complete subtrees.
  for (const group of plan) for (const n of group) assert.ok(Number.isSafeInteger(n.index) && n.index >= 0);
  assert.ok(consistencyProofPlan(2 ** 33 + 1, size).length <= 2 * 41);
});
