// DM permission rules: pure functions over the two users, their relationship and the configured DmRules.
// Kept pure so the rule table can be tested exhaustively and so the same decision is made at conversation
// creation and at every send.
import type { DmPolicy, DmRules } from '../config/index.js';
import type { AgeBand } from '../identity/index.js';
import { MessagingErrors } from './errors.js';

const rank: Record<DmPolicy, number> = { none: 0, mutual: 1, everyone: 2 };

/** The inbound policy in force: the user's choice, clamped to what their age band allows. */
export function effectiveInboundPolicy(band: AgeBand, chosen: DmPolicy | null, rules: DmRules): DmPolicy {
  if (band === 'under13') return 'none';
  const limits = rules.bands[band];
  const wanted = chosen ?? limits.defaultInbound;
  return rank[wanted] <= rank[limits.maxInbound] ? wanted : limits.maxInbound;
}

export function isAllowedChoice(band: AgeBand, chosen: DmPolicy, rules: DmRules): boolean {
  if (band === 'under13') return false;
  return rank[chosen] <= rank[rules.bands[band].maxInbound];
}

export interface DmContext {
  senderBand: AgeBand;
  recipientBand: AgeBand;
  recipientPolicy: DmPolicy;
  isMutual: boolean;
  recipientFollowsSender: boolean;
  isBlockedEitherWay: boolean;
}

export type DmDecision =
  | { allowed: true; asRequest: boolean }
  | { allowed: false; code: (typeof MessagingErrors)['dmNotAllowed' | 'recipientUnavailable'] };

/**
 * May `sender` open a conversation with `recipient`, and does it land as a message request?
 * A block in either direction makes the other unavailable (without saying which side blocked). An adult may
 * reach a minor only when mutual. Otherwise the recipient's policy decides; a permitted sender whom the
 * recipient does not follow lands in message requests.
 */
export function decideDirectMessage(ctx: DmContext, rules: DmRules): DmDecision {
  if (ctx.isBlockedEitherWay) return { allowed: false, code: MessagingErrors.recipientUnavailable };
  if (ctx.recipientPolicy === 'none') return { allowed: false, code: MessagingErrors.dmNotAllowed };
  const recipientIsMinor = ctx.recipientBand !== 'adult';
  if (rules.adultToMinorRequiresMutual && ctx.senderBand === 'adult' && recipientIsMinor && !ctx.isMutual) {
    return { allowed: false, code: MessagingErrors.dmNotAllowed };
  }
  if (ctx.recipientPolicy === 'mutual' && !ctx.isMutual) return { allowed: false, code: MessagingErrors.dmNotAllowed };
  return { allowed: true, asRequest: !(ctx.isMutual || ctx.recipientFollowsSender) };
}
