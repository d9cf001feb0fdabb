/**
 * Tests for the hash-list import parser: CSV (both column layouts, quoting) and JSONL, bad lines rejected
 * with their line numbers, chunk boundaries anywhere (even inside a UTF-8 character), progress reporting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { DomainError } from '../../errors.js';
import { parseHashImport, type ImportOptions, type ImportProgress, type ParsedHashEntry, type RejectedHashLine } from './import.js';

const PDQ = 'f'.repeat(8) + '0123456789abcdef'.repeat(3) + '00000000';
const MD5 = '0123456789ABCDEF0123456789abcdef';
const SHA = 'ab'.repeat(32);

async function collect(
  input: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  format: 'csv' | 'jsonl',
  options?: ImportOptions,
): Promise<{ entries: ParsedHashEntry[]; rejected: RejectedHashLine[] }> {
  const entries: ParsedHashEntry[] = [];
  const rejected: RejectedHashLine[] = [];
  for await (const item of parseHashImport(input, format, options)) {
    if (item.kind === 'entry') entries.push(item);
    else rejected.push(item);
  }
  return { entries, rejected };
}

const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

describe('parseHashImport', () => {
  it('reads CSV with hash_type and hash columns plus metadata', async () => {
    const csv = [
      'hash_type,hash,label,source,external_id',
      `pdq,${PDQ},"cat, grey",partner,A-1`,
      `MD5,${MD5},,,`,
      `sha256,${SHA},"say ""hi""",,7`,
    ].join('\n');
    const { entries, rejected } = await collect([csv], 'csv');
    assert.deepEqual(rejected, []);
    assert.deepEqual(
      entries.map((e) => [e.line, hex(e.pdq), hex(e.md5), hex(e.sha256), e.metadata]),
      [
        [2, PDQ, undefined, undefined, { label: 'cat, grey', source: 'partner', externalId: 'A-1' }],
        [3, undefined, MD5.toLowerCase(), undefined, undefined],
        [4, undefined, undefined, SHA, { label: 'say "hi"', externalId: '7' }],
      ],
    );
  });

  it('reads CSV with one column per hash type, several hashes per line, CRLF and a BOM', async () => {
    const csv = `\ufeffPDQ,md5,Notes\r\n${PDQ},${MD5},ignored\r\n,${MD5},\r\n`;
    const { entries, rejected } = await collect([csv], 'csv');
    assert.deepEqual(rejected, []);
    assert.deepEqual(entries.map((e) => [e.line, hex(e.pdq), hex(e.md5)]), [
      [2, PDQ, MD5.toLowerCase()],
      [3, undefined, MD5.toLowerCase()],
    ]);
  });

  it('rejects bad CSV lines with their line numbers and carries on', async () => {
    const csv = [
      'hash_type,hash,label',
      `pdq,${PDQ.slice(1)}x,bad hex`, // 2
      `md5,${MD5},ok`, // 3
      `crc32,00ff00ff,unknown type`, // 4
      `pdq,${PDQ}`, // 5: too few columns
      '', // 6: blank, skipped
      `pdq,"${PDQ},unterminated`, // 7
      ',,no hash', // 8
      `sha256,${SHA},${'x'.repeat(1001)}`, // 9
      `md5,${MD5.slice(2)},short`, // 10
      `pdq,${PDQ},last`, // 11, no trailing newline
    ].join('\n');
    const { entries, rejected } = await collect([csv], 'csv');
    assert.deepEqual(entries.map((e) => e.line), [3, 11]);
    assert.deepEqual(
      rejected.map((r) => [r.line, r.reason]),
      [[2, 'bad_hex'], [4, 'unknown_hash_type'], [5, 'wrong_column_count'], [7, 'bad_csv'], [8, 'no_hash'], [9, 'field_too_long'], [10, 'bad_hex']],
    );
  });

  it('stops on a CSV header without a hash column', async () => {
    await assert.rejects(collect(['label,source\nx,y\n'], 'csv'), (err: unknown) => err instanceof DomainError && err.code === 'hash_import_bad_header');
    await assert.rejects(collect([''], 'csv'), (err: unknown) => err instanceof DomainError && err.code === 'hash_import_bad_header');
  });

  it('reads JSONL and rejects bad lines with their numbers', async () => {
    const lines = [
      JSON.stringify({ pdq: PDQ, label: 'a', externalId: 12 }), // 1
      '{not json', // 2
      JSON.stringify({ hash_type: 'sha256', hash: SHA, source: 's', external_id: 'x' }), // 3
      '[1,2]', // 4
      JSON.stringify({ md5: 42 }), // 5
      '   ', // 6 blank
      JSON.stringify({ md5: MD5, hash_type: 'md5', hash: '00'.repeat(16) }), // 7 conflicting
      JSON.stringify({ label: 'nothing' }), // 8
      JSON.stringify({ hash_type: 'pdq', hash: 'zz' }), // 9
    ];
    const { entries, rejected } = await collect([lines.join('\n') + '\n'], 'jsonl');
    assert.deepEqual(
      entries.map((e) => [e.line, hex(e.pdq), hex(e.sha256), e.metadata]),
      [
        [1, PDQ, undefined, { label: 'a', externalId: '12' }],
        [3, undefined, SHA, { source: 's', externalId: 'x' }],
      ],
    );
    assert.deepEqual(
      rejected.map((r) => [r.line, r.reason, r.field]),
      [[2, 'bad_json', undefined], [4, 'not_an_object', undefined], [5, 'bad_field', 'md5'], [7, 'conflicting_hash', 'hash'], [8, 'no_hash', undefined], [9, 'bad_hex', 'hash']],
    );
  });

  it('gives the same result however the bytes are chunked, including mid-character', async () => {
    const text = `hash_type,hash,label\nmd5,${MD5},café ☕\npdq,${PDQ},naïve\nmd5,nothex,x\n`;
    const bytes = Buffer.from(text, 'utf8');
    const whole = await collect([bytes], 'csv');
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      assert.deepEqual(await collect(Readable.from(chunks), 'csv'), whole, `chunk size ${size}`);
    }
    assert.equal(whole.entries[0].metadata?.label, 'café ☕');
    assert.deepEqual(whole.rejected.map((r) => r.line), [4]);
  });

  it('rejects an over-long line without buffering it and keeps counting lines', async () => {
    const long = 'x'.repeat(5000);
    const chunks = ['hash_type,hash\n', `md5,${MD5}\n`, long, long, `\nmd5,${MD5}\n`];
    const { entries, rejected } = await collect(chunks, 'csv', { maxLineLength: 1000 });
    assert.deepEqual(entries.map((e) => e.line), [2, 4]);
    assert.deepEqual(rejected, [{ kind: 'rejected', line: 3, reason: 'line_too_long' }]);
  });

  it('reports progress every N lines and once at the end', async () => {
    const lines = ['hash_type,hash'];
    for (let i = 0; i < 25; i++) lines.push(i % 5 === 4 ? 'md5,bad' : `md5,${MD5}`);
    const seen: ImportProgress[] = [];
    await collect([lines.join('\n')], 'csv', { progressEvery: 10, onProgress: (p) => seen.push(p) });
    assert.deepEqual(seen, [
      { lines: 10, accepted: 8, rejected: 1, done: false },
      { lines: 20, accepted: 16, rejected: 3, done: false },
      { lines: 26, accepted: 20, rejected: 5, done: true },
    ]);
  });
});
