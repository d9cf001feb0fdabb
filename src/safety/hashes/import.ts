/**
 * safety/hashes import: streaming parser for hash-list files (CSV with a header row, or JSON Lines).
 *
 * A list from a partner can have millions of lines and some bad ones; a bad line is yielded as a
 * rejection with its 1-based line number and a stable reason, never thrown, and never echoes the line's
 * content (the content may itself be sensitive). Only a CSV header naming no hash column stops the import
 * (`hash_import_bad_header`). Lines are read one at a time, so memory stays flat whatever the file size.
 *
 * Columns / keys (case-insensitive in CSV headers):
 * - either `hash_type` (pdq | md5 | sha256) with `hash`, or any of `pdq`, `md5`, `sha256` (empty = absent);
 * - optional metadata `label`, `source`, `external_id` (JSONL also accepts `externalId`).
 * Other columns are ignored. CSV fields may be double-quoted ("" escapes a quote) but not span lines.
 */
import { StringDecoder } from 'node:string_decoder';
import type { EntryMetadata } from './banks.js';
import { hashError } from './errors.js';
import { HASH_BYTES, tryParseHex, type HashType } from './hex.js';

export type ImportFormat = 'csv' | 'jsonl';

export type ImportRejectReason =
  | 'bad_hex' // a hash that is not hex of the right length
  | 'unknown_hash_type'
  | 'conflicting_hash' // the same hash type given twice with different values
  | 'no_hash'
  | 'bad_json'
  | 'not_an_object'
  | 'bad_field' // a field of the wrong JSON type
  | 'field_too_long'
  | 'bad_csv' // unbalanced quotes
  | 'wrong_column_count'
  | 'line_too_long';

export interface ParsedHashEntry {
  kind: 'entry';
  line: number;
  pdq?: Uint8Array;
  md5?: Uint8Array;
  sha256?: Uint8Array;
  metadata?: EntryMetadata;
}

export interface RejectedHashLine {
  kind: 'rejected';
  line: number;
  reason: ImportRejectReason;
  /** The column or key at fault, when there is one. */
  field?: string;
}

export interface ImportProgress {
  lines: number;
  accepted: number;
  rejected: number;
  done: boolean;
}

export interface ImportOptions {
  /** Called every `progressEvery` lines (default 10,000) and once at the end with done = true. */
  onProgress?: (progress: ImportProgress) => void;
  progressEvery?: number;
  /** Longer lines are rejected as `line_too_long` without being buffered. Default 65,536 characters. */
  maxLineLength?: number;
}

const MAX_METADATA_LENGTH = 1000;
const HASH_TYPES: readonly HashType[] = ['pdq', 'md5', 'sha256'];

interface RawFields {
  hashType?: string;
  hash?: string;
  pdq?: string;
  md5?: string;
  sha256?: string;
  label?: string;
  source?: string;
  externalId?: string;
}

type LineResult = ParsedHashEntry | RejectedHashLine;

/**
 * Parses a stream of text or bytes (a file stream, an HTTP body, an array of strings) and yields one
 * result per non-blank data line, in order.
 */
export async function* parseHashImport(
  input: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  format: ImportFormat,
  options: ImportOptions = {},
): AsyncGenerator<LineResult, ImportProgress> {
  if (format !== 'csv' && format !== 'jsonl') throw new RangeError('format must be csv or jsonl');
  const every = options.progressEvery ?? 10_000;
  if (!Number.isInteger(every) || every < 1) throw new RangeError('progressEvery must be a positive integer');
  const progress: ImportProgress = { lines: 0, accepted: 0, rejected: 0, done: false };
  let columns: string[] | null = null;

  for await (const { number, text, tooLong } of readLines(input, options.maxLineLength ?? 65_536)) {
    progress.lines = number;
    let result: LineResult | null = null;
    if (tooLong) result = reject(number, 'line_too_long');
    else if (text.trim() !== '') {
      if (format === 'jsonl') result = parseJsonLine(number, text);
      else if (columns === null) columns = parseHeader(text);
      else result = parseCsvLine(number, text, columns);
    }
    if (result !== null) {
      if (result.kind === 'entry') progress.accepted++;
      else progress.rejected++;
      yield result;
    }
    if (number % every === 0) options.onProgress?.({ ...progress });
  }
  if (format === 'csv' && columns === null) throw hashError('hash_import_bad_header', 'the CSV file has no header row');
  progress.done = true;
  options.onProgress?.({ ...progress });
  return progress;
}

