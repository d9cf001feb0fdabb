/**
 * safety: the scanning pipeline. The synchronous stage runs inside a send within a budget and returns a verdict
 * (allow, allow_flag, hold, block, quarantine); the asynchronous stage consumes message events after the ack.
 * Sub-folders: pdq/ (perceptual hash), hashes/ (banks and index), text/ (normalise, rules, model), risk/
 * (conversation scoring).
 * Owns: safety_* tables. Exposes: checkSync, safetyMigrations.
 * May import: storage, crypto, config, events.
 * Never: log or persist plaintext; import messaging (verdicts flow back as return values and events).
 */
import type { Migration } from '../storage/index.js';

export type SyncVerdict =
  | { action: 'allow' }
  | { action: 'allow_flag'; reasons: string[] }
  | { action: 'hold'; reasons: string[] }
  | { action: 'block'; code: string; reasons: string[] }
  | { action: 'quarantine'; reasons: string[] };

export interface SyncCheckInput {
  conversationId: string;
  senderId: string;
  content: { text?: string; pointer?: { kind: 'video'; id: string } };
}

/**
 * The synchronous stage. Text rules here are the blocking kind only; rule packs that describe risk (contact
 * moving, secrecy, …) feed the asynchronous conversation scoring instead, so they never delay a send.
 * Until the known-content and text-safety issues land their stages, every message is allowed.
 */
export async function checkSync(_input: SyncCheckInput): Promise<SyncVerdict> {
  return { action: 'allow' };
}

export const safetyMigrations: Migration[] = [];
