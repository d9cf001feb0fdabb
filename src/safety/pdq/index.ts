/**
 * safety/pdq: PDQ, Meta's open 256-bit perceptual image hash, bit-exact with the reference C++ core.
 * Owns: decoding images for hashing (sharp), luminance, tent-filter downsampling, DCT, median bits,
 *   the 8 dihedral variants, hex form, Hamming distance, and the `custodian pdq` command body.
 * Exposes: pdqFromRgb, pdqDihedralFromRgb, pdqFromLuma, pdqDihedralFromLuma, decodeForPdq, pdqFromImage,
 *   pdqDihedralFromImage, pdqToHex, pdqFromHex, pdqDistance, runPdqCommand, PDQ_VARIANTS, PDQ_MIN_DIM,
 *   PDQ_MAX_PIXELS, types PdqHash, PdqDihedral, PdqVariant.
 * May import: errors, sharp, node:fs. Nothing above it (no storage, no http).
 * Never: persist or log image bytes or pixels; put user content (paths, pixels) in an error message.
 */
export {
  PDQ_MAX_PIXELS,
  PDQ_MIN_DIM,
  PDQ_VARIANTS,
  pdqDihedralFromLuma,
  pdqDihedralFromRgb,
  pdqFromLuma,
  pdqFromRgb,
  type PdqDihedral,
  type PdqHash,
  type PdqVariant,
} from './hash.js';
export { decodeForPdq, type DecodedRgb } from './decode.js';
export { pdqDihedralFromImage, pdqFromImage } from './image.js';
export { pdqDistance, pdqFromHex, pdqToHex } from './hex.js';
export { runPdqCommand } from './cli.js';
