/**
 * The inbox journal of a SQLite store: where Twilio's callbacks are made durable before their 2xx — Event Streams
 * deliveries, TaskRouter and Conversations callbacks (the routes that answer 204: `Store.ingestJsonBatch`,
 * `Store.journalInbox`).
 *
 * The receiving thread decodes and checks each delivery (core/jsonBatch.ts batchKeys, or the route's validator),
 * appends it as one record (journalRecord.ts) to its writer's segment file in `<store file>.inbox-journal/`
 * (journalWriter.ts) and answers once the record's group is on disk: no SQLite work and no thread hop before the
 * acknowledgement (what bounded the ack ratios: README, "Real-time webhooks"). The inbox processor imports
 * the records into the inbox table when it claims work (`importJournal`, from SqliteStore.claimInbox), one
 * transaction per segment: one inbox row per delivery (migration 0005), and the segment's imported offset with them
 * (`inbox_journals`, migration 0008), so a record is imported exactly once, by whichever process claims first. Dedupe
 * against other deliveries and single items happens at the claim (admin.claimInbox), which counts the repeats.
 *
 * Segments: `<owner>~<seq>.journal`, owner = `<host>~<pid>~<tag>` (one tag per writer), seq increasing and never reused
 * (from the clock). A writer appends only to its newest segment, and moves to a new one after SEGMENT_BYTES, after
 * ROTATE_MS, after a failed write, and at close, writing a seal record (header `{"end":true}`) first when it can. A
 * segment is finished (deleted once imported, then its row) when it is sealed, when its owner has a later segment,
 * when its owner's process is gone (same host, pid not alive), or when it was not written for STALE_MS (a writer never
 * appends to a segment older than ROTATE_MS). What follows the last intact record of a finished segment was never
 * acknowledged. Segments are preallocated (zeros, journalWriter.ts): a reader stops at the zeros after the last record,
 * and a segment has something new when the bytes at its imported offset are not zeros. A writer's next segment waits
 * as `<owner>~spare` (no records); an import deletes the spares of writers that are gone.
 *
 * Personal data: imported bytes stay in a segment until it is finished (at most ROTATE_MS plus an idle check of the
 * writer); `tajo forget` zeroes the imported part of every segment still there (`scrubImportedJournal`).
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readdirSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { arrayElementRanges } from '../../core/jsonBatch.js';
import { iso } from '../rows.js';
import type { SqliteDb } from './db.js';
import { scanJournalRecords } from './journalRecord.js';

/** A writer moves to a new segment past this size. */
export const SEGMENT_BYTES = 16 * 1024 * 1024;
/** ... and when its segment is older than this (imported personal data does not linger). */
export const ROTATE_MS = 10 * 60_000;
/** A segment not written for this long is finished: its writer would have moved on long ago. */
export const STALE_MS = 60 * 60_000;
/**
 * Bytes one `importJournal` call reads at most (whole records; a longer one alone): a claim after a long pause of the
 * processor imports the backlog a chunk at a time instead of holding the event loop for all of it (73 k deliveries,
 * 380 MB, took 5.8 s in one call; 2 MB is ~400 Event Streams deliveries of 5 events, ~30 ms, more than a claim takes).
 */
export const IMPORT_BYTES = 2 * 1024 * 1024;
/** An import reads a segment this much at a time: a preallocated one is mostly zeros past its last record. */
const READ_BYTES = 256 * 1024;

/** The journal directory of a store file. */
export function journalDirOf(storeFile: string): string {
  return `${storeFile}.inbox-journal`;
}

/** This host's name as segment names hold it. */
export function journalHost(): string {
  return hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';
}

/** A segment's parts, from its file name (undefined: not a segment). */
export interface SegmentName {
  name: string;
  owner: string;
  host: string;
  pid: number;
  seq: number;
}

/** A new writer's owner: this host, this process and a tag of its own. */
export function newJournalOwner(): string {
  return `${journalHost()}~${process.pid}~${randomBytes(4).toString('hex')}`;
}

/** The file name of an owner's segment `seq` (what `parseSegmentName` reads). */
export function segmentName(owner: string, seq: number): string {
  return `${owner}~${String(seq).padStart(13, '0')}.journal`;
}

/** The file name of an owner's spare: its next segment, zeros written ahead (journalWriter.ts); not a segment. */
export function spareName(owner: string): string {
  return `${owner}~spare`;
}

function parseSpareName(name: string): Pick<SegmentName, 'name' | 'host' | 'pid'> | undefined {
  const m = /^([A-Za-z0-9._-]+)~(\d+)~([0-9a-f]+)~spare$/.exec(name);
  return m ? { name, host: m[1] as string, pid: Number(m[2]) } : undefined;
}

