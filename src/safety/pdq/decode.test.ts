// Decoding and the command body: encoded images hash the same as their decoded pixels, tiny or non-image
// input becomes a DomainError (never a crash or a sharp message), and `custodian pdq` prints one line per
// file or variant and a coded error line for a file that fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngHeaderOnly } from '../../../test/support/png.js';
import sharp from 'sharp';
import { DomainError } from '../../errors.js';
import {
  PDQ_VARIANTS,
  decodeForPdq,
  pdqDihedralFromImage,
  pdqDihedralFromRgb,
  pdqFromImage,
  pdqFromRgb,
  pdqToHex,
  runPdqCommand,
} from './index.js';

function pattern(w: number, h: number): Buffer {
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + ((i / (w * 3)) | 0) * 13) & 255;
  return rgb;
}

async function png(w: number, h: number, channels: 3 | 4 = 3): Promise<Buffer> {
  const raw = channels === 3 ? pattern(w, h) : Buffer.alloc(w * h * 4, 200);
  return sharp(raw, { raw: { width: w, height: h, channels } }).png().toBuffer();
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof DomainError && err.code === code);
}

test('a lossless PNG decodes to its pixels and hashes like them', async () => {
  const w = 90;
  const h = 70;
  const decoded = await decodeForPdq(await png(w, h));
  assert.equal(decoded.width, w);
  assert.equal(decoded.height, h);
  assert.deepEqual(Buffer.from(decoded.rgb), pattern(w, h));
  assert.deepEqual(await pdqFromImage(await png(w, h)), pdqFromRgb(pattern(w, h), w, h));
  assert.deepEqual(await pdqDihedralFromImage(await png(w, h)), pdqDihedralFromRgb(pattern(w, h), w, h));
  // Alpha is dropped, leaving 3 channels.
  assert.equal((await decodeForPdq(await png(20, 20, 4))).rgb.length, 20 * 20 * 3);
});

test('hostile input: tiny images, non-images, empty buffers and missing files are DomainErrors', async () => {
  await rejectsWith(pdqFromImage(await png(1, 1)), 'image_too_small');
  await rejectsWith(pdqFromImage(await png(2, 2)), 'image_too_small');
  await rejectsWith(pdqDihedralFromImage(await png(2, 2)), 'image_too_small');
  await rejectsWith(pdqFromImage(Buffer.from('definitely not an image, just text')), 'invalid_image');
  await rejectsWith(pdqFromImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a])), 'invalid_image'); // cut-off JPEG
  await rejectsWith(pdqFromImage(Buffer.alloc(0)), 'invalid_image');
  await rejectsWith(pdqFromImage(pngHeaderOnly(100_000, 100_000)), 'image_too_large');
  await rejectsWith(pdqFromImage(pngHeaderOnly(300, 200)), 'invalid_image'); // header fine, no pixels
  await rejectsWith(pdqFromImage('/nonexistent/dir/nothing.png'), 'file_unreadable');
  const err = await pdqFromImage('/nonexistent/dir/secret-name.png').catch((e: unknown) => e);
  assert.ok(err instanceof DomainError && !err.message.includes('secret-name'), 'no path in the message');
});

test('runPdqCommand prints hash,quality,file lines and coded errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdq-cli-'));
  try {
    const good = join(dir, 'good.png');
    writeFileSync(good, await png(80, 60));
    const bad = join(dir, 'bad.png');
    writeFileSync(bad, 'not a png');
    const expected = pdqFromRgb(pattern(80, 60), 80, 60);

    const out: string[] = [];
    const errs: string[] = [];
    assert.equal(await runPdqCommand([good], (l) => out.push(l), (l) => errs.push(l)), 0);
    assert.deepEqual(out, [`${pdqToHex(expected.hash)},${expected.quality},${good}`]);
    assert.equal(errs.length, 0);

    out.length = 0;
    assert.equal(await runPdqCommand(['--dihedral', good], (l) => out.push(l), (l) => errs.push(l)), 0);
    const dihedral = pdqDihedralFromRgb(pattern(80, 60), 80, 60);
    assert.deepEqual(out, PDQ_VARIANTS.map((v) => `${pdqToHex(dihedral.hashes[v])},${dihedral.quality},${good},${v}`));

    out.length = 0;
    assert.equal(await runPdqCommand([bad, good, join(dir, 'missing.png')], (l) => out.push(l), (l) => errs.push(l)), 1);
    assert.equal(out.length, 1);
    assert.deepEqual(errs, [`error,invalid_image,${bad}`, `error,file_unreadable,${join(dir, 'missing.png')}`]);

    errs.length = 0;
    assert.equal(await runPdqCommand([], (l) => out.push(l), (l) => errs.push(l)), 2);
    assert.equal(await runPdqCommand(['--bogus', good], (l) => out.push(l), (l) => errs.push(l)), 2);
    assert.ok(errs.every((l) => !l.includes('    at ')), 'no stack traces');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
