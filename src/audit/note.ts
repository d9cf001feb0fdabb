/**
 * audit/note: C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures (type 0x01).
 * A note is UTF-8 text ending in a newline, a blank line, then lines `— <name> <base64(keyID || sig)>`.
 * Verifier keys are `<name>+<hex keyID>+<base64(0x01 || pubkey)>`; signer keys use the same layout as
 * golang.org/x/mod/sumdb/note (`PRIVATE+KEY+<name>+<hex keyID>+<base64(0x01 || seed)>`) so operators can
 * use standard tooling. Verification follows the spec: unknown keys are ignored, a known key with a bad
 * signature rejects the whole note, and a note with no verified signature is rejected.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { AuditErrorCode, auditError } from './errors.js';

const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
/** The spec requires accepting at least 16; more only costs the verifier. */
const MAX_SIGNATURES = 100;

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI) so node:crypto accepts them.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface NoteVerifier {
  name: string;
  keyId: number;
  publicKey: Buffer;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  name: string;
  keyId: number;
  sign(message: Uint8Array): Buffer;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** base64 of keyID || signature, as it appears on the line. */
  base64: string;
}

export interface OpenedNote {
  text: string;
  verified: NoteSignature[];
  unverified: NoteSignature[];
}

function malformed(reason: string): never {
  throw auditError(AuditErrorCode.malformedNote, `malformed note: ${reason}`);
}

function badKey(reason: string): never {
  throw auditError(AuditErrorCode.invalidKey, `invalid note key: ${reason}`);
}

/** Key names: non-empty, no Unicode spaces, no '+'. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasControlChars(name);
}

// Lone UTF-16 surrogates cannot be encoded as UTF-8; a note holding one would sign different bytes than it shows.
function isWellFormedUtf16(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function hasControlChars(s: string): boolean {
  return /[\u0000-\u0009\u000b-\u001f]/.test(s);
}

/** Strict standard base64 (RFC 4648 §4, padded): decoding must round-trip, so no alternate spellings. */
function decodeBase64Strict(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : undefined;
}

/** key ID = SHA-256(name || 0x0A || 0x01 || pubkey)[:4], big-endian. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  const h = createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, ALG_ED25519])).update(publicKey).digest();
  return h.readUInt32BE(0);
}

function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function rawPublicKey(priv: KeyObject): Buffer {
  const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(spki.length - 32));
}

/** The vkey string for an Ed25519 public key. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) badKey('bad key name');
  if (publicKey.length !== 32) badKey('Ed25519 public keys are 32 bytes');
  const material = Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]).toString('base64');
  return `${name}+${keyIdHex(ed25519KeyId(name, publicKey))}+${material}`;
}

function splitKey(s: string, parts: number): string[] {
  const p = s.split('+');
  // Base64 may itself contain '+', so everything after the fixed fields is rejoined.
  if (p.length < parts) badKey('too few fields');
  return [...p.slice(0, parts - 1), p.slice(parts - 1).join('+')];
}

function parseKeyFields(name: string, hex: string, b64: string): { keyId: number; material: Buffer } {
  if (!isValidKeyName(name)) badKey('bad key name');
  if (!/^[0-9a-f]{8}$/.test(hex)) badKey('key ID must be 8 lowercase hex digits');
  const decoded = decodeBase64Strict(b64);
  if (!decoded || decoded.length !== 33) badKey('bad key material');
  if (decoded[0] !== ALG_ED25519) badKey('unsupported signature type');
  return { keyId: parseInt(hex, 16), material: decoded.subarray(1) };
}

/** Parses a vkey; rejects wrong lengths, unknown algorithms and a key ID that does not match name and key. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const [name, hex, b64] = splitKey(vkey, 3);
  const { keyId, material } = parseKeyFields(name, hex, b64);
  if (ed25519KeyId(name, material) !== keyId) badKey('key ID does not match');
  let key: KeyObject;
  try {
    key = publicKeyObject(material);
  } catch {
    badKey('not an Ed25519 public key');
  }
  const publicKey = Buffer.from(material);
  return {
    name,
    keyId,
    publicKey,
    verify: (message, signature) => signature.length === 64 && verify(null, message, key, signature),
  };
}

/** Parses a signer key (`PRIVATE+KEY+<name>+<hex>+<base64(0x01||seed)>`). */
export function parseSignerKey(skey: string): NoteSigner {
  const [p1, p2, name, hex, b64] = splitKey(skey, 5);
  if (p1 !== 'PRIVATE' || p2 !== 'KEY') badKey('signer keys start with PRIVATE+KEY+');
  const { keyId, material } = parseKeyFields(name, hex, b64);
  let priv: KeyObject;
  try {
    priv = privateKeyObject(material);
  } catch {
    badKey('not an Ed25519 seed');
  }
  if (ed25519KeyId(name, rawPublicKey(priv)) !== keyId) badKey('key ID does not match');
  return { name, keyId, sign: (message) => sign(null, message, priv) };
}

