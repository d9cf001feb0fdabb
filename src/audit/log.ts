/**
 * audit/log: the sequencer. `appendEntries` queues entries; a batch loop gives them indexes, extends the tree,
 * and commits entries + new subtree hashes + a freshly signed checkpoint in one transaction before any caller's
 * promise resolves. So "appended" always means durable and covered by a signed tree head: access code can put
 * the append before decryption and fail the read if it rejects.
 */
import type { Db } from '../storage/index.js';
import { signCheckpoint } from './checkpoint.js';
import { encodeEntry, type JsonValue } from './entry.js';
import { AuditErrorCode, auditError } from './errors.js';
import { hashLeaf } from './hash.js';
import { parseSignerKey, type NoteSigner } from './note.js';
import { SEQUENCER_LOCK_ID, dbHashReader, insertBatch, isUtf8Database, latestCheckpointRow } from './store.js';
import { appendLeafHashes, emptyFrontier, frontierFrom, frontierRoot, type Frontier } from './tree.js';

export interface AuditLogOptions {
  db: Db;
  /** Checkpoint origin line, e.g. `custodian.example/log` (the log URL without scheme). */
  origin: string;
  /** Signed-note signer key (`PRIVATE+KEY+<name>+<id>+<seed>`); its name SHOULD equal the origin. */
  signerKey: string;
  /** Largest batch per transaction. */
  maxBatch?: number;
  /** How long a lone append waits for company before its batch is committed. */
  maxDelayMs?: number;
}

interface Pending {
  bytes: Buffer;
  resolve: (index: number) => void;
  reject: (err: unknown) => void;
}

/** Stale in-memory head: another process appended. Reload and retry. */
const STALE = Symbol('stale');

export class AuditLog {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly db: Db,
    private readonly origin: string,
    private readonly signer: NoteSigner,
    private frontier: Frontier,
    private readonly maxBatch: number,
    private readonly maxDelayMs: number,
    private readonly utf8Text: boolean,
  ) {}

  /** Opens the log, creating the signed size-0 checkpoint on first use. */
  static async open(opts: AuditLogOptions): Promise<AuditLog> {
    const signer = parseSignerKey(opts.signerKey);
    const origin = opts.origin;
    if (origin.length === 0 || origin.includes('\n')) throw new RangeError('origin must be one non-empty line');
    await opts.db.tx(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SEQUENCER_LOCK_ID]);
      if (await latestCheckpointRow(tx)) return;
      const root = frontierRoot(emptyFrontier());
      const note = signCheckpoint({ origin, size: 0, rootHash: root }, [signer]);
      await insertBatch(tx, { startIndex: 0, entries: [], nodes: [], checkpoint: { size: 0, root, note } });
    });
    const frontier = await loadFrontier(opts.db);
    const utf8Text = await isUtf8Database(opts.db);
    return new AuditLog(opts.db, origin, signer, frontier, opts.maxBatch ?? 1024, opts.maxDelayMs ?? 2, utf8Text);
  }

  /** Committed tree size as this process knows it. */
  get size(): number {
    return this.frontier.size;
  }

  /** Appends one event; resolves with its index once it is durable under a signed checkpoint. */
  appendEntry(event: JsonValue): Promise<number> {
    return this.appendEntries([event]).then((ix) => ix[0]);
  }

  /**
   * Appends events (in order, contiguous only if no one else appends concurrently); resolves with their
   * indexes once durable. Rejects with `invalid_audit_entry` before queuing anything if any event is invalid.
   */
  appendEntries(events: readonly JsonValue[]): Promise<number[]> {
    if (this.closed) return Promise.reject(auditError(AuditErrorCode.logClosed, 'audit log is closed'));
    let encoded: Buffer[];
    try {
      encoded = events.map((e) => encodeEntry(e));
    } catch (err) {
      return Promise.reject(err);
    }
    const promises = encoded.map(
      (bytes) => new Promise<number>((resolve, reject) => this.pending.push({ bytes, resolve, reject })),
    );
    this.schedule();
    return Promise.all(promises);
  }

  /** Commits what is queued, then refuses further appends. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.start();
    while (this.running) await this.running;
  }

  private schedule(): void {
    if (this.running) return; // the drain loop picks new work up when its batch commits
    if (this.pending.length >= this.maxBatch) this.start();
    else this.timer ??= setTimeout(() => this.start(), this.maxDelayMs);
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.pending.length > 0) this.start();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const start = await this.commit(batch.map((p) => p.bytes));
        batch.forEach((p, i) => p.resolve(start + i));
      } catch (err) {
        batch.forEach((p) => p.reject(err));
      }
    }
  }

  /** Commits one batch; returns the index of its first entry. Updates in-memory state only after commit. */
  private async commit(entries: Buffer[]): Promise<number> {
    const leafHashes = entries.map((e) => hashLeaf(e));
    for (let attempt = 0; ; attempt++) {
      const base = this.frontier;
      const { frontier, created } = appendLeafHashes(base, leafHashes);
      const root = frontierRoot(frontier);
      const note = signCheckpoint({ origin: this.origin, size: frontier.size, rootHash: root }, [this.signer]);
      const outcome = await this.db.tx(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [SEQUENCER_LOCK_ID]);
        const head = await latestCheckpointRow(tx);
        if (!head || head.size !== base.size) return STALE;
        await insertBatch(
          tx,
          { startIndex: base.size, entries, nodes: created, checkpoint: { size: frontier.size, root, note } },
          { utf8Text: this.utf8Text },
        );
        return base.size;
      });
      if (outcome !== STALE) {
        this.frontier = frontier;
        return outcome;
      }
      if (attempt >= 3) throw new Error('audit log head kept moving; giving up on this batch');
      this.frontier = await loadFrontier(this.db);
    }
  }
}

export function openAuditLog(opts: AuditLogOptions): Promise<AuditLog> {
  return AuditLog.open(opts);
}

/** Rebuilds the in-memory right edge from the latest checkpoint, refusing a store whose hashes disagree with it. */
async function loadFrontier(db: Db): Promise<Frontier> {
  const head = await latestCheckpointRow(db);
  if (!head) throw new Error('audit log has no checkpoint');
  const frontier = await frontierFrom(dbHashReader(db), head.size);
  if (!frontierRoot(frontier).equals(head.root)) throw new Error('audit store hashes do not match the latest checkpoint');
  return frontier;
}
