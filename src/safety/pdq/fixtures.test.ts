// PDQ against Meta's published fixtures: every image in expected.json must give the reference's exact
// hash, quality and 8 dihedral hashes from full-resolution sharp-decoded pixels (CMYK.jpg excepted: sharp's
// CMYK→RGB conversion differs from ImageMagick's), and each rotated/flipped bridge photo must be found from
// the original through the variant its file name describes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  PDQ_VARIANTS,
  decodeForPdq,
  pdqDihedralFromImage,
  pdqDihedralFromRgb,
  pdqDistance,
  pdqFromHex,
  pdqFromImage,
  pdqFromRgb,
  pdqToHex,
  type PdqVariant,
} from './index.js';

const fixtureUrl = new URL('../../../../shared/fixtures/pdq/', import.meta.url);
const fixtureDir = fileURLToPath(fixtureUrl);
const expectedPath = fileURLToPath(new URL('expected.json', fixtureUrl));
const skip = existsSync(expectedPath) ? false : `skipped: PDQ fixtures not found at ${fixtureDir}`;

type Expected = { file: string; hash_hex: string; quality: number; dihedral: Record<PdqVariant, string> };
const expected: Expected[] = skip ? [] : (JSON.parse(readFileSync(expectedPath, 'utf8')) as Expected[]);

// Measured: the full hash is 6 bits off and the dihedral variants up to 12 (sign flips move the median).
const DECODER_DIFFERS = new Map([['misc-images/modes/CMYK.jpg', { hash: 6, dihedral: 12 }]]);

test('fixtures: hash_hex, quality and dihedral hashes match the reference', { skip }, async (t) => {
  assert.ok(expected.length >= 20, 'expected.json lists the fixture images');
  for (const e of expected) {
    await t.test(e.file, async () => {
      const { rgb, width, height } = await decodeForPdq(fileURLToPath(new URL(e.file, fixtureUrl)));
      const { hash, quality } = pdqFromRgb(rgb, width, height);
      const dihedral = pdqDihedralFromRgb(rgb, width, height);
      assert.equal(quality, e.quality);
      assert.equal(dihedral.quality, e.quality);
      assert.deepEqual(dihedral.hashes.orig, hash, 'orig variant is the plain hash');
      const tolerance = DECODER_DIFFERS.get(e.file);
      if (tolerance) {
        assert.ok(pdqDistance(hash, pdqFromHex(e.hash_hex)) <= tolerance.hash);
        for (const v of PDQ_VARIANTS) {
          assert.ok(pdqDistance(dihedral.hashes[v], pdqFromHex(e.dihedral[v])) <= tolerance.dihedral, v);
        }
      } else {
        assert.equal(pdqToHex(hash), e.hash_hex);
        for (const v of PDQ_VARIANTS) assert.equal(pdqToHex(dihedral.hashes[v]), e.dihedral[v], v);
      }
    });
  }
});

const DIH_FILES: Array<[string, PdqVariant]> = [
  ['bridge-2-rotate-90.jpg', 'rot90'],
  ['bridge-3-rotate-180.jpg', 'rot180'],
  ['bridge-6-flipy.jpg', 'flipy'],
  ['bridge-7-flip-plus-1.jpg', 'flipplus1'],
  ['bridge-8-flip-minus-1.jpg', 'flipminus1'],
];

test('dihedral: each transformed bridge matches the original through the variant it names', { skip }, async () => {
  const dih = (name: string) => fileURLToPath(new URL(`reg-test-input/dih/${name}`, fixtureUrl));
  const original = await pdqDihedralFromImage(dih('bridge-1-original.jpg'));
  for (const [file, variant] of DIH_FILES) {
    const { hash } = await pdqFromImage(dih(file));
    const distances = PDQ_VARIANTS.map((v) => ({ v, d: pdqDistance(original.hashes[v], hash) }));
    const best = distances.reduce((a, b) => (b.d < a.d ? b : a));
    assert.ok(best.d <= 31, `${file}: best distance ${best.d}`);
    assert.equal(best.v, variant, file);
    // Without the variants the transformed photo looks unrelated, so this test is about the variants.
    if (variant !== 'orig') assert.ok(pdqDistance(original.hashes.orig, hash) > 31, file);
  }
});
