// Known-content matching with persistence: hash banks and their entries live in safety_* tables and are replayed
// into the in-memory index at start; uploads are scanned (PDQ with 8 dihedral variants, MD5, SHA-256) and their
// verdict is recorded; sending a matched media item yields the synchronous verdict and, for known illegal
// content, preserves the evidence and opens a detection for review and legal to pick up.
import { randomId, aadOf, newDataKey, seal, wrapDataKey, type Keyring } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import type { BlobStore, Db, Migration, Queryable } from '../storage/index.js';
import {
  addBank, addEntry, beginBulkLoad, compactBanks, createBankSet, disableEntry as disableInSet, listBanks, matchMedia, parseHashImport,
  type BankAction, type BankMatch, type BankSet, type ImportFormat, type MediaAction,
} from './hashes/index.js';
import { scanImage, type MediaLimits } from './media-scan.js';
import type { SyncVerdict } from './index.js';

export const knownContentMigrations: Migration[] = [
  {
    id: '20261123-0500-safety-known-content',
    sql: `
      CREATE TABLE safety_banks (
        bank_id text PRIMARY KEY,
        name text NOT NULL,
        action text NOT NULL,
        pdq_threshold int NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE safety_bank_entries (
        entry_id text PRIMARY KEY,
        bank_id text NOT NULL,
        pdq bytea,
        md5 bytea,
        sha256 bytea,
        metadata jsonb,
        enabled boolean NOT NULL DEFAULT true,
        import_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX safety_bank_entries_by_bank ON safety_bank_entries (bank_id);
      CREATE TABLE safety_imports (
        import_id text PRIMARY KEY,
        bank_id text NOT NULL,
        imported_by text NOT NULL,
        format text NOT NULL,
        accepted int8 NOT NULL,
        rejected int8 NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- One row per uploaded media item: its hashes and the verdict at upload (hashes are not content, and are
      -- what NCMEC and industry lists exchange).
      CREATE TABLE safety_media (
        media_id text PRIMARY KEY,
        uploader_id text NOT NULL,
        md5 bytea NOT NULL,
        sha256 bytea NOT NULL,
        pdq bytea NOT NULL,
        pdq_quality int NOT NULL,
        action text NOT NULL,
        matches jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- Evidence for matched media: the bytes exactly as uploaded, sealed under the uploader's region key.
      CREATE TABLE safety_evidence (
        media_id text PRIMARY KEY,
        kek_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        blob_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- Detections for review (cases) and legal (NCMEC reports) to consume.
      CREATE TABLE safety_detections (
        detection_id text PRIMARY KEY,
        kind text NOT NULL,
        action text NOT NULL,
        media_id text,
        conversation_id text,
        sender_id text NOT NULL,
        sender_ip text,
        matches jsonb NOT NULL,
        status text NOT NULL DEFAULT 'open',
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

export interface KnownContentDeps {
  db: Db;
  keyring: Keyring;
  blobs: BlobStore;
  limits: MediaLimits;
  /** Appends to the verifiable log (bank changes and imports are logged events). */
  logEvent: (event: Record<string, unknown>) => Promise<unknown>;
}

export interface ScanOutcome {
  mediaId: string;
  width: number;
  height: number;
  mime: string;
  sanitized: Buffer;
  action: MediaAction;
}

const BANK_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function toJsonMatches(matches: BankMatch[]) {
  return matches.map((m) => ({ bankId: m.bankId, entryId: m.entryId, action: m.action, hashType: m.hashType, distance: m.distance, variant: m.variant }));
}

export async function createKnownContent(deps: KnownContentDeps) {
  let set: BankSet = createBankSet();

  async function reload() {
    const next = createBankSet();
    beginBulkLoad(next);
    const banks = await deps.db.query<{ bank_id: string; name: string; action: BankAction; pdq_threshold: number; enabled: boolean }>('SELECT * FROM safety_banks ORDER BY created_at');
    for (const b of banks.rows) addBank(next, { id: b.bank_id, name: b.name, action: b.action, pdqThreshold: b.pdq_threshold, enabled: b.enabled });
    let after = '';
    for (;;) {
      const page = await deps.db.query<{ entry_id: string; bank_id: string; pdq: Uint8Array | null; md5: Uint8Array | null; sha256: Uint8Array | null; enabled: boolean }>(
        'SELECT entry_id, bank_id, pdq, md5, sha256, enabled FROM safety_bank_entries WHERE entry_id > $1 ORDER BY entry_id LIMIT 10000',
        [after],
      );
      for (const e of page.rows) {
        addEntry(next, e.bank_id, { entryId: e.entry_id, pdq: e.pdq ?? undefined, md5: e.md5 ?? undefined, sha256: e.sha256 ?? undefined, enabled: e.enabled });
      }
      if (page.rows.length < 10000) break;
      after = page.rows[page.rows.length - 1].entry_id;
    }
    compactBanks(next);
    set = next;
  }
  await reload();

  return {
    banks: () => listBanks(set),

    async createBank(by: string, input: { bankId: string; name: string; action: BankAction; pdqThreshold?: number }) {
      if (!BANK_ID.test(input.bankId)) throw new DomainError('invalid_bank', 'bank ids are 1-64 characters of a-z 0-9 _ -');
      const threshold = input.pdqThreshold ?? 31;
      // Validate against the in-memory set first (it knows the rules), then persist.
      const info = addBank(set, { id: input.bankId, name: input.name, action: input.action, pdqThreshold: threshold });
      try {
        await deps.logEvent({ type: 'bank.created', bankId: input.bankId, action: input.action, pdqThreshold: threshold, by, at: new Date().toISOString() });
        await deps.db.query('INSERT INTO safety_banks (bank_id, name, action, pdq_threshold, created_by) VALUES ($1, $2, $3, $4, $5)', [input.bankId, input.name, input.action, threshold, by]);
      } catch (err) {
        await reload();
        if ((err as { code?: string }).code === '23505') throw new DomainError('hash_bank_exists', 'a bank with this id exists');
        throw err;
      }
      return info;
    },

    /** Streams a CSV or JSONL hash list into a bank; rejected lines are counted with their line numbers. */
    async importEntries(by: string, bankId: string, input: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> | NodeJS.ReadableStream, format: ImportFormat, onProgress?: (p: { lines: number; accepted: number; rejected: number }) => void) {
      if (!listBanks(set).some((b) => b.id === bankId)) throw new DomainError('hash_bank_not_found', 'no such bank');
      const importId = randomId('imp');
      let accepted = 0;
      const rejected: { line: number; reason: string }[] = [];
      let batch: { entryId: string; pdq: Uint8Array | null; md5: Uint8Array | null; sha256: Uint8Array | null; metadata: unknown }[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const rows = batch;
        batch = [];
        await deps.db.query(
          `INSERT INTO safety_bank_entries (entry_id, bank_id, pdq, md5, sha256, metadata, import_id)
           SELECT e, $1, decode(p, 'hex'), decode(m, 'hex'), decode(s, 'hex'), md::jsonb, $2
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS x(e, p, m, s, md)`,
          [
            bankId, importId, rows.map((r) => r.entryId),
            rows.map((r) => (r.pdq ? Buffer.from(r.pdq).toString('hex') : null)) as string[],
            rows.map((r) => (r.md5 ? Buffer.from(r.md5).toString('hex') : null)) as string[],
            rows.map((r) => (r.sha256 ? Buffer.from(r.sha256).toString('hex') : null)) as string[],
            rows.map((r) => (r.metadata ? JSON.stringify(r.metadata) : null)) as string[],
          ],
        );
        for (const r of rows) addEntry(set, bankId, { entryId: r.entryId, pdq: r.pdq ?? undefined, md5: r.md5 ?? undefined, sha256: r.sha256 ?? undefined });
      };
      for await (const item of parseHashImport(input as AsyncIterable<string | Uint8Array>, format, {
        onProgress: (p) => onProgress?.({ lines: p.lines, accepted: p.accepted, rejected: p.rejected }),
      })) {
        if (item.kind === 'rejected') {
          rejected.push({ line: item.line, reason: item.reason });
          continue;
        }
        batch.push({ entryId: randomId('he'), pdq: item.pdq ?? null, md5: item.md5 ?? null, sha256: item.sha256 ?? null, metadata: item.metadata ?? null });
        accepted++;
        if (batch.length >= 5000) await flush();
      }
      await flush();
      await deps.db.query('INSERT INTO safety_imports (import_id, bank_id, imported_by, format, accepted, rejected) VALUES ($1, $2, $3, $4, $5, $6)', [importId, bankId, by, format, accepted, rejected.length]);
      await deps.logEvent({ type: 'bank.imported', bankId, importId, format, accepted, rejected: rejected.length, by, at: new Date().toISOString() });
      return { importId, accepted, rejected: rejected.length, rejectedLines: rejected.slice(0, 100) };
    },

    async disableEntry(by: string, entryId: string) {
      const r = await deps.db.query('UPDATE safety_bank_entries SET enabled = false WHERE entry_id = $1 RETURNING bank_id', [entryId]);
      if (r.rows.length === 0) throw new DomainError('hash_entry_not_found', 'no such bank entry');
      disableInSet(set, entryId);
      await deps.logEvent({ type: 'bank.entry_disabled', entryId, by, at: new Date().toISOString() });
    },

    /** Scans an upload. The verdict is recorded, never returned to the uploader (who must not learn which lists match). */
    async scanUpload(uploaderId: string, region: string, bytes: Buffer): Promise<ScanOutcome> {
      const scan = await scanImage(bytes, deps.limits);
      const mediaId = randomId('md');
      const result = matchMedia(set, { pdq: { variants: Object.values(scan.pdqVariants), quality: scan.pdqQuality }, md5: scan.md5, sha256: scan.sha256 });
      const pdqAll = Buffer.concat(Object.values(scan.pdqVariants).map((h) => Buffer.from(h)));
      if (result.action !== 'none' && result.action !== 'allow') {
        // Preserve the bytes exactly as uploaded: a report needs the original, not the re-encoded copy.
        const dek = newDataKey();
        const wrapped = wrapDataKey(deps.keyring, region, `evidence:${mediaId}`, 0, dek);
        const blobKey = `evidence/${mediaId}`;
        await deps.blobs.put(blobKey, seal(dek, bytes, aadOf('evidence.v1', mediaId, uploaderId)));
        await deps.db.query('INSERT INTO safety_evidence (media_id, kek_id, wrapped_key, blob_key) VALUES ($1, $2, $3, $4)', [mediaId, wrapped.kekId, wrapped.wrapped, blobKey]);
      }
      await deps.db.query(
        'INSERT INTO safety_media (media_id, uploader_id, md5, sha256, pdq, pdq_quality, action, matches) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [mediaId, uploaderId, scan.md5, scan.sha256, pdqAll, scan.pdqQuality, result.action, JSON.stringify(toJsonMatches(result.matches))],
      );
      return { mediaId, width: scan.width, height: scan.height, mime: scan.sanitizedMime, sanitized: scan.sanitized, action: result.action };
    },

    /** The synchronous verdict for sending a scanned media item; matches open a detection with the evidence. */
    async verdictForMedia(db: Queryable, input: { mediaId: string; conversationId: string; senderId: string; senderIp?: string }): Promise<SyncVerdict> {
      const r = await db.query<{ action: MediaAction; matches: unknown }>('SELECT action, matches FROM safety_media WHERE media_id = $1', [input.mediaId]);
      const row = r.rows[0];
      if (!row || row.action === 'none' || row.action === 'allow') return { action: 'allow' };
      await db.query(
        `INSERT INTO safety_detections (detection_id, kind, action, media_id, conversation_id, sender_id, sender_ip, matches)
         VALUES ($1, 'known_media', $2, $3, $4, $5, $6, $7)`,
        [randomId('dt'), row.action, input.mediaId, input.conversationId, input.senderId, input.senderIp ?? null, JSON.stringify(row.matches)],
      );
      if (row.action === 'quarantine_and_report') return { action: 'quarantine', reasons: ['known_media'] };
      if (row.action === 'block') return { action: 'block', code: 'media_blocked', reasons: ['known_media'] };
      return { action: 'allow_flag', reasons: ['known_media'] };
    },

    async detections(db: Queryable, limit = 100) {
      const r = await db.query('SELECT detection_id, kind, action, media_id, conversation_id, sender_id, status, created_at FROM safety_detections ORDER BY created_at DESC LIMIT $1', [limit]);
      return r.rows;
    },

    reload,
  };
}

export type KnownContent = Awaited<ReturnType<typeof createKnownContent>>;
