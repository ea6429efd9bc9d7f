/**
 * Records of the inbox journal (inboxJournal.ts): the append-only segment files a webhook delivery is made durable in
 * before its 2xx, and that the inbox processor imports into the inbox table when it claims work. Layout, little-endian:
 *
 *   u32 record length (all of it) · u32 magic 'TJR2' · u32 FNV-1a of the bytes from offset 12 to the body ·
 *   u32 header length · header (UTF-8 JSON) · SHA-256 of the body (32 bytes) · body (the delivery's bytes)
 *
 * The body is covered by its SHA-256, which the receiving thread already has for an Event Streams delivery (the
 * signature's `bodySHA256` is checked against it): the writer hashes only the few hundred bytes before the body, in
 * JS, instead of every byte of it (an FNV-1a over the whole record was 8 % of the main thread's time under load).
 * Records of the first layout ('TJR1': one FNV-1a over header and body, no digest) are still read, so segments left by
 * an earlier version are imported after an upgrade.
 *
 * A segment only ever grows. A reader stops at the first thing that is not a whole, intact record: the end of what was
 * written so far (a record still being written shows as too short or fails its checks), or a torn or corrupt record
 * left by a crash or a failed write — never acknowledged, since the acknowledgement waits until the record's group is
 * durable.
 */
import { createHash } from 'node:crypto';

export const JOURNAL_MAGIC = 0x32524a54; // 'TJR2' read as a little-endian u32
const JOURNAL_MAGIC_V1 = 0x31524a54; // 'TJR1'
const DIGEST = 32;

/** One record read back: its header text, its body and where it lies in what was read. */
export interface JournalRecord {
  header: string;
  body: Buffer;
  start: number;
  end: number;
}

/** The SHA-256 of a record body, as the record holds it. */
export function bodyDigest(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest();
}

function fnv1a(buf: Uint8Array, from: number, to: number): number {
  let x = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    x ^= buf[i] as number;
    x = Math.imul(x, 0x01000193) >>> 0;
  }
  return x;
}

/**
 * Everything of a record before its body (see the layout above): written with the body after it, which is not copied.
 * `digest` is the body's SHA-256 when the caller has it (checked, not trusted: a wrong one makes the record unreadable,
 * so it is only passed where it was verified against the body); computed here otherwise.
 */
export function journalRecordPrefix(header: string, body: Uint8Array, digest: Uint8Array = bodyDigest(body)): Buffer {
  if (digest.length !== DIGEST) throw new Error(`a body digest is ${DIGEST} bytes, not ${digest.length}`);
  const hl = Buffer.byteLength(header, 'utf8');
  const prefixLen = 16 + hl + DIGEST;
  const out = Buffer.allocUnsafe(prefixLen);
  out.writeUInt32LE(prefixLen + body.length, 0);
  out.writeUInt32LE(JOURNAL_MAGIC, 4);
  out.writeUInt32LE(hl, 12);
  out.write(header, 16, 'utf8');
  out.set(digest, 16 + hl);
  out.writeUInt32LE(fnv1a(out, 12, prefixLen), 8);
  return out;
}

/** The bytes of one whole record. */
export function encodeJournalRecord(header: string, body: Uint8Array, digest?: Uint8Array): Buffer {
  return Buffer.concat([journalRecordPrefix(header, body, digest), body]);
}

/** The intact records of `buf` from `offset` on, up to the first thing that is not one (see above). */
export function readJournalRecords(buf: Buffer, offset = 0): JournalRecord[] {
  return scanJournalRecords(buf, offset).records;
}

/**
 * `readJournalRecords`, and why it stopped: `cut` when it ran out of bytes (at the end of a record or inside one), so
 * reading on may find more; not when what follows is no record (zeros after the last one in a preallocated segment,
 * a torn or corrupt record).
 */
export function scanJournalRecords(buf: Buffer, offset = 0): { records: JournalRecord[]; cut: boolean } {
  const records: JournalRecord[] = [];
  let p = offset;
  for (;;) {
    if (p + 16 > buf.length) return { records, cut: true };
    const len = buf.readUInt32LE(p);
    const magic = buf.readUInt32LE(p + 4);
    if (len < 16) break;
    if (p + len > buf.length) return { records, cut: true };
    const hl = buf.readUInt32LE(p + 12);
    const end = p + len;
    let bodyStart: number;
    if (magic === JOURNAL_MAGIC) {
      bodyStart = p + 16 + hl + DIGEST;
      if (bodyStart > end || fnv1a(buf, p + 12, bodyStart) !== buf.readUInt32LE(p + 8)) break;
      const body = buf.subarray(bodyStart, end);
      if (!bodyDigest(body).equals(buf.subarray(bodyStart - DIGEST, bodyStart))) break;
    } else if (magic === JOURNAL_MAGIC_V1) {
      bodyStart = p + 16 + hl;
      if (bodyStart > end || fnv1a(buf, p + 12, end) !== buf.readUInt32LE(p + 8)) break;
    } else break;
    records.push({ header: buf.toString('utf8', p + 16, p + 16 + hl), body: buf.subarray(bodyStart, end), start: p, end });
    p = end;
  }
  return { records, cut: false };
}
