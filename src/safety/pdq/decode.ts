/**
 * safety/pdq decoding: image bytes or a file path to packed 8-bit sRGB, the way the PDQ fixtures were
 * made (embedded ICC profiles and EXIF orientation ignored, alpha dropped rather than composited).
 * Every failure is a DomainError with a stable code; sharp's messages can echo paths, so they never leak.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DomainError, isDomainError } from '../../errors.js';
import { PDQ_MAX_PIXELS } from './hash.js';

export type DecodedRgb = { rgb: Uint8Array; width: number; height: number };

async function bytesOf(input: Buffer | string): Promise<Buffer> {
  if (typeof input === 'string') {
    try {
      return await readFile(input);
    } catch {
      throw new DomainError('file_unreadable', 'the image file could not be read');
    }
  }
  if (!Buffer.isBuffer(input)) throw new DomainError('invalid_image', 'input must be a Buffer or a path');
  return input;
}

export async function decodeForPdq(input: Buffer | string): Promise<DecodedRgb> {
  const bytes = await bytesOf(input);
  if (bytes.length === 0) throw new DomainError('invalid_image', 'empty input');
  try {
    // No .rotate(): the reference hashes the stored pixel grid, whatever EXIF orientation says.
    const { data, info } = await sharp(bytes, { ignoreIcc: true, limitInputPixels: PDQ_MAX_PIXELS })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new DomainError('invalid_image', 'decoder did not return 3-channel 8-bit pixels');
    }
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (err) {
    if (isDomainError(err)) throw err;
    const message = err instanceof Error ? err.message : '';
    if (/pixel limit/i.test(message)) {
      throw new DomainError('image_too_large', `PDQ accepts at most ${PDQ_MAX_PIXELS} pixels`);
    }
    throw new DomainError('invalid_image', 'the input could not be decoded as an image');
  }
}
