/**
 * safety/hashes: known-content matching against hash banks (PDQ perceptual, MD5 and SHA-256 exact).
 */
export { PdqIndex, bruteForcePdq, isValidPdqThreshold, PDQ_BYTES, PDQ_DEFAULT_THRESHOLD, PDQ_MAX_THRESHOLD } from './pdq-index.js';
export type { PdqMatch, PdqIndexOptions } from './pdq-index.js';