export function parseSegmentName(name: string): SegmentName | undefined {
  const m = /^([A-Za-z0-9._-]+)~(\d+)~([0-9a-f]+)~(\d+)\.journal$/.exec(name);
  if (!m) return undefined;
  return { name, owner: `${m[1]}~${m[2]}~${m[3]}`, host: m[1] as string, pid: Number(m[2]), seq: Number(m[4]) };
}

function processGone(seg: Pick<SegmentName, 'host' | 'pid'>): boolean {
  if (seg.host !== journalHost() || seg.pid === process.pid) return false;
  try {
    process.kill(seg.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function listSegments(dir: string, names = listDir(dir)): SegmentName[] {
  return names.flatMap((n) => parseSegmentName(n) ?? []).sort((a, b) => a.owner.localeCompare(b.owner) || a.seq - b.seq);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Deletes the spares of writers that are gone (same host, pid not alive) or were not written for STALE_MS. */
function deleteDeadSpares(dir: string, names: string[]): void {
  for (const n of names) {
    const spare = parseSpareName(n);
    if (!spare) continue;
    const file = join(dir, n);
    try {
      if (processGone(spare) || Date.now() - statSync(file).mtimeMs > STALE_MS) unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** A descriptor of `file`, or undefined when it is gone (an import elsewhere deleted it). */
function openIfThere(file: string, flags: 'r' | 'r+'): number | undefined {
  try {
    return openSync(file, flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when a record may start at `at` (its length is not zero: a preallocated segment has zeros past its last one). */
function recordAt(file: string, at: number): boolean {
  const fd = openIfThere(file, 'r');
  if (fd === undefined) return false;
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, at) === 4 && b.readUInt32LE(0) !== 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of `file` from `from` on, at most `limit` of them unless the first record there is longer (undefined: the
 * file is gone); `partial` when bytes were left unread.
 */
function readFrom(file: string, from: number, limit: number): { buf: Buffer; partial: boolean } | undefined {
  const fd = openIfThere(file, 'r');
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    const read = (n: number) => {
      const buf = Buffer.allocUnsafe(Math.max(0, n));
      let got = 0;
      while (got < buf.length) {
        const k = readSync(fd, buf, got, buf.length - got, from + got);
        if (k === 0) break;
        got += k;
      }
      return buf.subarray(0, got);
    };
    let buf = read(Math.min(size - from, limit));
    if (buf.length >= 4 && buf.readUInt32LE(0) > buf.length) buf = read(Math.min(size - from, buf.readUInt32LE(0)));
    return { buf, partial: from + buf.length < size };
  } finally {
    closeSync(fd);
  }
}

/** A record's header: the delivery's source, when it was received, its items' keys in order; or a seal. */
interface RecordHeader {
  s?: string;
  a?: string;
  k?: string[];
  end?: true;
}

let batchRows = 0;
const rowTag = Math.random().toString(36).slice(2, 8);

/**
 * One delivery → one inbox row holding its items (migration 0005): the body as received, or, when a key repeats in it,
 * the slices of the first of each. Whether another row holds a key is not looked up here: the claim registers the
 * row's keys and flags the items another row holds (admin.claimInbox), which counts them as the processor's
 * duplicates, so every repeat of an event across deliveries is counted in one place. Returns the items stored.
 */
function insertBatchRow(db: SqliteDb, source: string, at: string, keys: readonly string[], body: Buffer): number {
  const idx: number[] = [];
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k)) return;
    seen.add(k);
    idx.push(i);
  });
  if (idx.length === 0) return 0;
  let payload: string;
  if (idx.length === keys.length) payload = body.toString('utf8');
  else {
    const ranges = arrayElementRanges(body);
    if (ranges && ranges.length === keys.length) payload = `[${idx.map((i) => body.toString('utf8', ranges[i]![0], ranges[i]![1])).join(',')}]`;
    else {
      const items = JSON.parse(body.toString('utf8')) as unknown[];
      payload = JSON.stringify(idx.map((i) => items[i]));
    }
  }
  // inbox.key is unique and two rows may start with the same event: the row's own key, taken by the index as an append
  const rowKey = `batch:${Date.now().toString(36)}:${rowTag}:${(++batchRows).toString(36)}`;
  db.stmt("INSERT INTO inbox (key, source, payload, status, received_at, item_keys) VALUES (?, ?, ?, 'pending', ?, ?)")
    .run(rowKey, source, payload, at, JSON.stringify(idx.map((i) => keys[i])));
  return idx.length;
}

export interface JournalImport {
  /** Deliveries read from the journal, and their items stored (distinct keys). */
  deliveries: number;
  items: number;
  /** Finished segments deleted. */
  segmentsDeleted: number;
}

/**
 * Imports every segment's records past its imported offset into the inbox (see the top of this file), and deletes the
 * finished segments that are wholly imported. Safe to run in several processes at once: each segment's import reads
 * its offset, the file and writes the rows in one write transaction.
 */
export function importJournal(db: SqliteDb, dir: string, nowMs = Date.now(), maxBytes = IMPORT_BYTES): JournalImport {
  const out: JournalImport = { deliveries: 0, items: 0, segmentsDeleted: 0 };
  const names = listDir(dir);
  const segments = listSegments(dir, names);
  const newest = new Map<string, number>();
  for (const s of segments) newest.set(s.owner, Math.max(newest.get(s.owner) ?? 0, s.seq));
  const importedOf = (name: string) => (db.stmt('SELECT imported FROM inbox_journals WHERE name = ?').get(name) as { imported: number } | undefined)?.imported ?? 0;
  let budget = maxBytes;
  for (const seg of segments) {
    const file = join(dir, seg.name);
    let st: { size: number; mtimeMs: number };
    try {
      st = statSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      continue; // deleted by another import since the listing
    }
    // file times are the machine's: not `nowMs`, the store's clock, which tests and the emulator may move
    const ownerDone = (newest.get(seg.owner) ?? 0) > seg.seq || processGone(seg) || Date.now() - st.mtimeMs > STALE_MS;
    // nothing new and not finished: no write transaction (a claim runs this every time); budget spent: next time
    const imported = db.read(() => importedOf(seg.name));
    const fresh = st.size > imported && recordAt(file, imported);
    if (!fresh ? !ownerDone : budget <= 0) continue;
    const r = db.tx(() => {
      const from = importedOf(seg.name);
      let pos = from;
      let sealed = false;
      let more = false;
      let gone = false;
      for (;;) {
        const read = readFrom(file, pos, Math.min(Math.max(budget - (pos - from), 0), READ_BYTES));
        if (!read) {
          gone = true; // what was read of it is kept: the rows and the offset commit together
          break;
        }
        const scan = scanJournalRecords(read.buf);
        for (const rec of scan.records) {
          const h = JSON.parse(rec.header) as RecordHeader;
          if (h.end) {
            sealed = true;
            continue;
          }
          out.deliveries += 1;
          out.items += insertBatchRow(db, h.s ?? 'event-streams', h.a ?? iso(nowMs), h.k ?? [], rec.body);
        }
        const consumed = scan.records.at(-1)?.end ?? 0;
        pos += consumed;
        // the bytes read ended inside a record and the file goes on: read on (past the budget: next time)
        more = scan.cut && read.partial;
        if (!more || sealed || consumed === 0 || pos - from >= budget) break;
      }
      budget -= pos - from;
      if (pos > from) {
        db.stmt('INSERT INTO inbox_journals (name, imported, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET imported = excluded.imported, updated_at = excluded.updated_at')
          .run(seg.name, pos, iso(nowMs));
      }
      // a finished segment read only in part (the budget) has more to import next time
      return { finished: !gone && (sealed || (ownerDone && !more)), gone };
    });
    if (r.finished || r.gone) {
      try {
        unlinkSync(file);
        if (!r.gone) out.segmentsDeleted += 1;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      // the row after its file: a segment on disk without a row is read from its start
      db.tx(() => db.stmt('DELETE FROM inbox_journals WHERE name = ?').run(seg.name));
    }
  }
  deleteDeadSpares(dir, names);
  return out;
}

/**
 * Zeroes the imported part of every segment still on disk (`tajo forget`: no copy of a forgotten person's webhooks
 * stays in the journal). Call after `importJournal`: everything acknowledged before is then imported, and the imported
 * part is never read again. Returns the segments scrubbed.
 */
export function scrubImportedJournal(db: SqliteDb, dir: string): number {
  let n = 0;
  for (const seg of listSegments(dir)) {
    const row = db.read(() => db.stmt('SELECT imported FROM inbox_journals WHERE name = ?').get(seg.name)) as { imported: number } | undefined;
    if (!row || row.imported <= 0) continue;
    const fd = openIfThere(join(dir, seg.name), 'r+');
    if (fd === undefined) continue;
    try {
      const zeros = Buffer.alloc(Math.min(row.imported, 1 << 20));
      for (let p = 0; p < row.imported; p += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, row.imported - p), p);
      fdatasyncSync(fd);
      n += 1;
    } finally {
      closeSync(fd);
    }
  }
  return n;
}
