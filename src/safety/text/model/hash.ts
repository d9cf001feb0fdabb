/**
 * FNV-1a 32-bit hashing over the UTF-16LE bytes of a string, used to map text features to buckets.
 *
 * Why FNV-1a: it is tiny, has published reference values, and can be advanced one code unit at a time,
 * so the feature extractor hashes every character n-gram without allocating substrings. Why UTF-16LE:
 * JavaScript strings are UTF-16, so feeding each code unit as its low byte then its high byte is
 * exactly FNV-1a over `Buffer.from(s, 'utf16le')` — a fixed, documented definition another
 * implementation can reproduce. Changing anything here changes every bucket: bump the model version.
 */

export const FNV_OFFSET_BASIS = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** Advances an FNV-1a state by one UTF-16 code unit (low byte, then high byte). */
export function fnvStep(h: number, codeUnit: number): number {
  h = Math.imul(h ^ (codeUnit & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (codeUnit >>> 8), FNV_PRIME);
  return h >>> 0;
}

/** Advances an FNV-1a state over every code unit of `s`. */
export function fnvString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = fnvStep(h, s.charCodeAt(i));
  return h;
}

/** FNV-1a 32-bit of the UTF-16LE bytes of `s`, as an unsigned integer. */
export function fnv1a32(s: string): number {
  return fnvString(FNV_OFFSET_BASIS, s);
}

/** Plain byte-wise FNV-1a 32-bit, the textbook definition; used by tests to pin `fnv1a32`. */
export function fnv1a32Bytes(bytes: Uint8Array): number {
  let h = FNV_OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME) >>> 0;
  return h >>> 0;
}
