/**
 * Records of the inbox journal (inboxWriter.ts): the append-only file an Event Streams delivery is made durable in
 * before its 2xx, imported into the inbox table shortly after. Layout, little-endian:
 *
 *   u32 record length (all of it) · u32 generation · u32 FNV-1a of the bytes from offset 12 to the end ·
 *   u32 header length · header (UTF-8 JSON) · body (the delivery's bytes as received)
 *
 * A journal file is overwritten from its start once everything in it is imported (each pass is a new generation), so a
 * reader stops at the first record that is not one of the generation it reads: zeros (the preallocated tail), a record
 * of an earlier pass, or a torn or corrupt record — never acknowledged, since the acknowledgement waits for the fsync.
 * Both functions are self-contained (see core/jsonBatch.ts): the writer thread runs them from their source text.
 */

/** One record read back: its header text, its body and where it lies in the file. */
export interface JournalRecord {
  header: string;
  body: Buffer;
  start: number;
  end: number;
}

/** The bytes of one record (see the layout above). */
export function encodeJournalRecord(generation: number, header: string, body: Uint8Array): Buffer {
  const h = Buffer.from(header, 'utf8');
  const out = Buffer.allocUnsafe(16 + h.length + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt32LE(generation >>> 0, 4);
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

/** The records of `generation` from `offset` on, up to the first thing that is not one (see above). */
export function readJournalRecords(buf: Buffer, offset: number, generation: number): JournalRecord[] {
  const out: JournalRecord[] = [];
  let p = offset;
  while (p + 16 <= buf.length) {
    const len = buf.readUInt32LE(p);
    if (len < 16 || p + len > buf.length || buf.readUInt32LE(p + 4) !== generation >>> 0) break;
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
