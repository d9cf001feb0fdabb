// Media: upload (scanned by safety, then sealed and stored), attachment to messages, and download for those who
// may see a message that carries it.
import { aadOf, newDataKey, open, seal, unwrapDataKey, wrapDataKey } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import { getUser } from '../identity/index.js';
import type { Safety } from '../safety/index.js';
import type { BlobStore } from '../storage/index.js';
import { blockedEitherWay, loadConversation, type MessagingContext } from './context.js';
import { MessagingErrors } from './errors.js';

export interface MediaInfo {
  mediaId: string;
  mime: string;
  width: number;
  height: number;
  byteLength: number;
}

function mediaAad(mediaId: string, uploaderId: string) {
  return aadOf('media.v1', mediaId, uploaderId);
}

export async function uploadMedia(ctx: MessagingContext, safety: Safety, blobs: BlobStore, uploaderId: string, bytes: Buffer): Promise<MediaInfo> {
  const user = await getUser(ctx.db, uploaderId);
  const scan = await safety.knownContent.scanUpload(uploaderId, user.region, bytes);
  const dek = newDataKey();
  const wrapped = wrapDataKey(ctx.keyring, user.region, `media:${scan.mediaId}`, 0, dek);
  const blobKey = `media/${scan.mediaId}`;
  await blobs.put(blobKey, seal(dek, scan.sanitized, mediaAad(scan.mediaId, uploaderId)));
  dek.fill(0);
  await ctx.db.query(
    `INSERT INTO msg_media (media_id, uploader_id, kek_id, wrapped_key, blob_key, mime, width, height, byte_length)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [scan.mediaId, uploaderId, wrapped.kekId, wrapped.wrapped, blobKey, scan.mime, scan.width, scan.height, scan.sanitized.length],
  );
  return { mediaId: scan.mediaId, mime: scan.mime, width: scan.width, height: scan.height, byteLength: scan.sanitized.length };
}

export async function mediaForSend(ctx: MessagingContext, mediaId: string, senderId: string): Promise<MediaInfo> {
  const r = await ctx.db.query<{ uploader_id: string; mime: string; width: number; height: number; byte_length: number }>(
    'SELECT uploader_id, mime, width, height, byte_length FROM msg_media WHERE media_id = $1',
    [mediaId],
  );
  const row = r.rows[0];
  // Only the uploader attaches their upload; anyone else gets the same answer as for an unknown id.
  if (!row || row.uploader_id !== senderId) throw new DomainError(MessagingErrors.mediaNotFound, 'media not found');
  return { mediaId, mime: row.mime, width: row.width, height: row.height, byteLength: row.byte_length };
}

export async function linkMedia(ctx: MessagingContext, messageId: string, mediaId: string, conversationId: string) {
  await ctx.db.query('INSERT INTO msg_message_media (message_id, media_id, conversation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [messageId, mediaId, conversationId]);
}

export async function downloadMedia(ctx: MessagingContext, blobs: BlobStore, mediaId: string, userId: string): Promise<{ mime: string; bytes: Buffer }> {
  const r = await ctx.db.query<{ uploader_id: string; kek_id: string; wrapped_key: Uint8Array; blob_key: string; mime: string }>(
    'SELECT uploader_id, kek_id, wrapped_key, blob_key, mime FROM msg_media WHERE media_id = $1',
    [mediaId],
  );
  const row = r.rows[0];
  const notFound = () => new DomainError(MessagingErrors.mediaNotFound, 'media not found');
  if (!row) throw notFound();
  if (row.uploader_id !== userId) {
    const links = await ctx.db.query<{ conversation_id: string; seq: number; sender_id: string }>(
      `SELECT m.conversation_id, m.seq, m.sender_id FROM msg_message_media l
       JOIN msg_messages m ON m.message_id = l.message_id
       WHERE l.media_id = $1 AND m.state = 'visible' AND m.unsent_at IS NULL`,
      [mediaId],
    );
    const blocked = await blockedEitherWay(ctx, userId);
    let allowed = false;
    for (const link of links.rows) {
      const conv = await loadConversation(ctx, link.conversation_id);
      const me = conv?.members.get(userId);
      if (me && (me.state === 'active' || me.state === 'pending') && link.seq > me.joinedSeq && !blocked.has(link.sender_id)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) throw notFound();
  }
  const sealed = await blobs.get(row.blob_key);
  const dek = unwrapDataKey(ctx.keyring, `media:${mediaId}`, 0, { kekId: row.kek_id, wrapped: Buffer.from(row.wrapped_key) });
  if (!sealed || !dek) throw new DomainError(MessagingErrors.mediaUnavailable, 'this media is no longer available');
  return { mime: row.mime, bytes: open(dek, sealed, mediaAad(mediaId, row.uploader_id)) };
}