/** Splits a chunk stream into lines (LF or CRLF), decoding UTF-8 across chunk edges and dropping a BOM. */
async function* readLines(
  input: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  maxLength: number,
): AsyncGenerator<{ number: number; text: string; tooLong: boolean }> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let overflowing = false;
  let number = 0;
  const finish = (text: string) => {
    number++;
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const line = { number, text: overflowing ? '' : text, tooLong: overflowing || text.length > maxLength };
    overflowing = false;
    return line;
  };
  const split = function* (chunk: string) {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      const piece = chunk.slice(from, nl);
      from = nl + 1;
      yield finish(overflowing ? '' : partial + piece);
      partial = '';
    }
    if (!overflowing) {
      partial += chunk.slice(from);
      if (partial.length > maxLength) {
        overflowing = true; // drop the rest of this line instead of buffering it
        partial = '';
      }
    }
  };
  for await (const chunk of input) {
    yield* split(typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }
  yield* split(decoder.end());
  if (partial !== '' || overflowing) yield finish(partial);
}

function parseHeader(text: string): string[] {
  const names = splitCsv(text)?.map((n) => n.trim().toLowerCase());
  const has = (n: string) => names?.includes(n) === true;
  if (names === undefined || !((has('hash_type') && has('hash')) || has('pdq') || has('md5') || has('sha256'))) {
    throw hashError('hash_import_bad_header', 'the CSV header needs hash_type and hash, or a pdq, md5 or sha256 column');
  }
  return names;
}

function parseCsvLine(line: number, text: string, columns: string[]): LineResult {
  const values = splitCsv(text);
  if (values === undefined) return reject(line, 'bad_csv');
  if (values.length !== columns.length) return reject(line, 'wrong_column_count');
  const raw: RawFields = {};
  for (let i = 0; i < columns.length; i++) {
    const value = values[i].trim();
    if (value === '') continue;
    switch (columns[i]) {
      case 'hash_type': raw.hashType = value; break;
      case 'hash': raw.hash = value; break;
      case 'pdq': raw.pdq = value; break;
      case 'md5': raw.md5 = value; break;
      case 'sha256': raw.sha256 = value; break;
      case 'label': raw.label = value; break;
      case 'source': raw.source = value; break;
      case 'external_id': raw.externalId = value; break;
      default: break; // unknown columns are ignored
    }
  }
  return buildEntry(line, raw);
}

function parseJsonLine(line: number, text: string): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject(line, 'bad_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return reject(line, 'not_an_object');
  const obj = value as Record<string, unknown>;
  const raw: RawFields = {};
  const keys: [keyof RawFields, string][] = [
    ['hashType', 'hash_type'], ['hash', 'hash'], ['pdq', 'pdq'], ['md5', 'md5'], ['sha256', 'sha256'],
    ['label', 'label'], ['source', 'source'], ['externalId', 'external_id'], ['externalId', 'externalId'],
  ];
  for (const [field, key] of keys) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'number' && field === 'externalId' && Number.isSafeInteger(v)) raw.externalId = String(v);
    else if (typeof v !== 'string') return reject(line, 'bad_field', key);
    else if (v.trim() !== '') raw[field] = v.trim();
  }
  return buildEntry(line, raw);
}

function buildEntry(line: number, raw: RawFields): LineResult {
  const entry: ParsedHashEntry = { kind: 'entry', line };
  const put = (type: HashType, text: string, field: string): RejectedHashLine | null => {
    const bytes = tryParseHex(text, HASH_BYTES[type]);
    if (bytes === null) return reject(line, 'bad_hex', field);
    const had = entry[type];
    if (had !== undefined && !had.every((b, i) => b === bytes[i])) return reject(line, 'conflicting_hash', field);
    entry[type] = bytes;
    return null;
  };
  for (const type of HASH_TYPES) {
    const text = raw[type];
    if (text !== undefined) {
      const bad = put(type, text, type);
      if (bad) return bad;
    }
  }
  if (raw.hashType !== undefined || raw.hash !== undefined) {
    const type = raw.hashType?.toLowerCase();
    if (type === undefined || !HASH_TYPES.includes(type as HashType)) return reject(line, 'unknown_hash_type', 'hash_type');
    if (raw.hash === undefined) return reject(line, 'no_hash', 'hash');
    const bad = put(type as HashType, raw.hash, 'hash');
    if (bad) return bad;
  }
  if (entry.pdq === undefined && entry.md5 === undefined && entry.sha256 === undefined) return reject(line, 'no_hash');
  const metadata: EntryMetadata = {};
  for (const [field, name] of [['label', 'label'], ['source', 'source'], ['externalId', 'external_id']] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    if (v.length > MAX_METADATA_LENGTH) return reject(line, 'field_too_long', name);
    metadata[field] = v;
  }
  if (Object.keys(metadata).length > 0) entry.metadata = metadata;
  return entry;
}

/** Splits one CSV line; undefined when quotes are unbalanced or stray. */
function splitCsv(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return undefined;
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',') return undefined;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? text.length : comma;
      field = text.slice(i, end);
      if (field.includes('"')) return undefined;
      i = end;
    }
    out.push(field);
    if (i >= text.length) return out;
    i++; // the comma
  }
}

function reject(line: number, reason: ImportRejectReason, field?: string): RejectedHashLine {
  return field === undefined ? { kind: 'rejected', line, reason } : { kind: 'rejected', line, reason, field };
}
