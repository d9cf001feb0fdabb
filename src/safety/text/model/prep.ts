/**
 * Text preparation for the model: the exact string the feature extractor sees.
 *
 * Order matters. URLs and @mentions are replaced first, on the raw text, because the shared normaliser
 * folds leetspeak (`@` → `a`) and would otherwise turn `@user` handles into words the model learns as
 * vocabulary (Davidson tweets are full of them, DMs are not). Then the shared normaliser
 * (`src/safety/text/normalize.ts`: NFKC, confusables, zero-width removal, leet folding) runs so that
 * obfuscated slurs reach the same buckets as plain ones; if that file is absent we fall back to
 * NFKC + lowercase. Apostrophes are dropped so "don't" and "dont" share features.
 *
 * The normaliser in use is recorded in the model file (`normalizer`); a model trained with one
 * normaliser and run with another silently loses accuracy, so `loadTextModel` warns on a mismatch.
 */

type NormalizeFn = (input: string) => { text: string; offsets: number[] };

// A variable specifier keeps this module loadable (and type-checkable) before normalize.ts exists.
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

const URL_RE = /\b(?:https?:\/\/|www\.)\S+/gi;
const MENTION_RE = /@[A-Za-z0-9_]+/g;
const APOSTROPHE_RE = /['\u2018\u2019\u02bc`]/g;

/** Returns the lowercased, normalised text that features are extracted from. */
export function prepareText(input: string): string {
  let s = input.replace(URL_RE, ' xxurl ').replace(MENTION_RE, ' xxuser ');
  s = sharedNormalize ? sharedNormalize(s).text : s.normalize('NFKC');
  return s.toLowerCase().replace(APOSTROPHE_RE, '');
}
