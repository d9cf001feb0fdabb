/**
 * safety/hashes exact-index: exact lookup of MD5 and SHA-256 digests. A Map keyed by the digest's bytes
 * as a latin1 string (16 or 32 characters: half the memory of hex and no encoding step), whose value is
 * the owning entry number or, rarely, several when two entries share a digest.
 */

export type ExactIndex = Map<string, number | number[]>;

export function exactKey(digest: Uint8Array): string {
  return String.fromCharCode(...digest);
}

export function addExact(index: ExactIndex, key: string, entry: number): void {
  const had = index.get(key);
  if (had === undefined) index.set(key, entry);
  else if (typeof had === 'number') index.set(key, [had, entry]);
  else had.push(entry);
}

/** Calls `visit` for each entry stored under `key`. */
export function lookupExact(index: ExactIndex, key: string, visit: (entry: number) => void): void {
  const had = index.get(key);
  if (had === undefined) return;
  if (typeof had === 'number') visit(had);
  else for (const e of had) visit(e);
}
