/**
 * safety/text packs: the built-in rule packs, assembled into one versioned rule set.
 * Each pack is data (packs/<name>.ts); bump BUILTIN_VERSION whenever a rule changes, so a moderator's view of
 * a past hit names the rule set that produced it.
 */
import type { Rule, RuleSet } from '../rules.js';
import { agePack } from './age.js';
import { contactPack } from './contact.js';
import { contextPack } from './context.js';
import { giftsPack } from './gifts.js';
import { meetingPack } from './meeting.js';
import { photosPack } from './photos.js';
import { secrecyPack } from './secrecy.js';
import { sextortionPack } from './sextortion.js';
import { trustPack } from './trust.js';

export const BUILTIN_VERSION = 'builtin-2026.11.23-1';

export const builtinPacks: Record<string, Rule[]> = {
  contact: contactPack,
  photos: photosPack,
  secrecy: secrecyPack,
  age: agePack,
  meeting: meetingPack,
  gifts: giftsPack,
  sextortion: sextortionPack,
  trust: trustPack,
  context: contextPack,
};

export function builtinRuleSet(): RuleSet {
  return { version: BUILTIN_VERSION, rules: Object.values(builtinPacks).flat() };
}
