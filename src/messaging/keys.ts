// Per-conversation data keys by epoch. The unwrapped keys are cached in memory (they are needed on every send and
// push); the database holds them only wrapped by the region key. A missing region key (another region's server,
// or a shredded key) yields null: the content is unreadable here by design.
import { newDataKey, unwrapDataKey, wrapDataKey, type Keyring } from '../crypto/index.js';
import type { Db } from '../storage/index.js';
import { createSingleFlight } from './single-flight.js';

export interface KeyCache {
  epochAt(at: Date): number;
  /** The key for writing in this epoch, created if it does not exist yet. */
  writeKey(conversationId: string, region: string, epoch: number): Promise<Buffer>;
  /** The key for reading, or null when it cannot be unwrapped here. */
  readKey(conversationId: string, epoch: number): Promise<Buffer | null>;
  /** The key if it is already in memory, without a promise: the send path asks this first, for every message. */
  cachedKey(conversationId: string, epoch: number): Buffer | undefined;
}

export function createKeyCache(db: Db, keyring: Keyring, epochMs: number): KeyCache {
  // conversation → epoch → key; two levels so that a lookup builds no string.
  const cache = new Map<string, Map<number, Buffer>>();
  const remember = (conversationId: string, epoch: number, key: Buffer) => {
    let byEpoch = cache.get(conversationId);
    if (!byEpoch) cache.set(conversationId, (byEpoch = new Map()));
    byEpoch.set(epoch, key);
  };
  const cachedKey = (conversationId: string, epoch: number) => cache.get(conversationId)?.get(epoch);
  const loading = createSingleFlight<Buffer | null>();
  const creating = createSingleFlight<Buffer>();

  const load = async (conversationId: string, epoch: number): Promise<Buffer | null> => {
    const r = await db.query<{ kek_id: string; wrapped: Uint8Array }>(
      'SELECT kek_id, wrapped FROM msg_conversation_keys WHERE conversation_id = $1 AND epoch = $2',
      [conversationId, epoch],
    );
    if (r.rows.length === 0) return null;
    const row = r.rows[0];
    return unwrapDataKey(keyring, conversationId, epoch, { kekId: row.kek_id, wrapped: Buffer.from(row.wrapped) });
  };

  const readKey = async (conversationId: string, epoch: number) => {
    const hit = cachedKey(conversationId, epoch);
    if (hit) return hit;
    const key = await loading(`${conversationId}:${epoch}`, () => load(conversationId, epoch));
    if (key) remember(conversationId, epoch, key);
    return key;
  };

  return {
    epochAt: (at) => Math.floor(at.getTime() / epochMs),
    readKey,
    cachedKey,
    async writeKey(conversationId, region, epoch) {
      const existing = await readKey(conversationId, epoch);
      if (existing) return existing;
      return creating(`${conversationId}:${epoch}`, () => create(conversationId, region, epoch));
    },
  };

  async function create(conversationId: string, region: string, epoch: number): Promise<Buffer> {
    const dek = newDataKey();
    const w = wrapDataKey(keyring, region, conversationId, epoch, dek);
    // Two writers may race to create the epoch key; the first insert wins and both use the stored key.
    await db.query(
      `INSERT INTO msg_conversation_keys (conversation_id, epoch, kek_id, wrapped) VALUES ($1, $2, $3, $4)
       ON CONFLICT (conversation_id, epoch) DO NOTHING`,
      [conversationId, epoch, w.kekId, w.wrapped],
    );
    // Read the stored row afresh (not through a lookup that may have started before the insert was visible).
    const key = await load(conversationId, epoch);
    if (key) remember(conversationId, epoch, key);
    if (!key) throw new Error('data key could not be unwrapped after creation');
    dek.fill(0);
    return key;
  }
}
