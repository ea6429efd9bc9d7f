import { describe, expect, it } from 'vitest';
import { bodyDigest, encodeJournalRecord, readJournalRecords, scanJournalRecords } from './journalRecord.js';

describe('inbox journal records', () => {
  const rec = (n: number) => encodeJournalRecord(JSON.stringify({ s: 'event-streams', k: [`k${n}`] }), Buffer.from(`[{"id":"k${n}","x":"é ✓"}]`));
  const three = Buffer.concat([rec(1), rec(2), rec(3)]);
  const bodies = (buf: Buffer, offset = 0) => readJournalRecords(buf, offset).map((r) => r.body.toString('utf8'));

  it('reads back each record, header and body as written, from any record boundary', () => {
    const rs = readJournalRecords(three);
    expect(rs.map((r) => JSON.parse(r.header) as unknown)).toEqual([1, 2, 3].map((n) => ({ s: 'event-streams', k: [`k${n}`] })));
    expect(rs.map((r) => r.body.toString('utf8'))).toEqual([1, 2, 3].map((n) => `[{"id":"k${n}","x":"é ✓"}]`));
    expect(rs[0]!.start).toBe(0);
    expect(rs[1]!.start).toBe(rs[0]!.end);
    expect(rs[2]!.end).toBe(three.length);
    // from an offset (what was imported before): the rest
    expect(bodies(three, rs[1]!.start)).toHaveLength(2);
    expect(bodies(Buffer.alloc(0))).toEqual([]);
  });

  it('stops at a record still being written, a changed byte, zeros, a foreign record or a length past the end', () => {
    const end2 = readJournalRecords(three)[1]!.end;
    // the third only partly written (or torn by a crash)
    for (const cut of [1, 15, 16, 20, rec(3).length - 1]) expect(bodies(three.subarray(0, end2 + cut))).toHaveLength(2);
    const flipped = Buffer.from(three);
    flipped.writeUInt8(flipped.readUInt8(end2 - 3) ^ 0x01, end2 - 3); // a body byte of the second
    expect(bodies(flipped)).toHaveLength(1);
    const header = Buffer.from(three);
    header.writeUInt8(header.readUInt8(end2 - 40) ^ 0x20, end2 - 40);
    expect(bodies(header).length).toBeLessThan(3);
    expect(bodies(Buffer.concat([rec(1), Buffer.alloc(64), rec(2)]))).toHaveLength(1);
    const foreign = Buffer.from(three);
    foreign.writeUInt32LE(0x12345678, 4);
    expect(bodies(foreign)).toHaveLength(0);
    const long = Buffer.from(three);
    long.writeUInt32LE(1 << 30, 0);
    expect(bodies(long)).toHaveLength(0);
    const headerPastRecord = Buffer.from(three);
    headerPastRecord.writeUInt32LE(1 << 20, 12);
    expect(bodies(headerPastRecord)).toHaveLength(0);
  });

  it('checks the body against the SHA-256 the record carries: a given digest that is not the body\'s makes it unreadable', () => {
    const body = Buffer.from('[{"id":"a"}]');
    expect(readJournalRecords(encodeJournalRecord('{"k":["a"]}', body, bodyDigest(body)))).toHaveLength(1);
    expect(readJournalRecords(encodeJournalRecord('{"k":["a"]}', body, bodyDigest(Buffer.from('[{"id":"b"}]'))))).toHaveLength(0);
    expect(() => encodeJournalRecord('{}', body, Buffer.alloc(20))).toThrow(/32 bytes/);
    // the digest itself is covered by the prefix's checksum
    const rec = encodeJournalRecord('{"k":["a"]}', body);
    const digestAt = rec.length - body.length - 32;
    const flipped = Buffer.from(rec);
    flipped.writeUInt8(flipped.readUInt8(digestAt) ^ 0x01, digestAt);
    expect(readJournalRecords(flipped)).toHaveLength(0);
  });

  it('still reads records of the first layout (TJR1: one FNV-1a over header and body), left by an earlier version', () => {
    const v1 = (header: string, body: string) => {
      const h = Buffer.from(header);
      const b = Buffer.from(body);
      const out = Buffer.alloc(16 + h.length + b.length);
      out.writeUInt32LE(out.length, 0);
      out.writeUInt32LE(0x31524a54, 4);
      out.writeUInt32LE(h.length, 12);
      h.copy(out, 16);
      b.copy(out, 16 + h.length);
      let x = 0x811c9dc5;
      for (let i = 12; i < out.length; i++) x = Math.imul(x ^ (out[i] as number), 0x01000193) >>> 0;
      out.writeUInt32LE(x, 8);
      return out;
    };
    const mixed = Buffer.concat([v1('{"k":["old"]}', '[{"id":"old"}]'), rec(2)]);
    expect(readJournalRecords(mixed).map((r) => [r.header, r.body.toString()])).toEqual([
      ['{"k":["old"]}', '[{"id":"old"}]'],
      ['{"s":"event-streams","k":["k2"]}', '[{"id":"k2","x":"é ✓"}]'],
    ]);
    const torn = v1('{"k":["old"]}', '[{"id":"old"}]');
    torn.writeUInt8(torn.readUInt8(torn.length - 2) ^ 0x01, torn.length - 2);
    expect(readJournalRecords(torn)).toHaveLength(0);
  });

  it('says whether it ran out of bytes (more may follow) or met something that is no record (zeros, a torn or corrupt one)', () => {
    const cut = (buf: Buffer) => scanJournalRecords(buf).cut;
    const end2 = readJournalRecords(three)[1]!.end;
    expect(cut(three)).toBe(true); // at a record's end: the file may go on
    expect(cut(three.subarray(0, end2 + 10))).toBe(true); // inside one
    expect(cut(Buffer.concat([three, Buffer.alloc(100)]))).toBe(false); // the zeros of a preallocated segment
    const flipped = Buffer.from(three);
    flipped.writeUInt8(flipped.readUInt8(end2 - 3) ^ 0x01, end2 - 3);
    expect(scanJournalRecords(flipped)).toMatchObject({ cut: false, records: [expect.anything()] });
  });
});
