/**
 * Records of the inbox journal (inboxJournal.ts): the append-only segment files an Event Streams delivery is made
 * durable in before its 2xx, and that the inbox processor imports into the inbox table when it claims work.
 * Layout, little-endian:
 *
 *   u32 record length (all of it) · u32 magic 'TJR1' · u32 FNV-1a of the bytes from offset 12 to the end ·
 *   u32 header length · header (UTF-8 JSON) · body (the delivery's bytes as received)
 *
 * A segment only ever grows. A reader stops at the first thing that is not a whole, intact record: the end of what was
 * written so far (a record still being written shows as too short), or a torn or corrupt record left by a crash or a
 * failed write — never acknowledged, since the acknowledgement waits for the fdatasync of the record's group.
 */

export const JOURNAL_MAGIC = 0x31524a54; // 'TJR1' read as a little-endian u32

/** One record read back: its header text, its body and where it lies in what was read. */
export interface JournalRecord {
  header: string;
  body: Buffer;
  start: number;
  end: number;
}

/** The bytes of one record (see the layout above). */
export function encodeJournalRecord(header: string, body: Uint8Array): Buffer {
  const h = Buffer.from(header, 'utf8');
  const out = Buffer.allocUnsafe(16 + h.length + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt32LE(0x31524a54, 4);
  out.writeUInt32LE(h.length, 12);
  h.copy(out, 16);
  out.set(body, 16 + h.length);
  let x = 0x811c9dc5;
  for (let i = 12; i < out.length; i++) {
    x ^= out[i] as number;
    x = Math.imul(x, 0x01000193) >>> 0;
  }
  out.writeUInt32LE(x, 8);
  return out;
}

/** The intact records of `buf` from `offset` on, up to the first thing that is not one (see above). */
export function readJournalRecords(buf: Buffer, offset = 0): JournalRecord[] {
  const out: JournalRecord[] = [];
  let p = offset;
  while (p + 16 <= buf.length) {
    const len = buf.readUInt32LE(p);
    if (len < 16 || p + len > buf.length || buf.readUInt32LE(p + 4) !== JOURNAL_MAGIC) break;
    const hl = buf.readUInt32LE(p + 12);
    if (16 + hl > len) break;
    let x = 0x811c9dc5;
    for (let i = p + 12; i < p + len; i++) {
      x ^= buf[i] as number;
      x = Math.imul(x, 0x01000193) >>> 0;
    }
    if (x !== buf.readUInt32LE(p + 8)) break;
    out.push({ header: buf.toString('utf8', p + 16, p + 16 + hl), body: buf.subarray(p + 16 + hl, p + len), start: p, end: p + len });
    p += len;
  }
  return out;
}
