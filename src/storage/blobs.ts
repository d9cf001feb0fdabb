// Blob storage for sealed media. Callers hand in ciphertext only; this layer never sees plaintext. The filesystem
// store is the embedded default; an S3-compatible store implements the same three calls.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BlobStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  delete(key: string): Promise<void>;
}

const KEY = /^[a-z0-9_]{1,64}\/[A-Za-z0-9_.-]{1,128}$/;

function checkKey(key: string) {
  // Keys are ids we generate ("media/m_…"); refusing anything else rules out path traversal by construction.
  if (!KEY.test(key)) throw new Error('invalid blob key');
}

export function createFileBlobStore(root: string): BlobStore {
  return {
    async put(key, bytes) {
      checkKey(key);
      const path = join(root, key);
      await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
      const tmp = `${path}.tmp`;
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, path);
    },
    async get(key) {
      checkKey(key);
      try {
        return await readFile(join(root, key));
      } catch {
        return null;
      }
    },
    async delete(key) {
      checkKey(key);
      await rm(join(root, key), { force: true });
    },
  };
}

export function createMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Buffer>();
  return {
    async put(key, bytes) {
      checkKey(key);
      blobs.set(key, Buffer.from(bytes));
    },
    async get(key) {
      checkKey(key);
      return blobs.get(key) ?? null;
    },
    async delete(key) {
      blobs.delete(key);
    },
  };
}
