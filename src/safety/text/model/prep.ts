/**
 * Text preparation for the model: the exact string the feature extractor sees.
 *
 * First the shared normaliser (`src/safety/text/normalize.ts`: NFKC, confusables, zero-width removal,
 * spaced-letter joining, leet folding, lowercase) so that obfuscated slurs reach the same buckets as
 * plain ones; if that file is absent we fall back to NFKC + lowercase. Then URLs and @mentions become
 * placeholder words, because Davidson tweets are full of handles that the model would otherwise learn
 * as vocabulary, and DMs are not. Apostrophes are dropped so "don't" and "dont" share features.
 *
 * The normaliser in use is recorded in the model file (`normalizer`); a model trained with one
 * normaliser and run with another silently loses accuracy, so `loadTextModel` warns on a mismatch.
 */

type NormalizeFn = (input: string) => { text: string; offsets: number[] };

// A variable specifier keeps this module loadable (and type-checkable) if normalize.ts goes away.
const NORMALIZE_SPECIFIER = '../normalize.js';
let sharedNormalize: NormalizeFn | null = null;
try {
  const mod = (await import(NORMALIZE_SPECIFIER)) as { normalizeText?: NormalizeFn };
  if (typeof mod.normalizeText === 'function') sharedNormalize = mod.normalizeText;
} catch {
  sharedNormalize = null;
}

/** Identifies the normaliser used, stored in the model file so a mismatch can be detected. */
export const NORMALIZER_ID: string = sharedNormalize ? 'safety/text/normalize' : 'fallback-nfkc-lower';

const URL_RE = /\b(?:https?:\/\/|www\.)\S+/g;
const MENTION_RE = /@[a-z0-9_]+/g;
const NON_ASCII_RE = /[^\x00-\x7f]/;
const APOSTROPHE_RE = /['\u2018\u2019\u02bc`]/g;

/** Normalises raw text the way the model was trained (shared normaliser, or NFKC + lowercase). */
export function normalizeForModel(input: string): string {
  if (sharedNormalize) return sharedNormalize(input).text;
  return (NON_ASCII_RE.test(input) ? input.normalize('NFKC') : input).toLowerCase();
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
