// Sealing and opening message content. A body is the JSON {t?: text, p?: pointer} sealed with the conversation's
// epoch key; the AAD binds conversation, message and sender, so a ciphertext copied to another row (or a message
// re-attributed to another sender) does not decrypt. Reactions and group titles are sealed the same way.
import { aadOf, DecryptError, open, seal } from '../crypto/index.js';
import type { MessagingContext } from './context.js';

export interface Pointer {
  kind: 'video';
  id: string;
}

export interface MediaRef {
  id: string;
  mime: string;
  width: number;
  height: number;
}

export interface MessageContent {
  text?: string;
  pointer?: Pointer;
  media?: MediaRef;
}

/**
 * The sender's node already holds a message's content when it publishes the message's event; it attaches it under
 * this symbol so that its own subscribers render without decrypting again. Symbol-keyed properties are invisible
 * to JSON.stringify, so the attachment never reaches the outbox, a log or another process: anything that crosses
 * a process boundary carries ciphertext only and is opened by the reader.
 */
export const LOCAL_CONTENT: unique symbol = Symbol('messaging.localContent');

export function messageAad(conversationId: string, messageId: string, senderId: string) {
  return aadOf('msg.v1', conversationId, messageId, senderId);
}

/** Seals a message body with its conversation's epoch key (the caller has the key: KeyCache.cachedKey or writeKey). */
export function sealMessage(key: Buffer, m: { conversationId: string; messageId: string; senderId: string; content: MessageContent }): Buffer {
  const body: { t?: string; p?: Pointer; m?: MediaRef } = {};
  if (m.content.text !== undefined) body.t = m.content.text;
  if (m.content.pointer !== undefined) body.p = m.content.pointer;
  if (m.content.media !== undefined) body.m = m.content.media;
  return seal(key, Buffer.from(JSON.stringify(body), 'utf8'), messageAad(m.conversationId, m.messageId, m.senderId));
}

/** Opens a body; null when its key is gone (shredded, or another region's) or the ciphertext fails to verify. */
export async function openMessage(
  ctx: MessagingContext,
  m: { conversationId: string; messageId: string; senderId: string; epoch: number; bodyCt: Uint8Array },
): Promise<MessageContent | null> {
  const key = await ctx.keys.readKey(m.conversationId, m.epoch);
  if (!key) return null;
  try {
    const body = JSON.parse(open(key, m.bodyCt, messageAad(m.conversationId, m.messageId, m.senderId)).toString('utf8')) as {
      t?: string;
      p?: Pointer;
      m?: MediaRef;
    };
    const out: MessageContent = {};
    if (body.t !== undefined) out.text = body.t;
    if (body.p !== undefined) out.pointer = body.p;
    if (body.m !== undefined) out.media = body.m;
    return out;
  } catch (err) {
    if (err instanceof DecryptError) {
      // Integrity failure: logged by id only, never with the bytes.
      ctx.log.error({ conversationId: m.conversationId, messageId: m.messageId }, 'message failed to decrypt');
      return null;
    }
    throw err;
  }
}

export function reactionAad(conversationId: string, messageId: string, userId: string) {
  return aadOf('reaction.v1', conversationId, messageId, userId);
}

export async function sealSmall(ctx: MessagingContext, conversationId: string, region: string, epoch: number, value: string, aad: Buffer) {
  const key = await ctx.keys.writeKey(conversationId, region, epoch);
  return seal(key, Buffer.from(value, 'utf8'), aad);
}

export async function openSmall(ctx: MessagingContext, conversationId: string, epoch: number, ct: Uint8Array, aad: Buffer) {
  const key = await ctx.keys.readKey(conversationId, epoch);
  if (!key) return null;
  try {
    return open(key, ct, aad).toString('utf8');
  } catch (err) {
    if (err instanceof DecryptError) return null;
    throw err;
  }
}
