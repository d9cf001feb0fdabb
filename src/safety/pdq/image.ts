/**
 * safety/pdq from encoded images: decode with sharp, then hash the full-resolution pixels (no pre-resize,
 * unlike the reference CLI's 512x512 shortcut, so hashes match the reference core on the same pixels).
 */
import { decodeForPdq } from './decode.js';
import { pdqDihedralFromRgb, pdqFromRgb, type PdqDihedral, type PdqHash } from './hash.js';

export async function pdqFromImage(input: Buffer | string): Promise<PdqHash> {
  const { rgb, width, height } = await decodeForPdq(input);
  return pdqFromRgb(rgb, width, height);
}

export async function pdqDihedralFromImage(input: Buffer | string): Promise<PdqDihedral> {
  const { rgb, width, height } = await decodeForPdq(input);
  return pdqDihedralFromRgb(rgb, width, height);
}
