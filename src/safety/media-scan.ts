// Image intake for the known-content stage: bounded decode with sharp (bytes, pixels, formats), PDQ with its
// eight dihedral variants, MD5 and SHA-256 of the bytes as uploaded, and a sanitized copy for recipients (EXIF
// orientation applied, then every metadata block — GPS included — dropped by re-encoding).
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { DomainError, isDomainError } from '../errors.js';
import { pdqDihedralFromRgb, type PdqVariant } from './pdq/index.js';

export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'heif'] as const;
export type AcceptedFormat = (typeof ACCEPTED_FORMATS)[number];

export interface MediaLimits {
  maxBytes: number;
  maxPixels: number;
}

export interface ScannedImage {
  format: AcceptedFormat;
  width: number;
  height: number;
  byteLength: number;
  md5: Buffer;
  sha256: Buffer;
  pdqVariants: Record<PdqVariant, Uint8Array>;
  pdqQuality: number;
  sanitized: Buffer;
  sanitizedMime: string;
}

export async function scanImage(bytes: Buffer, limits: MediaLimits): Promise<ScannedImage> {
  if (bytes.length === 0) throw new DomainError('invalid_image', 'the upload is empty');
  if (bytes.length > limits.maxBytes) throw new DomainError('image_too_large', `images are at most ${limits.maxBytes} bytes`);
  const options = { limitInputPixels: limits.maxPixels, failOn: 'error' as const, pages: 1 };
  try {
    const meta = await sharp(bytes, options).metadata();
    const format = meta.format as string | undefined;
    if (!format || !(ACCEPTED_FORMATS as readonly string[]).includes(format)) {
      throw new DomainError('invalid_image', 'accepted formats are JPEG, PNG, WebP, GIF and HEIC');
    }
    if (!meta.width || !meta.height) throw new DomainError('invalid_image', 'the image has no pixels');
    if (meta.width < 5 || meta.height < 5) throw new DomainError('image_too_small', 'images are at least 5x5 pixels');
    // Decoding the full pixel grid is where truncation and corruption surface; sharp refuses them with failOn.
    const { data, info } = await sharp(bytes, { ...options, ignoreIcc: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const dihedral = pdqDihedralFromRgb(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height);
    const outFormat = format === 'heif' || format === 'gif' ? 'png' : (format as 'jpeg' | 'png' | 'webp');
    const sanitized = await sharp(bytes, options).rotate().toFormat(outFormat).toBuffer();
    return {
      format: format as AcceptedFormat,
      width: meta.width,
      height: meta.height,
      byteLength: bytes.length,
      md5: createHash('md5').update(bytes).digest(),
      sha256: createHash('sha256').update(bytes).digest(),
      pdqVariants: dihedral.hashes,
      pdqQuality: dihedral.quality,
      sanitized,
      sanitizedMime: `image/${outFormat}`,
    };
  } catch (err) {
    if (isDomainError(err)) throw err;
    const message = err instanceof Error ? err.message : '';
    if (/pixel limit/i.test(message)) throw new DomainError('image_too_large', `images have at most ${limits.maxPixels} pixels`);
    // sharp's message can echo input; only the code goes out.
    throw new DomainError('invalid_image', 'the upload could not be decoded as an image');
  }
}
