/**
 * Tests for audit/note and audit/checkpoint against golang.org/x/mod sumdb/note vectors, the C2SP
 * signed-note example, real sum.golang.org checkpoints (testdata/note-vectors.json), and tampering cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DomainError } from '../errors.js';
import { hashLeaf } from './hash.js';
import {
  ed25519KeyId,
  formatVerifierKey,
  generateNoteKey,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifierKeyFromSignerKey,
} from './note.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';

const v = JSON.parse(readFileSync(new URL('./testdata/note-vectors.json', import.meta.url), 'utf8'));
const go = v.goNote;

const code = (c: string) => (err: unknown) => err instanceof DomainError && err.code === c;

test('verifier and signer keys from the Go note tests parse, and agree', () => {
  const peter = parseVerifierKey(go.peterVkey);
  assert.equal(peter.name, 'PeterNeumann');
  assert.equal(peter.keyId, 0xc74f20a3);
  assert.equal(ed25519KeyId(peter.name, peter.publicKey), 0xc74f20a3);
  assert.equal(formatVerifierKey(peter.name, peter.publicKey), go.peterVkey);
  const signer = parseSignerKey(go.peterSkey);
  assert.equal(signer.keyId, peter.keyId);
  assert.equal(verifierKeyFromSignerKey(go.peterSkey), go.peterVkey);
});

test('mangled verifier keys are rejected', () => {
  for (const bad of go.badVkeys) assert.throws(() => parseVerifierKey(bad), code('invalid_note_key'), bad);
  const key: string = go.peterVkey;
  // Every proper substring, and every single-character change, must fail (as in the Go test).
  for (let i = 0; i < key.length; i += 3) {
    for (let j = i + 1; j <= key.length; j += 5) {
      if (i === 0 && j === key.length) continue;
      assert.throws(() => parseVerifierKey(key.slice(i, j)), DomainError, key.slice(i, j));
    }
  }
  for (let i = 0; i < key.length; i++) {
    const changed = key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1);
    assert.throws(() => parseVerifierKey(changed), DomainError, changed);
  }
  assert.throws(() => parseSignerKey(go.peterVkey), code('invalid_note_key'));
  assert.throws(() => parseSignerKey(go.peterSkey.replace('c74f20a3', 'c74f20a4')), code('invalid_note_key'));
});

test('signing reproduces the Go note test signature byte for byte', () => {
  // Ed25519 is deterministic, so the same key and text must give the published note.
  const note = signNote(go.text, [parseSignerKey(go.peterSkey)]);
  assert.equal(note, go.signedByPeter);
});

test('opening: trusted keys verify, unknown keys are ignored, a bad trusted signature rejects the note', () => {
  const peter = parseVerifierKey(go.peterVkey);
  const enoch = parseVerifierKey(go.enochVkey);
  const both = `${go.text}\n${go.peterSig}${go.enochSig}`;
  const one = openNote(both, [peter]);
  assert.equal(one.text, go.text);
  assert.deepEqual(one.verified.map((s) => s.name), ['PeterNeumann']);
  assert.deepEqual(one.unverified.map((s) => s.name), ['EnochRoot']);
  assert.equal(openNote(both, [peter, enoch]).verified.length, 2);
  assert.throws(() => openNote(both, []), code('unverified_note'));
  assert.throws(() => openNote(go.invalidSignatureNote, [peter]), code('invalid_note_signature'));
  // Same name, different key ID: someone else's key, so the note is unverified rather than accepted.
  const { verifierKey } = generateNoteKey('PeterNeumann');
  assert.throws(() => openNote(go.signedByPeter, [parseVerifierKey(verifierKey)]), code('unverified_note'));
});

test('malformed notes from the Go tests are rejected', () => {
  const peter = parseVerifierKey(go.peterVkey);
  for (const msg of go.malformedNotes as string[]) assert.throws(() => openNote(msg, [peter]), code('malformed_note'), JSON.stringify(msg));
  const invalidUtf8 = Buffer.concat([Buffer.from([0xff]), Buffer.from(go.signedByPeter)]);
  assert.throws(() => openNote(invalidUtf8, [peter]), code('malformed_note'));
  assert.throws(() => openNote(`${go.text}\n${go.peterSig.repeat(101)}`, [peter]), code('malformed_note'));
});

test('the C2SP signed-note example verifies, and altering text or signature fails', () => {
  const key = parseVerifierKey(v.c2spExample.vkey);
  const note: string = v.c2spExample.note;
  assert.equal(openNote(note, [key]).text, 'This is an example message.\n');
  assert.throws(() => openNote(note.replace('example message', 'example massage'), [key]), code('invalid_note_signature'));
  const sigStart = note.indexOf('Uw2Q') + 10;
  const flipped = note.slice(0, sigStart) + (note[sigStart] === 'A' ? 'B' : 'A') + note.slice(sigStart + 1);
  assert.throws(() => openNote(flipped, [key]), code('invalid_note_signature'));
});

test('real sum.golang.org checkpoints verify with the published Go checksum database key', () => {
  const key = parseVerifierKey(v.sumGolangOrg.vkey);
  for (const note of v.sumGolangOrg.notes as string[]) {
    const cp = openCheckpoint(note, [key], 'go.sum database tree');
    assert.ok(cp.size > 60_000_000);
    assert.equal(cp.rootHash.length, 32);
    assert.throws(() => openCheckpoint(note.replace(String(cp.size), String(cp.size + 1)), [key]), code('invalid_note_signature'));
  }
});

test('checkpoint bodies: the Go tree-note vector, strict parsing, extension lines', () => {
  const t = v.goTree;
  const body = formatCheckpoint({ origin: t.origin, size: t.size, rootHash: hashLeaf(Buffer.from(t.leafInput)) });
  assert.equal(body, t.body);
  const cp = parseCheckpoint(t.body);
  assert.equal(cp.size, t.size);
  assert.ok(cp.rootHash.equals(hashLeaf(Buffer.from(t.leafInput))));
  for (const bad of t.badBodies as string[]) assert.throws(() => parseCheckpoint(bad), code('malformed_checkpoint'));
  const root = Buffer.alloc(32, 7).toString('base64');
  for (const bad of [`o\n01\n${root}\n`, `\n1\n${root}\n`, `o\n1\n${root}`, `o\n1\n${root}\n\n`, `o\n1\n`, `o\n-1\n${root}\n`]) {
    assert.throws(() => parseCheckpoint(bad), code('malformed_checkpoint'), JSON.stringify(bad));
  }
  assert.deepEqual(parseCheckpoint(`o\n0\n${root}\next one\n`).extensions, ['ext one']);
});

test('signed checkpoints round-trip and reject wrong key, other origin and altered bodies', () => {
  const { signerKey, verifierKey } = generateNoteKey('custodian.example/log');
  const other = generateNoteKey('custodian.example/log');
  const signer = parseSignerKey(signerKey);
  const verifier = parseVerifierKey(verifierKey);
  const rootHash = hashLeaf(Buffer.from('x'));
  const note = signCheckpoint({ origin: 'custodian.example/log', size: 42, rootHash }, [signer]);
  const cp = openCheckpoint(note, [verifier], 'custodian.example/log');
  assert.equal(cp.size, 42);
  assert.ok(cp.rootHash.equals(rootHash));
  assert.throws(() => openCheckpoint(note, [parseVerifierKey(other.verifierKey)]), code('unverified_note'));
  assert.throws(() => openCheckpoint(note, [verifier], 'another.example/log'), code('checkpoint_origin_mismatch'));
  assert.throws(() => openCheckpoint(note.replace('\n42\n', '\n43\n'), [verifier]), code('invalid_note_signature'));
  assert.throws(() => openCheckpoint(note.replace('— custodian', '- custodian'), [verifier]), code('malformed_note'));
});
