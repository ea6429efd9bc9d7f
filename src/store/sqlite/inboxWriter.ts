/**
 * The webhook inbox's commit, off the event loop. better-sqlite3 is synchronous: a durable commit (`synchronous =
 * FULL`, one fsync of the WAL) would block the server's event loop for its whole duration, so requests arriving
 * meanwhile could neither be parsed nor join the next group commit. This worker thread owns a second connection to
 * the same file and runs only the inbox writes; the main thread keeps parsing and verifying requests while it syncs,
 * and posts each delivery at once: the thread commits whatever queued up meanwhile as one group.
 *
 * A JSON batch body (`writeJsonBatch`: Event Streams) is decoded here: the thread parses it and checks it against a
 * declarative `JsonBatchSpec`; a body the spec does not accept as is comes back untouched (nothing written) for the
 * main thread's own decoding and validation. An accepted body is made durable in the thread's JOURNAL before its
 * promise resolves: one record appended to an append-only file (journalRecord.ts) and one fdatasync for the group —
 * no SQLite work before the 2xx. The thread imports the journal into the inbox shortly after, many deliveries per
 * transaction: as ONE inbox row per delivery holding its new items (migration 0005; duplicates of any stored key are
 * dropped there, and counted then: `onImported`). The imported offset advances in the same transaction
 * (`inbox_journals`, migration 0006), so each record is imported exactly once. An import runs
 *   - before any other inbox write of the thread (single items: their dedupe sees every journaled key),
 *   - on `flush()`, which `claimInbox` calls first (a reader in this process sees every acknowledged delivery),
 *   - when the unimported records pass IMPORT_BYTES, and IMPORT_MS after the first of them at the latest.
 * A journal wholly imported and past RECYCLE_BYTES is written again from its start under the next generation. A thread
 * (or process) that dies leaves its journal: the next writer thread started on this database imports what it holds
 * (owner gone: same host and the pid no longer alive, or a thread of this process that died) and deletes it.
 *
 * Single items (`write`: TaskRouter callbacks and the other routes) are inserted as before, in one transaction per
 * group, since their reply carries which keys were new. Same contract for both: the promise resolves once the
 * delivery is durable, rejects with TAJO_STORE_UNAVAILABLE on lock/I/O failures or when the thread died (the route
 * answers 503 and the sender retries). Both connections are writers of one WAL file: SQLite serialises them
 * (busy_timeout), as it does between processes.
 */
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TajoError } from '../../core/errors.js';
import { arrayElementRanges, hasSpecFields, type JsonBatchSpec } from '../../core/jsonBatch.js';
import { isUnavailable } from './db.js';
import { encodeJournalRecord, readJournalRecords } from './journalRecord.js';

/**
 * The insert of one item both paths run (admin.ingest in-thread, the worker here): parameters key, source, payload,
 * received_at, key again. A key a batch row holds (`inbox_keys`, migration 0005) is a duplicate too.
 */
export const INBOX_INSERT_SQL = `INSERT INTO inbox (key, source, payload, status, received_at)
  SELECT ?, ?, ?, 'pending', ? WHERE NOT EXISTS (SELECT 1 FROM inbox_keys WHERE key = ?) ON CONFLICT (key) DO NOTHING`;

/** [key, source, payload JSON] — strings only, cheap to post. */
export type InboxRow = [string, string, string];

