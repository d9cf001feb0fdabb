/**
 * The model file format (`models/text-v4.bin`): a small JSON header and float32 weight tables.
 *
 * Layout (all integers and floats little-endian, written through DataView so the bytes do not depend
 * on the machine):
 *   0..7    ASCII magic "CSTXTM02"
 *   8..11   uint32 header length H
 *   12..    H bytes of UTF-8 JSON (ModelHeader), then zero padding to a multiple of 4
 *   then    float32 word table, 2^features.bits rows x K columns (one per category), row-major:
 *           weight(bucket b, category k) at index b*K + k
 *   then    float32 char table, 2^features.charBits rows x softmaxCount columns (the softmax categories
 *           only; the sigmoid categories do not read character n-grams), row-major
 * Float32 halves the file against float64 at no measurable cost in accuracy. The header records the
 * sha256 of the weight bytes so a loader can detect a truncated or edited file.
 */

import { createHash } from 'node:crypto';
import type { FeatureConfig } from './features.js';

export const MAGIC = 'CSTXTM02';

export interface ModelHeader {
  format: 2;
  version: string;
  /** Output names, one word-table column each. */
  categories: string[];
  /**
   * The first `softmaxCount` categories form one softmax over both tables (features scaled to unit norm
   * over all features); each later category is an independent sigmoid over the word table only
   * (features scaled to unit norm over the word-space features).
   */
  softmaxCount: number;
  features: FeatureConfig;
  normalizer: string;
  lexicon: string;
  bias: number[];
  thresholds: Record<string, number>;
  /**
   * Optional (text-v4 on): the offensive class needs lexical evidence. A text with no token of one of
   * the word classes `classes` (lexicon.ts class ids) and none of the words `tokens` (matched by their
   * FNV-1a hash, as the extractor hashes tokens) gets p(offensive) = 0, its mass moved to `neither`;
   * `hate` and the sigmoids are untouched. Scores and labels both carry it, so anything thresholding
   * the scores decides as `predictLabel` does.
   */
  offensiveGuard?: { classes: number[]; tokens: string[] };
  weightsSha256: string;
  /** How it was trained (data files and their sha256, hyper-parameters, cross-validation); informational. */
  training: Record<string, unknown>;
}

export interface ModelData {
  header: ModelHeader;
  /** 2^bits * K float32 weights, row-major. */
  word: Float32Array;
  /** 2^charBits * softmaxCount float32 weights, row-major. */
  char: Float32Array;
}

export function tableSizes(header: Pick<ModelHeader, 'categories' | 'softmaxCount' | 'features'>): { word: number; char: number } {
  return {
    word: (1 << header.features.bits) * header.categories.length,
    char: (1 << header.features.charBits) * header.softmaxCount,
  };
}

function weightBytes(word: Float32Array, char: Float32Array): Uint8Array {
  const out = new Uint8Array((word.length + char.length) * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < word.length; i++) dv.setFloat32(i * 4, word[i], true);
  const off = word.length * 4;
  for (let i = 0; i < char.length; i++) dv.setFloat32(off + i * 4, char[i], true);
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Serialises a model; `header.weightsSha256` is filled in here. Same inputs give the same bytes. */
export function encodeModel(header: Omit<ModelHeader, 'weightsSha256'>, word: Float32Array, char: Float32Array): Uint8Array {
  const sizes = tableSizes(header);
  if (word.length !== sizes.word || char.length !== sizes.char) throw new Error('text model: table sizes do not match header');
  const wb = weightBytes(word, char);
  const full: ModelHeader = { ...header, weightsSha256: sha256Hex(wb) };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const pad = (4 - ((12 + json.length) % 4)) % 4;
  const out = new Uint8Array(12 + json.length + pad + wb.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(wb, 12 + json.length + pad);
  return out;
}

export function decodeModel(bytes: Uint8Array): ModelData {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC) throw new Error(`text model: bad magic ${JSON.stringify(magic)}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + h))) as ModelHeader;
  const pad = (4 - ((12 + h) % 4)) % 4;
  const start = 12 + h + pad;
  const sizes = tableSizes(header);
  if (bytes.length !== start + (sizes.word + sizes.char) * 4) throw new Error('text model: file length does not match header');
  if (sha256Hex(bytes.subarray(start)) !== header.weightsSha256) throw new Error('text model: weights sha256 mismatch');
  const word = new Float32Array(sizes.word);
  for (let i = 0; i < sizes.word; i++) word[i] = dv.getFloat32(start + i * 4, true);
  const off = start + sizes.word * 4;
  const char = new Float32Array(sizes.char);
  for (let i = 0; i < sizes.char; i++) char[i] = dv.getFloat32(off + i * 4, true);
  return { header, word, char };
}
