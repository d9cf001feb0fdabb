/**
 * crypto/keyring: where key-encryption keys live. Region keys (KEKs) wrap per-conversation data keys; a server
 * holds only the regions it serves, so another region's data stays sealed there. The local-file provider is
 * the embedded default (created on first start, mode 0600, replaced atomically); a KMS provider implements the
 * same interface. Destroying a region key is crypto-shredding of everything under it.
 */
import { generateKeyPairSync, randomBytes, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RegionKey {
  region: string;
  keyId: string;
  key: Buffer;
}

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface Keyring {
  readonly provider: 'local-file' | 'memory';
  /** The region's current KEK; created on first use when the provider allows it. */
  regionKey(region: string): RegionKey;
  /** A KEK by id (older keys stay readable until destroyed). */
  regionKeyById(keyId: string): RegionKey | null;
  destroyRegionKey(keyId: string): void;
  /** Ed25519 key that signs user tokens. */
  tokenSigningKey(): SigningKey;
  /** A named 32-byte secret (HMAC keys for pseudonyms and the like), created on first use. */
  secret(name: string): Buffer;
  /** A named secret in a caller-defined text form (e.g. the log's signed-note signer key), created on first use. */
  textSecret(name: string, create: () => string): string;
}

interface KeyringFile {
  version: 1;
  regionKeys: { region: string; keyId: string; key: string; createdAt: string; destroyedAt?: string }[];
  tokenKey: { keyId: string; pkcs8: string };
  secrets: Record<string, string>;
  textSecrets?: Record<string, string>;
}

function newFile(): KeyringFile {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    version: 1,
    regionKeys: [],
    tokenKey: {
      keyId: randomBytes(8).toString('hex'),
      pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    },
    secrets: {},
  };
}

function keyringFrom(file: KeyringFile, persist: (f: KeyringFile) => void, provider: Keyring['provider']): Keyring {
  const tokenPrivate = createPrivateKey({ key: Buffer.from(file.tokenKey.pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
  const signing: SigningKey = { keyId: file.tokenKey.keyId, privateKey: tokenPrivate, publicKey: createPublicKey(tokenPrivate) };
  const toRegionKey = (k: KeyringFile['regionKeys'][number]): RegionKey => ({
    region: k.region,
    keyId: k.keyId,
    key: Buffer.from(k.key, 'base64'),
  });
  return {
    provider,
    regionKey(region) {
      const live = file.regionKeys.filter((k) => k.region === region && !k.destroyedAt);
      if (live.length > 0) return toRegionKey(live[live.length - 1]);
      const created = {
        region,
        keyId: `${region}-${randomBytes(6).toString('hex')}`,
        key: randomBytes(32).toString('base64'),
        createdAt: new Date().toISOString(),
      };
      file.regionKeys.push(created);
      persist(file);
      return toRegionKey(created);
    },
    regionKeyById(keyId) {
      const k = file.regionKeys.find((r) => r.keyId === keyId && !r.destroyedAt);
      return k ? toRegionKey(k) : null;
    },
    destroyRegionKey(keyId) {
      const k = file.regionKeys.find((r) => r.keyId === keyId);
      if (!k || k.destroyedAt) return;
      k.key = '';
      k.destroyedAt = new Date().toISOString();
      persist(file);
    },
    tokenSigningKey: () => signing,
    secret(name) {
      if (!file.secrets[name]) {
        file.secrets[name] = randomBytes(32).toString('base64');
        persist(file);
      }
      return Buffer.from(file.secrets[name], 'base64');
    },
    textSecret(name, create) {
      file.textSecrets ??= {};
      if (!file.textSecrets[name]) {
        file.textSecrets[name] = create();
        persist(file);
      }
      return file.textSecrets[name];
    },
  };
}

/** Opens (or creates) the local keyring file. The file holds secrets: 0600, written via rename so a crash never truncates it. */
export function openLocalKeyring(path: string): Keyring {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const persist = (f: KeyringFile) => {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(f, null, 1), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  };
  let file: KeyringFile;
  if (existsSync(path)) {
    file = JSON.parse(readFileSync(path, 'utf8')) as KeyringFile;
    chmodSync(path, 0o600);
  } else {
    file = newFile();
    persist(file);
  }
  return keyringFrom(file, persist, 'local-file');
}

/** A keyring that lives only in memory (tests, demos). */
export function memoryKeyring(): Keyring {
  return keyringFrom(newFile(), () => {}, 'memory');
}