// Plain JavaScript evaluated in the worker (`eval: true`): no TypeScript loader is needed in the thread, whether the
// package runs from dist/, under tsx or under vitest. better-sqlite3 is loaded from the path the main thread resolved.
// Group commit happens here: when the thread picks up a write it also takes every write queued behind it
// (receiveMessageOnPort, up to maxRows items) and makes them all durable at once, one fsync, one reply. The main
// thread posts each write as it comes and never waits for the previous answer before posting the next.
// Messages: {id, rows, at} (items), [id, bytes, specId, source, at] (a JSON batch body: an array is the cheapest
// message to clone), {specId, spec} (a JsonBatchSpec, posted once), {flush: id}, {close: true}.
// Replies: {ids, keys, totals, journaled} per group, {ids, error} when it failed, {imported: [[source, items, new]]}
// after each import.
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const elementRanges = (${arrayElementRanges.toString()});
const hasSpecFields = (${hasSpecFields.toString()});
const encodeRecord = (${encodeJournalRecord.toString()});
const readRecords = (${readJournalRecords.toString()});
const specs = [];
const J = workerData.journal;
// A JSON batch body (see JsonBatchSpec) decoded and checked: its items' keys and the body's text, or null when the
// body is not one the spec accepts as is (the main thread then decodes and validates it itself).
function decodeBatch(bytes, spec) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('utf8');
  let items;
  try { items = JSON.parse(text); } catch { return null; }
  if (!Array.isArray(items) || items.length < 1 || items.length > spec.maxItems) return null;
  for (const e of items) if (!hasSpecFields(e, spec) || spec.fallbackTypes.includes(e[spec.typeField])) return null;
  return { buf, text, items, keys: items.map((e) => e[spec.keyField]) };
}
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = ' + workerData.synchronous);
// No checkpoint inside a commit: SQLite's automatic one runs in the COMMIT that crosses 1000 WAL pages, so that
// group's acknowledgements would wait for it. The thread checkpoints after it has answered instead.
db.pragma('wal_autocheckpoint = 0');
let rowsSinceCheckpoint = 0;
const insert = db.prepare(workerData.sql);
const inInbox = db.prepare('SELECT 1 FROM inbox WHERE key = ?').pluck();
const insertBatch = db.prepare("INSERT INTO inbox (key, source, payload, status, received_at, item_keys) VALUES (?, ?, ?, 'pending', ?, ?)");
const insertKey = db.prepare('INSERT INTO inbox_keys (key, inbox_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
const narrowBatch = db.prepare('UPDATE inbox SET key = ?, payload = ?, item_keys = ? WHERE id = ?');
const dropBatch = db.prepare('DELETE FROM inbox WHERE id = ?');
// The items at indexes idx of a batch body as a JSON array of their slices of it (re-serialised only should the element
// scanner not find the items JSON.parse found).
function subset(b, idx) {
  if (b.ranges === undefined) b.ranges = elementRanges(b.buf);
  const ranges = b.ranges;
  if (ranges && ranges.length === b.keys.length) return '[' + idx.map((i) => b.buf.toString('utf8', ranges[i][0], ranges[i][1])).join(',') + ']';
  if (b.items === undefined) b.items = JSON.parse(b.text);
  return JSON.stringify(idx.map((i) => b.items[i]));
}
// One batch body → one row holding its new items (migration 0005): the body as received when every item is new, else
// the new items' slices of it. Returns the new keys. The row goes in first, presuming its items new (they nearly always
// are): the key inserts then find the ones another batch row holds, each in one b-tree descent, and only then is the
// row narrowed (or dropped). Keys single items hold are looked up in inbox.key before.
function writeBatch(b, source, at) {
  const cand = [];
  const seen = new Set();
  b.keys.forEach((k, i) => {
    if (seen.has(k)) return;
    seen.add(k);
    if (inInbox.get(k) === undefined) cand.push(i);
  });
  if (cand.length === 0) return [];
  const id = insertBatch.run(b.keys[cand[0]], source, cand.length === b.keys.length ? b.text : subset(b, cand), at, JSON.stringify(cand.map((i) => b.keys[i]))).lastInsertRowid;
  const fresh = cand.filter((i) => insertKey.run(b.keys[i], id).changes === 1);
  const keys = fresh.map((i) => b.keys[i]);
  if (fresh.length === 0) dropBatch.run(id);
  else if (fresh.length < cand.length) narrowBatch.run(keys[0], subset(b, fresh), JSON.stringify(keys), id);
  return keys;
}
const distinct = (keys) => [...new Set(keys)];

// --- the journal -------------------------------------------------------------------------------------------------
const jAll = db.prepare('SELECT name, owner, generation, imported FROM inbox_journals');
const jInsert = db.prepare('INSERT INTO inbox_journals (name, owner, generation, imported, updated_at) VALUES (?, ?, 1, 0, ?)');
const jAdvance = db.prepare('UPDATE inbox_journals SET generation = ?, imported = ?, updated_at = ? WHERE name = ? AND generation = ? AND imported = ?');
const jDelete = db.prepare('DELETE FROM inbox_journals WHERE name = ? AND generation = ? AND imported = ?');
// {name, file, fd, gen, pos: end of the records written, imported: offset imported, pending: records written, not
// imported yet ({keys, text, buf, source, at, end}), pendingBytes, firstMs}
let journal;
let importTimer;
const stats = new Map();
const count = (source, items, fresh) => {
  const s = stats.get(source) || [source, 0, 0];
  s[1] += items;
  s[2] += fresh;
  stats.set(source, s);
};
function postStats() {
  if (stats.size === 0) return;
  parentPort.postMessage({ imported: [...stats.values()] });
  stats.clear();
}
function ownerGone(owner) {
  if (J.deadOwners.includes(owner)) return true;
  const [host, pid] = owner.split(':');
  if (host !== os.hostname()) return false;
  const n = Number(pid);
  if (!Number.isInteger(n) || n === process.pid) return false;
  try { process.kill(n, 0); return false; } catch (e) { return e.code === 'ESRCH'; }
}
// A record's header: {s: source, a: received_at, k: the keys of its items, in order}.
function importRecord(header, body) {
  const h = JSON.parse(header);
  const buf = Buffer.from(body);
  const keys = writeBatch({ buf, text: buf.toString('utf8'), keys: h.k }, h.s, h.a);
  count(h.s, distinct(h.k).length, keys.length);
}
// Journals whose owner is gone: import what they hold past their imported offset, then drop row and file. The row goes
// only if it is unchanged (another thread recovering it at the same time found it first: nothing is imported twice).
function recover() {
  for (const row of jAll.all()) {
    if (!ownerGone(row.owner)) continue;
    const file = path.join(J.dir, row.name);
    let buf = null;
    try { buf = fs.readFileSync(file); } catch (e) { if (e.code !== 'ENOENT') throw e; }
    const records = buf ? readRecords(buf, row.imported, row.generation) : [];
    const done = db.transaction(() => {
      if (jDelete.run(row.name, row.generation, row.imported).changes !== 1) return false;
      for (const r of records) importRecord(r.header, r.body);
      return true;
    }).immediate();
    if (done) try { fs.unlinkSync(file); } catch {}
  }
  postStats();
}
function openJournal() {
  fs.mkdirSync(J.dir, { recursive: true });
  const name = J.owner.replace(/[^A-Za-z0-9_.-]/g, '_') + '-' + Date.now().toString(36) + '.journal';
  // The row before the file: a journal on disk always has its row until all of it is imported.
  db.transaction(() => jInsert.run(name, J.owner, new Date().toISOString())).immediate();
  const file = path.join(J.dir, name);
  const fd = fs.openSync(file, 'w+');
  // Zeros ahead: a write over allocated blocks syncs faster than one that grows the file (its size is metadata).
  fs.writeSync(fd, Buffer.alloc(J.recycleBytes));
  fs.fsyncSync(fd);
  const dir = fs.openSync(J.dir, 'r');
  try { fs.fsyncSync(dir); } finally { fs.closeSync(dir); }
  journal = { name, file, fd, gen: 1, pos: 0, imported: 0, pending: [], pendingBytes: 0, firstMs: 0 };
}
// Appends the group's records and syncs them; on failure nothing of the group counts (the position stays, the next
// write goes over it) and the caller answers with the error.
function journalAppend(ws) {
  const records = ws.map((w) => encodeRecord(journal.gen, JSON.stringify({ s: w.source, a: w.at, k: w.decoded.keys }), w.decoded.buf));
  let pos = journal.pos;
  const ends = records.map((r) => (pos += r.length));
  const all = records.length === 1 ? records[0] : Buffer.concat(records);
  let off = 0;
  while (off < all.length) off += fs.writeSync(journal.fd, all, off, all.length - off, journal.pos + off);
  if (J.sync) fs.fdatasyncSync(journal.fd);
  if (journal.pending.length === 0) journal.firstMs = Date.now();
  ws.forEach((w, i) => journal.pending.push({ keys: w.decoded.keys, text: w.decoded.text, buf: w.decoded.buf, source: w.source, at: w.at, end: ends[i] }));
  journal.pendingBytes += all.length;
  journal.pos = pos;
}
// Inside a transaction: the pending records into the inbox, and the imported offset with them. A journal wholly
// imported and long enough starts over (next generation) once this commits.
function importPending() {
  if (!journal || journal.pending.length === 0) return undefined;
  let items = 0;
  for (const r of journal.pending) {
    count(r.source, distinct(r.keys).length, writeBatch(r, r.source, r.at).length);
    items += r.keys.length;
  }
  const end = journal.pos;
  const next = end >= J.recycleBytes ? { gen: journal.gen + 1, imported: 0, items } : { gen: journal.gen, imported: end, items };
  if (jAdvance.run(next.gen, next.imported, new Date().toISOString(), journal.name, journal.gen, journal.imported).changes !== 1) {
    throw new Error('inbox journal row ' + journal.name + ' changed under its owner');
  }
  return next;
}
function afterImport(next) {
  if (!next) return;
  journal.pending = [];
  journal.pendingBytes = 0;
  journal.imported = next.imported;
  if (next.gen !== journal.gen) {
    journal.gen = next.gen;
    journal.pos = 0;
  }
}
const runImport = db.transaction(() => importPending());
function importNow() {
  if (importTimer) { clearTimeout(importTimer); importTimer = undefined; }
  if (!journal || journal.pending.length === 0) return;
  let next;
  try {
    next = runImport.immediate();
  } catch (e) {
    // Stays pending (and journaled): the next import retries it.
    importTimer = setTimeout(importNow, J.importMs);
    return;
  }
  afterImport(next);
  postStats();
  maybeCheckpoint(next ? next.items : 0);
}
function scheduleImport() {
  if (!journal || journal.pending.length === 0) return;
  if (journal.pendingBytes >= J.importBytes) return importNow();
  if (!importTimer) importTimer = setTimeout(importNow, Math.max(0, J.importMs - (Date.now() - journal.firstMs)));
}
function maybeCheckpoint(rows) {
  rowsSinceCheckpoint += rows;
  if (rowsSinceCheckpoint < workerData.checkpointRows) return;
  rowsSinceCheckpoint = 0;
  // PASSIVE: copies what it can without waiting for readers or writers; a failure only leaves the WAL longer.
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}
// A lock held elsewhere (busy_timeout) or an unwritable directory must not stop the thread: without a journal, bodies
// are inserted before their answer as without one, and the journal is tried again a second later.
let journalRetryMs = 0;
function ensureJournal() {
  if (!J || journal || Date.now() < journalRetryMs) return;
  try {
    recover();
    openJournal();
  } catch {
    journalRetryMs = Date.now() + 1000;
  }
}
ensureJournal();

// Single items (and, without a journal, batch bodies), after the journal's pending records.
const write = db.transaction((writes) => {
  const next = importPending();
  const keys = writes.map((m) => {
    if (m.flush) return [];
    if (m.decoded) return writeBatch(m.decoded, m.source, m.at);
    const keys = [];
    for (const r of m.rows) if (insert.run(r[0], r[1], r[2], m.at, r[0]).changes) keys.push(r[0]);
    return keys;
  });
  return { keys, next };
});
const errorOf = (e) => ({ code: typeof e.code === 'string' ? e.code : undefined, message: String(e && e.message || e) });
parentPort.on('message', (first) => {
  ensureJournal();
  const writes = [];
  let closing = false;
  let rows = 0;
  for (let m = first; m; ) {
    if (Array.isArray(m)) {
      const decoded = decodeBatch(m[1], specs[m[2]]);
      m = { id: m[0], source: m[3], at: m[4], decoded };
      if (decoded) rows += decoded.keys.length;
    } else if (m.close) { closing = true; break; }
    else if (m.spec) { specs[m.specId] = m.spec; m = undefined; }
    else if (m.flush) m = { id: m.flush, flush: true };
    else rows += m.rows.length;
    if (m) writes.push(m);
    if (rows >= workerData.maxRows) break;
    const next = receiveMessageOnPort(parentPort);
    m = next && next.message;
  }
  // Bodies the spec did not take: handed back at once.
  const refused = writes.filter((w) => w.decoded === null);
  if (refused.length > 0) parentPort.postMessage({ ids: refused.map((w) => w.id), keys: refused.map(() => null) });
  const journaled = journal ? writes.filter((w) => w.decoded) : [];
  if (journaled.length > 0) {
    const ids = journaled.map((w) => w.id);
    try {
      journalAppend(journaled);
      parentPort.postMessage({ ids, keys: journaled.map((w) => distinct(w.decoded.keys)), totals: journaled.map((w) => w.decoded.keys.length), journaled: true });
    } catch (e) {
      parentPort.postMessage({ ids, error: errorOf(e) });
    }
  }
  const rest = writes.filter((w) => w.decoded !== null && !(journal && w.decoded));
  if (rest.length > 0 || (closing && journal)) {
    const ids = rest.map((w) => w.id);
    try {
      const r = write.immediate(rest);
      afterImport(r.next);
      // The import's counts before the answer: a flush() resolves after its listeners ran.
      postStats();
      if (ids.length > 0) parentPort.postMessage({ ids, keys: r.keys, totals: rest.map((w) => (w.decoded ? w.decoded.keys.length : undefined)) });
      maybeCheckpoint(rows + (r.next ? r.next.items : 0));
    } catch (e) {
      if (ids.length > 0) parentPort.postMessage({ ids, error: errorOf(e) });
    }
  } else {
    scheduleImport();
    if (journaled.length > 0) maybeCheckpoint(0);
  }
  if (closing) {
    if (importTimer) clearTimeout(importTimer);
    if (journal && journal.pending.length === 0) {
      // Everything imported: the journal goes (its row first: a row without its file is dropped by recovery).
      try {
        db.transaction(() => jDelete.run(journal.name, journal.gen, journal.imported)).immediate();
        fs.closeSync(journal.fd);
        fs.unlinkSync(journal.file);
      } catch {}
    }
    db.close();
    parentPort.close();
  }
});
`;

interface Pending {
  resolve: (r: { keys: string[] | null; total: number | undefined; journaled: boolean }) => void;
  reject: (err: unknown) => void;
  /** The thread it was posted to: a thread that dies fails its own writes only. */
  worker: Worker;
}

/**
 * One group answered: the writes' ids and, in the same order, each write's keys (new ones; for a journaled body its
 * distinct keys, deduped at import; null: a batch body the spec did not accept, nothing written) and, for batch bodies,
 * their item count (or the group's error). Or, after an import, what it stored by source.
 */
interface Reply {
  ids?: number[];
  keys?: (string[] | null)[];
  totals?: (number | undefined)[];
  journaled?: boolean;
  error?: { code?: string; message: string };
  imported?: [string, number, number][];
}

/**
 * A batch body the thread took: its item count and either the keys that were new (`journaled` false: inserted) or
 * its distinct keys (`journaled` true: durable in the journal, deduped when imported, see `onImported`).
 */
export interface BatchWritten {
  keys: string[];
  total: number;
  journaled: boolean;
}

/** An import's outcome for one source: the items it read from the journal and those that were new. */
export interface JournalImport {
  source: string;
  items: number;
  accepted: number;
}

/** Rows per group commit (a transaction the thread holds the write lock for). */
const MAX_GROUP_ROWS = 5000;
/** Inbox rows between the thread's own WAL checkpoints (about SQLite's default of 1000 pages for ~1 KB payloads). */
const CHECKPOINT_ROWS = 3000;
/** Journaled bytes that trigger an import (about a hundred Event Streams deliveries). */
const IMPORT_BYTES = 256 * 1024;
/** The longest a journaled delivery waits for its import when nothing else triggers one. */
const IMPORT_MS = 50;
/** A journal wholly imported past this size is written again from its start; also what a new journal preallocates. */
const RECYCLE_BYTES = 8 * 1024 * 1024;
/** Owners (`host:pid:n`) of this process's threads that ended: their journals are recovered by the next thread. */
const endedOwners = new Set<string>();
let threadCount = 0;

export interface InboxWriterOptions {
  busyTimeoutMs: number;
  synchronous: 'FULL' | 'NORMAL';
  /** Journal JSON batch bodies (see above) in this directory; undefined: insert them before answering, as single items. */
  journalDir?: string | undefined;
  /** RECYCLE_BYTES (tests: a journal that starts over after a few deliveries). */
  journalRecycleBytes?: number;
}

export class InboxWriterThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;
  private answered = 0;
  /** The batch specs the current thread was sent, by the id its messages name them with. */
  private specIds = new Map<JsonBatchSpec, number>();
  private readonly importListeners = new Set<(r: JournalImport) => void>();

  constructor(
    private readonly file: string,
    private readonly opts: InboxWriterOptions,
  ) {}

  /** Groups the thread has answered. */
  get commits(): number {
    return this.answered;
  }

  /**
   * Starts the thread now when a journal directory holds files (a process that stopped left deliveries to import), so
   * they reach the inbox without waiting for the next webhook.
   */
  recoverNow(): void {
    const dir = this.opts.journalDir;
    if (dir === undefined || this.closed || this.worker) return;
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      return;
    }
    if (files.length > 0) this.spawn();
  }

  /** Called after each import with what it stored, by source; returns the unsubscribe function. */
  onImported(fn: (r: JournalImport) => void): () => void {
    this.importListeners.add(fn);
    return () => this.importListeners.delete(fn);
  }

  /** Inserts the rows in one transaction (with any writes queued behind them); resolves with the keys that were new. */
  async write(rows: InboxRow[], at: string): Promise<string[]> {
    return (await this.post((id) => ({ id, rows, at }))).keys ?? [];
  }

  /** Imports every journaled delivery now (no-op without a thread): what a reader of the inbox calls first. */
  async flush(): Promise<void> {
    if (!this.worker || this.closed) return;
    await this.post((id) => ({ flush: id }));
  }

  /**
   * Decodes and checks (`spec`) a JSON batch body in the thread, so the main thread neither parses nor serialises it,
   * and makes it durable (journaled, or inserted without a journal); resolves undefined, nothing written, when the body
   * is not one the spec accepts as is.
   */
  async writeJsonBatch(body: Buffer, source: string, spec: JsonBatchSpec, at: string): Promise<BatchWritten | undefined> {
    if (this.closed) throw new TajoError('TAJO_STORE_UNAVAILABLE', 'State store is closed');
    const w = this.worker ?? this.spawn();
    let specId = this.specIds.get(spec);
    if (specId === undefined) {
      specId = this.specIds.size;
      this.specIds.set(spec, specId);
      w.postMessage({ specId, spec });
    }
    // A view into a larger buffer (the socket's, a pool) would be cloned whole: post a copy of just the body then.
    const bytes = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : new Uint8Array(body);
    const r = await this.post((id) => [id, bytes, specId, source, at]);
    return r.keys === null ? undefined : { keys: r.keys, total: r.total ?? r.keys.length, journaled: r.journaled };
  }

  private post(message: (id: number) => unknown): Promise<{ keys: string[] | null; total: number | undefined; journaled: boolean }> {
    if (this.closed) return Promise.reject(new TajoError('TAJO_STORE_UNAVAILABLE', 'State store is closed'));
    const w = this.worker ?? this.spawn();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      // Keep the process alive only while a write is outstanding (a CLI that ingested once can still exit).
      if (this.pending.size === 1) w.ref();
      w.postMessage(message(id));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    // Writes already posted are answered first (messages are handled in order), then the thread imports what its
    // journal holds and closes its connection.
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      // An idle writer is unref'd: keep the process alive until the thread has closed its connection.
      w.ref();
      w.postMessage({ close: true });
    });
    this.failAll(new TajoError('TAJO_STORE_UNAVAILABLE', 'State store closed during an inbox commit'));
  }

  private spawn(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const owner = `${hostname()}:${process.pid}:${++threadCount}`;
    const journal = this.opts.journalDir === undefined
      ? null
      : { dir: this.opts.journalDir, owner, deadOwners: [...endedOwners], sync: this.opts.synchronous === 'FULL', importBytes: IMPORT_BYTES, importMs: IMPORT_MS, recycleBytes: this.opts.journalRecycleBytes ?? RECYCLE_BYTES };
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file: this.file, busyTimeoutMs: this.opts.busyTimeoutMs, synchronous: this.opts.synchronous, sql: INBOX_INSERT_SQL, maxRows: MAX_GROUP_ROWS, checkpointRows: CHECKPOINT_ROWS, journal },
    });
    w.unref();
    this.specIds = new Map();
    w.on('message', (m: Reply) => {
      if (m.imported) {
        for (const [source, items, accepted] of m.imported) for (const fn of this.importListeners) fn({ source, items, accepted });
        return;
      }
      this.answered += 1;
      const err = m.keys ? undefined : workerError(m.error);
      (m.ids ?? []).forEach((id, i) => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        if (err) p.reject(err);
        else p.resolve({ keys: m.keys?.[i] ?? null, total: m.totals?.[i] ?? undefined, journaled: m.journaled === true });
      });
      if (this.pending.size === 0) w.unref();
    });
    const died = (why: string) => {
      if (this.worker === w) this.worker = undefined;
      this.failAll(new TajoError('TAJO_STORE_UNAVAILABLE', `Inbox writer stopped: ${why}`), w);
    };
    w.on('error', (err) => died(err.message));
    w.on('exit', (code) => {
      endedOwners.add(owner);
      if (!this.closed) died(`exit ${code}`);
    });
    this.worker = w;
    return w;
  }

  private failAll(err: Error, worker?: Worker): void {
    for (const [id, p] of this.pending) {
      if (worker !== undefined && p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(err);
    }
  }
}

/** Lock and I/O failures are the store being unavailable (a 503 and a retry); anything else is a bug. */
function workerError(e: Reply['error']): Error {
  const message = e?.message ?? 'unknown error';
  if (isUnavailable({ code: e?.code })) return new TajoError('TAJO_STORE_UNAVAILABLE', `State store is unavailable (${e?.code})`);
  const err: Error & { code?: string } = new Error(`inbox commit failed: ${message}`);
  if (e?.code !== undefined) err.code = e.code;
  return err;
}
