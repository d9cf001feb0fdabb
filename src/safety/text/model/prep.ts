/**
 * Text preparation for the model: the exact string the feature extractor sees.
 *
 * First the shared normaliser (`src/safety/text/normalize.ts`: NFKC, confusables, zero-width removal,
 * spaced-letter joining, leet folding, lowercase) so that obfuscated slurs reach the same buckets as
 * plain ones. Then URLs and @mentions become placeholder words, because Davidson tweets are full of
 * handles that the model would otherwise learn as vocabulary, and DMs are not. Apostrophes are dropped
 * so "don't" and "dont" share features.
 *
 * The normaliser's behaviour is fingerprinted (NORMALIZER_ID) and recorded in the model file; a model
 * trained with one normaliser and run with another silently loses accuracy, so `loadTextModel` warns
 * on a mismatch and the model tests fail until `npm run train` is rerun.
 */

import { fnv1a32 } from './hash.js';
import { normalizeText } from '../normalize.js';

// Probe strings covering what the normaliser does (case, NFKC, confusables, invisibles, spacing,
// leetspeak, repeats, emoji). Their outputs, hashed, identify the normaliser's behaviour.
const PROBES = [
  'Hello World', 'ﬁnе ｗｏｒｄｓ', 'zero\u200bwidth', 'I h a t e you', 'b1tch h8 sn@p', 'heyyyyy!!!',
  "don’t", 'Ünïcödé café', '😂 ok', 'RT @user: http://t.co/x', 'f*ck n1gg@', 'W o m e n have no place',
];

function fingerprint(): string {
  let h = 0x811c9dc5;
  for (const p of PROBES) h = (Math.imul(h ^ fnv1a32(normalizeText(p).text), 0x01000193) >>> 0);
  return h.toString(16).padStart(8, '0');
}

/** Identifies the normaliser and its behaviour on fixed probes; stored in the model file. */
export const NORMALIZER_ID = `safety/text/normalize#${fingerprint()}`;

const URL_RE = /\b(?:https?:\/\/|www\.)\S+/g;
const MENTION_RE = /@[a-z0-9_]+/g;
const NON_ASCII_RE = /[^\x00-\x7f]/;
const APOSTROPHE_RE = /['\u2018\u2019\u02bc`]/g;

/** Normalises raw text the way the model was trained. */
export function normalizeForModel(input: string): string {
  return normalizeText(input).text;
}

/**
 * Second half of preparation, for text that is already normalised (e.g. by a caller that ran
 * normalizeText for its rules): placeholders for URLs and mentions, apostrophes dropped.
 */
export function prepareNormalized(s: string): string {
  // Substring checks skip regex work for the common message with no URL, mention or apostrophe.
  if (s.includes('http') || s.includes('www.')) s = s.replace(URL_RE, ' xxurl ');
  if (s.includes('@')) s = s.replace(MENTION_RE, ' xxuser ');
  return s.includes("'") || NON_ASCII_RE.test(s) ? s.replace(APOSTROPHE_RE, '') : s;
}

/** Returns the text that features are extracted from. */
export function prepareText(input: string): string {
  return prepareNormalized(normalizeForModel(input));
}
