/**
 * The model file format (`models/text-v1.bin`): a small JSON header and float32 weights.
 *
 * Layout (all integers and floats little-endian, written through DataView so the bytes do not depend
 * on the machine):
 *   0..7    ASCII magic "CSTXTM01"
 *   8..11   uint32 header length H
 *   12..    H bytes of UTF-8 JSON (ModelHeader), then zero padding to a multiple of 4
 *   then    float32 weights, feature-major: weight(bucket b, class k) at index b*K + k
 * Float32 halves the file against float64 at no measurable cost in accuracy. The header records
 * the sha256 of the weight bytes so a loader can detect a truncated or edited file.
 */

import { createHash } from 'node:crypto';
import type { FeatureConfig } from './features.js';

export const MAGIC = 'CSTXTM01';

export interface ModelHeader {
  format: 1;
  version: string;
  /** Output names, one weight column each. */
  categories: string[];
  /** The first `softmaxCount` columns form one softmax; each later column is an independent sigmoid. */
  softmaxCount: number;
  features: FeatureConfig;
  normalizer: string;
  bias: number[];
  thresholds: Record<string, number>;
  weightsSha256: string;
  /** How it was trained (data files and their sha256, hyper-parameters); informational. */
  training: Record<string, unknown>;
}

export interface ModelData {
  header: ModelHeader;
  /** dim * K float32 weights, feature-major. */
  weights: Float32Array;
}

function weightBytes(weights: Float64Array | Float32Array): Uint8Array {
  const out = new Uint8Array(weights.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < weights.length; i++) dv.setFloat32(i * 4, weights[i], true);
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Serialises a model; `header.weightsSha256` is filled in here. Same inputs give the same bytes. */
export function encodeModel(header: Omit<ModelHeader, 'weightsSha256'>, weights: Float64Array | Float32Array): Uint8Array {
  const wb = weightBytes(weights);
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
  const K = header.categories.length;
  const n = (1 << header.features.bits) * K;
  if (bytes.length !== start + n * 4) throw new Error('text model: file length does not match header');
  const wb = bytes.subarray(start);
  if (sha256Hex(wb) !== header.weightsSha256) throw new Error('text model: weights sha256 mismatch');
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = dv.getFloat32(start + i * 4, true);
  return { header, weights };
}
