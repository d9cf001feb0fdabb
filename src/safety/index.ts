/**
 * safety: the scanning pipeline. The synchronous stage runs inside a send within a budget and returns a verdict
 * (allow, allow_flag, hold, block, quarantine); the asynchronous stage consumes message events after the ack.
 * Sub-folders: pdq/ (perceptual hash), hashes/ (banks and index), text/ (normalise, rules, model), risk/
 * (conversation scoring).
 * Owns: safety_* tables. Exposes: checkSync, safetyMigrations.
 * May import: storage, crypto, config, events.
 * Never: log or persist plaintext; import messaging (verdicts flow back as return values and events).
 */
import type { Keyring } from '../crypto/index.js';
import type { BlobStore, Db, Migration } from '../storage/index.js';
import { createKnownContent, knownContentMigrations, type KnownContent } from './known-content.js';

export type { KnownContent, ScanOutcome } from './known-content.js';
import { createAsyncStage, type AsyncMessageEvent, type ParticipantFacts } from './async-stage.js';
export type { AsyncMessageEvent, ParticipantFacts } from './async-stage.js';

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
  mediaId?: string;
  senderIp?: string;
}

export const safetyMigrations: Migration[] = [...knownContentMigrations];

const ALLOW: SyncVerdict = Object.freeze({ action: 'allow' });

export interface Safety {
  knownContent: KnownContent;
  /** Queues an acknowledged message for the asynchronous stage (conversation risk); returns at once. */
  afterCommit(event: AsyncMessageEvent): void;
  /** Messages acknowledged but not yet scored by the asynchronous stage. */
  backlog(): number;
  idle(): Promise<void>;
  close(): Promise<void>;
  /**
   * The synchronous stage, within the send. Media carries the verdict computed at upload (known-content
   * matching); text risk rules (contact moving, secrecy, …) feed the asynchronous conversation scoring instead,
   * so they never delay or block a send on their own. The answer is synchronous for text-only input (nothing to
   * look up) and a promise when there is media to match.
   */
  checkSync(input: SyncCheckInput): SyncVerdict | Promise<SyncVerdict>;
}

export async function createSafety(deps: {
  db: Db;
  keyring: Keyring;
  blobs: BlobStore;
  limits: { maxBytes: number; maxPixels: number };
  logEvent: (event: Record<string, unknown>) => Promise<unknown>;
  describeParticipants: (conversationId: string) => Promise<ParticipantFacts>;
  onError: (err: unknown) => void;
  /** Score in a worker thread (the server does); inline otherwise. */
  useWorker?: boolean;
  /** Told how many messages went unscored because the backlog was full. */
  onSkipped?: (count: number) => void;
  asyncStage?: { maxBacklog: number; workerNice: number };
}): Promise<Safety> {
  const knownContent = await createKnownContent(deps);
  const asyncStage = createAsyncStage({
    db: deps.db,
    describeParticipants: deps.describeParticipants,
    onError: deps.onError,
    onSkipped: deps.onSkipped,
    useWorker: deps.useWorker,
    maxBacklog: deps.asyncStage?.maxBacklog,
    workerNice: deps.asyncStage?.workerNice,
  });
  return {
    knownContent,
    afterCommit: (event) => asyncStage.submit(event),
    backlog: () => asyncStage.backlog(),
    idle: () => asyncStage.idle(),
    close: () => asyncStage.close(),
    checkSync(input) {
      if (input.mediaId) {
        return knownContent.verdictForMedia(deps.db, { mediaId: input.mediaId, conversationId: input.conversationId, senderId: input.senderId, senderIp: input.senderIp });
      }
      return ALLOW;
    },
  };
}
