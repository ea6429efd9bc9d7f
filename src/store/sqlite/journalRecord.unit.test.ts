import { describe, expect, it } from 'vitest';
import { encodeJournalRecord, readJournalRecords } from './journalRecord.js';

describe('inbox journal records', () => {
  const rec = (gen: number, n: number) => encodeJournalRecord(gen, JSON.stringify({ s: 'event-streams', k: [`k${n}`] }), Buffer.from(`[{"id":"k${n}","x":"é ✓"}]`));
  const three = Buffer.concat([rec(3, 1), rec(3, 2), rec(3, 3), Buffer.alloc(64)]);
  const bodies = (buf: Buffer, offset: number, gen: number) => readJournalRecords(buf, offset, gen).map((r) => r.body.toString('utf8'));

  it('reads back each record of its generation, header and body as written, up to the zeros', () => {
    const rs = readJournalRecords(three, 0, 3);
    expect(rs.map((r) => JSON.parse(r.header) as unknown)).toEqual([1, 2, 3].map((n) => ({ s: 'event-streams', k: [`k${n}`] })));
    expect(rs.map((r) => r.body.toString('utf8'))).toEqual([1, 2, 3].map((n) => `[{"id":"k${n}","x":"é ✓"}]`));
    expect(rs[0]!.start).toBe(0);
    expect(rs[1]!.start).toBe(rs[0]!.end);
    // from an offset (what was imported before): the rest
    expect(bodies(three, rs[1]!.start, 3)).toHaveLength(2);
  });

  it('stops at a torn record, a changed byte, another generation or a length past the end', () => {
    const end2 = readJournalRecords(three, 0, 3)[1]!.end;
    expect(bodies(three.subarray(0, end2 + 20), 0, 3)).toHaveLength(2); // the third torn
    const flipped = Buffer.from(three);
    flipped.writeUInt8(flipped.readUInt8(end2 - 3) ^ 0x01, end2 - 3); // a body byte of the second
    expect(bodies(flipped, 0, 3)).toHaveLength(1);
    const header = Buffer.from(three);
    header.writeUInt8(header.readUInt8(end2 - 40) ^ 0x20, end2 - 40);
    expect(bodies(header, 0, 3).length).toBeLessThan(3);
    expect(bodies(three, 0, 4)).toHaveLength(0);
    // a journal written again from its start: the new generation's record, then the old pass's are ignored
    const overwritten = Buffer.concat([rec(4, 9), three.subarray(rec(4, 9).length)]);
    expect(bodies(overwritten, 0, 4)).toEqual(['[{"id":"k9","x":"é ✓"}]']);
    const long = Buffer.from(three);
    long.writeUInt32LE(1 << 30, 0);
    expect(bodies(long, 0, 3)).toHaveLength(0);
  });
});