/** A fresh Ed25519 key pair as signer and verifier key strings. The signer key is a secret. */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) badKey('bad key name');
  const { privateKey } = generateKeyPairSync('ed25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const seed = pkcs8.subarray(pkcs8.length - 32);
  const pub = rawPublicKey(privateKey);
  const keyId = ed25519KeyId(name, pub);
  const signerKey = `PRIVATE+KEY+${name}+${keyIdHex(keyId)}+${Buffer.concat([Buffer.from([ALG_ED25519]), seed]).toString('base64')}`;
  return { signerKey, verifierKey: formatVerifierKey(name, pub) };
}

/** The verifier key matching a signer key (what an operator publishes). */
export function verifierKeyFromSignerKey(skey: string): string {
  const [, , name, , b64] = splitKey(skey, 5);
  parseSignerKey(skey);
  const seed = decodeBase64Strict(b64)!.subarray(1);
  return formatVerifierKey(name, rawPublicKey(privateKeyObject(seed)));
}

function checkNoteText(text: string): void {
  if (text.length === 0 || !text.endsWith('\n')) malformed('text must end with a newline');
  if (hasControlChars(text)) malformed('control characters');
  if (!isWellFormedUtf16(text)) malformed('not valid UTF-8');
}

/** Signs `text` (which must end in a newline) with each signer and returns the signed note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  if (signers.length === 0) throw new RangeError('need at least one signer');
  const msg = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => {
    if (!isValidKeyName(s.name)) badKey('bad signer name');
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId);
    return `${SIG_PREFIX}${s.name} ${Buffer.concat([id, s.sign(msg)]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** Splits a note into text and signature lines; throws `malformed_note` on any syntax violation. */
export function parseNote(note: string | Uint8Array): { text: string; signatures: (NoteSignature & { sig: Buffer })[] } {
  let s: string;
  if (typeof note === 'string') {
    s = note;
    if (!isWellFormedUtf16(s)) malformed('not valid UTF-8');
  } else {
    try {
      s = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
    } catch {
      malformed('not valid UTF-8');
    }
  }
  if (hasControlChars(s)) malformed('control characters');
  if (!s.endsWith('\n')) malformed('must end with a newline');
  const split = s.lastIndexOf('\n\n');
  if (split < 0) malformed('no signature block');
  const text = s.slice(0, split + 1);
  const sigLines = s.slice(split + 2, -1).split('\n');
  if (sigLines.length > MAX_SIGNATURES) malformed('too many signatures');
  const signatures = sigLines.map((line) => {
    if (!line.startsWith(SIG_PREFIX)) malformed('signature lines start with an em dash');
    const rest = line.slice(SIG_PREFIX.length);
    const sp = rest.indexOf(' ');
    if (sp < 0) malformed('signature line needs name and signature');
    const name = rest.slice(0, sp);
    const base64 = rest.slice(sp + 1);
    if (!isValidKeyName(name)) malformed('bad key name');
    const raw = decodeBase64Strict(base64);
    if (!raw || raw.length < 5) malformed('bad signature encoding');
    return { name, keyId: raw.readUInt32BE(0), base64, sig: raw.subarray(4) };
  });
  return { text, signatures };
}

/**
 * Verifies a signed note against trusted verifiers and returns its text. Throws `malformed_note`,
 * `invalid_note_signature` (a trusted key's signature fails) or `unverified_note` (no trusted key signed).
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const msg = Buffer.from(text, 'utf8');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const { sig, ...s } of signatures) {
    // Both name and key ID must match: a key sharing only one of them is someone else's and is ignored.
    const v = verifiers.find((k) => k.name === s.name && k.keyId === s.keyId);
    if (!v) {
      unverified.push(s);
      continue;
    }
    if (!v.verify(msg, sig)) {
      throw auditError(AuditErrorCode.invalidNoteSignature, `invalid signature for key ${s.name}+${keyIdHex(s.keyId)}`);
    }
    const key = `${s.name}+${s.keyId}`;
    if (!seen.has(key)) {
      seen.add(key);
      verified.push(s);
    }
  }
  if (verified.length === 0) throw auditError(AuditErrorCode.unverifiedNote, 'note has no verifiable signatures');
  return { text, verified, unverified };
}
