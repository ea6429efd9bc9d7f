import { describe, expect, it } from 'vitest';
import { encodeJournalRecord, readJournalRecords } from './journalRecord.js';

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
});
