/**
 * audit/entry: what goes into a leaf. An entry is the canonical JSON of an event (keys sorted by UTF-16 code
 * unit, no whitespace), so the same event always hashes the same way and a monitor can re-derive it. Subjects
 * appear only as pseudonyms (HMAC-SHA-256 of the user id under the log key): the public log reveals neither
 * identities nor content, yet the server can still list one user's entries for /v1/me/access-log.
 */
import { createHmac } from 'node:crypto';
import { AuditErrorCode, auditError } from './errors.js';
import { MAX_ENTRY_BYTES } from './tiles.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

function invalid(reason: string): never {
  throw auditError(AuditErrorCode.invalidEntry, `invalid audit entry: ${reason}`);
}

/** Canonical JSON: sorted keys, no whitespace, undefined members dropped; rejects non-finite numbers and cycles. */
export function canonicalJson(value: JsonValue): string {
  const seen = new Set<object>();
  const write = (v: JsonValue | undefined): string => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        if (!Number.isFinite(v)) invalid('numbers must be finite');
        return JSON.stringify(v);
      case 'string':
        return JSON.stringify(v);
      case 'object': {
        if (seen.has(v)) invalid('cyclic value');
        seen.add(v);
        let out: string;
        if (Array.isArray(v)) {
          out = `[${v.map((x) => (x === undefined ? 'null' : write(x))).join(',')}]`;
        } else {
          const proto = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) invalid('only plain objects');
          const keys = Object.keys(v)
            .filter((k) => v[k] !== undefined)
            .sort();
          out = `{${keys.map((k) => `${JSON.stringify(k)}:${write(v[k])}`).join(',')}}`;
        }
        seen.delete(v);
        return out;
      }
      default:
        return invalid(`unsupported ${typeof v}`);
    }
  };
  return write(value);
}

/** The bytes of a leaf for `event`; throws `invalid_audit_entry` if it cannot be framed in a bundle. */
export function encodeEntry(event: JsonValue): Buffer {
  const bytes = Buffer.from(canonicalJson(event), 'utf8');
  if (bytes.length > MAX_ENTRY_BYTES) invalid('entry exceeds 65,535 bytes');
  return bytes;
}

/**
 * The pseudonymous subject id for a user: hex HMAC-SHA-256(logKey, userId). Stable per log key, so a user's
 * entries can be found, and unlinkable to the user id without the key.
 */
export function pseudonymize(logKey: Buffer, userId: string): string {
  if (logKey.length < 32) throw new RangeError('log key must be at least 32 bytes');
  return createHmac('sha256', logKey).update(userId, 'utf8').digest('hex');
}
