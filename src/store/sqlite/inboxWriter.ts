/**
 * The webhook inbox's commit, off the event loop. better-sqlite3 is synchronous: a durable commit (`synchronous =
 * FULL`, one fsync of the WAL) would block the server's event loop for its whole duration, so requests arriving
 * meanwhile could neither be parsed nor join the next group commit. This worker thread owns a second connection to
 * the same file and runs only the inbox insert; the main thread keeps parsing and verifying requests while it syncs,
 * and posts each delivery at once: the thread commits whatever queued up meanwhile as one transaction.
 * A JSON batch body (`writeJsonBatch`: Event Streams) is decoded here: the thread parses it and checks it against a
 * declarative `JsonBatchSpec`; a body the spec does not accept as is comes back untouched (nothing written) for the
 * main thread's own decoding and validation. An accepted body is NOT written to SQLite before its 2xx: it is appended
 * as one record to this writer's segment of the inbox journal (inboxJournal.ts), and the group's answer waits for one
 * fdatasync of it. The inbox processor imports the journal into the inbox table when it claims work, one row per
 * delivery (migration 0005), and the claim dedupes. Every design that still wrote each delivery to SQLite before or soon
 * after its 2xx, on whichever thread, kept the Event Streams ack ratio at 0.29–0.38 (README, "Real-time webhooks").
 * Single items (`write`: TaskRouter callbacks, the other routes) are inserted in one transaction per group, as their
 * answer says which keys were new.
 * A third thread, with a connection of its own, checkpoints the WAL (CHECKPOINT_SOURCE) while this one goes on
 * committing, so no answer waits for a whole checkpoint: this thread only copies, after answering a group, the frames
 * committed during that thread's pass, which lets the WAL start over from its first frame.
 * Answers come back on a port of their own, which `post` also polls: the main thread, busy parsing a burst of requests,
 * settles the answers that arrived meanwhile at its next write instead of after the burst (bench, lone Event Streams
 * runs of 5 s, 16 pairs interleaved with the listener alone: median +4 %, 11 of 16 won).
 *
 * Same contract as the in-thread path: the promise resolves after the transaction committed (durable), rejects with
 * TAJO_STORE_UNAVAILABLE on lock/I/O failures or when the thread died (the route answers 503 and the sender
 * retries). Both connections are writers of one WAL file: SQLite serialises them (busy_timeout), as it does
 * between processes.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { TajoError } from '../../core/errors.js';
import { hasSpecFields, type JsonBatchSpec } from '../../core/jsonBatch.js';
import { isUnavailable } from './db.js';
import { journalHost, ROTATE_MS, SEGMENT_BYTES } from './inboxJournal.js';
import { encodeJournalRecord } from './journalRecord.js';

/**
 * The insert of one item both paths run (admin.ingest in-thread, the worker here): parameters key, source, payload,
 * received_at, key again. A key a claimed batch row registered (`inbox_keys`, migration 0005) is a duplicate too; one
 * an unclaimed batch row holds is stored, and the claim flags it (admin.claimInbox).
 */
export const INBOX_INSERT_SQL = `INSERT INTO inbox (key, source, payload, status, received_at)
  SELECT ?, ?, ?, 'pending', ? WHERE NOT EXISTS (SELECT 1 FROM inbox_keys WHERE key = ?) ON CONFLICT (key) DO NOTHING`;

/** [key, source, payload JSON] — strings only, cheap to post. */
export type InboxRow = [string, string, string];

// Plain JavaScript evaluated in the worker (`eval: true`): no TypeScript loader is needed in the thread, whether the
// package runs from dist/, under tsx or under vitest. better-sqlite3 is loaded from the path the main thread resolved.
// Group commit happens here: when the thread picks up a write it also takes every write queued behind it
// (receiveMessageOnPort, up to maxRows items) and commits them all in ONE transaction, one fsync, one reply. The main
// thread posts each write as it comes and never waits for the previous commit's answer before posting the next, so
// under load the thread commits back to back.
// Messages: {id, rows, at} (items), [id, bytes, specId, source, at] (a JSON batch body: an array is the cheapest
// message to clone), {specId, spec} (a JsonBatchSpec, posted once), {close: true}.
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const hasSpecFields = (${hasSpecFields.toString()});
const specs = [];
// A JSON batch body (see JsonBatchSpec) decoded and checked: its bytes and its items' keys, or null when the body is
// not one the spec accepts as is (the main thread then decodes and validates it itself).
function decodeBatch(bytes, spec) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let items;
  try { items = JSON.parse(buf.toString('utf8')); } catch { return null; }
  if (!Array.isArray(items) || items.length < 1 || items.length > spec.maxItems) return null;
  for (const e of items) if (!hasSpecFields(e, spec) || spec.fallbackTypes.includes(e[spec.typeField])) return null;
  return { buf, keys: items.map((e) => e[spec.keyField]) };
}
const Database = require(workerData.driver);
// Group answers go out on a port of their own, which the main thread can also poll (InboxWriterThread.post).
const replyPort = workerData.replyPort;
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = ' + workerData.synchronous);
// No checkpoint inside a commit: SQLite's automatic one runs in the COMMIT that crosses 1000 WAL pages, so that
// group's acknowledgements would wait for it. The checkpoint thread (CHECKPOINT_SOURCE) copies the WAL into the
// database instead, while this thread goes on committing; see the end of a group.
db.pragma('wal_autocheckpoint = 0');
// A WAL that restarted is cut back to this size (it only ever grows otherwise).
db.pragma('journal_size_limit = ' + workerData.walLimitBytes);
let rowsSinceCheckpoint = 0;
let overLimit = false;
const walFile = workerData.file + '-wal';
const fs = require('node:fs');
const path = require('node:path');
const insert = db.prepare(workerData.sql);

// --- the journal (inboxJournal.ts): batch bodies are appended to this writer's newest segment, one record each, and
// answered after one fdatasync per group; the inbox processor imports them.
const J = workerData.journal;
const encodeRecord = (${encodeJournalRecord.toString()});
let seg;
let dirReady = false;
function fsyncDir(d) {
  const fd = fs.openSync(d, 'r');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}
// A new segment, numbered after this owner's last: by the clock, and past any of this owner's still on disk (a thread
// replacing a dead one keeps the owner, so its first segment finishes the dead one's). A number is never used twice,
// not even after its segment was deleted: an import reads a segment from the offset stored under its name. Its
// directory entry is synced before a record in it is acknowledged.
let lastSeq = 0;
function openSegment() {
  if (!dirReady) {
    fs.mkdirSync(J.dir, { recursive: true });
    if (J.sync) fsyncDir(path.dirname(J.dir));
    dirReady = true;
  }
  let seq = Math.max(Date.now(), lastSeq + 1);
  const prefix = J.owner + '~';
  for (const n of fs.readdirSync(J.dir)) {
    if (n.startsWith(prefix) && n.endsWith('.journal')) seq = Math.max(seq, (Number(n.slice(prefix.length, -8)) || 0) + 1);
  }
  lastSeq = seq;
  const fd = fs.openSync(path.join(J.dir, prefix + String(seq).padStart(13, '0') + '.journal'), 'wx');
  if (J.sync) fsyncDir(J.dir);
  seg = { fd, pos: 0, createdMs: Date.now() };
}
// Leaves the segment for good: sealed (the importer deletes it once imported) unless a write failed in it (a later
// segment of this owner finishes it then).
function closeSegment(seal) {
  if (!seg) return;
  const s = seg;
  seg = undefined;
  if (seal) try { const r = encodeRecord('{"end":true}', Buffer.alloc(0)); fs.writeSync(s.fd, r, 0, r.length, s.pos); } catch {}
  try { fs.closeSync(s.fd); } catch {}
}
function journalAppend(ws) {
  const records = ws.map((w) => encodeRecord(JSON.stringify({ s: w.source, a: w.at, k: w.decoded.keys }), w.decoded.buf));
  const all = records.length === 1 ? records[0] : Buffer.concat(records);
  if (seg && seg.pos > 0 && (seg.pos + all.length > J.segmentBytes || Date.now() - seg.createdMs > J.rotateMs)) closeSegment(true);
  if (!seg) openSegment();
  try {
    let off = 0;
    while (off < all.length) off += fs.writeSync(seg.fd, all, off, all.length - off, seg.pos + off);
    if (J.sync) fs.fdatasyncSync(seg.fd);
  } catch (e) {
    // never written over: what the failed group left stays behind the records acknowledged before it
    closeSegment(false);
    throw e;
  }
  seg.pos += all.length;
}
// An idle writer still leaves its segment after rotateMs (imported personal data does not linger in it).
setInterval(() => { if (seg && Date.now() - seg.createdMs > J.rotateMs) closeSegment(true); }, Math.min(60000, J.rotateMs)).unref();
const distinct = (keys) => [...new Set(keys)];
const errorOf = (e) => ({ code: typeof e.code === 'string' ? e.code : undefined, message: String(e && e.message || e) });
const write = db.transaction((writes) => writes.map((m) => {
  const keys = [];
  for (const r of m.rows) if (insert.run(r[0], r[1], r[2], m.at, r[0]).changes) keys.push(r[0]);
  return keys;
}));
parentPort.on('message', (first) => {
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
    else rows += m.rows.length;
    if (m) writes.push(m);
    if (rows >= workerData.maxRows) break;
    const next = receiveMessageOnPort(parentPort);
    m = next && next.message;
  }
  // Batch bodies: the spec's refusals handed back at once, the rest journaled (one fdatasync) and answered.
  const batches = writes.filter((w) => w.decoded !== undefined);
  if (batches.length > 0) {
    const journaled = batches.filter((w) => w.decoded);
    try {
      if (journaled.length > 0) journalAppend(journaled);
      replyPort.postMessage({ ids: batches.map((w) => w.id), keys: batches.map((w) => (w.decoded ? distinct(w.decoded.keys) : null)), totals: batches.map((w) => (w.decoded ? w.decoded.keys.length : undefined)) });
    } catch (e) {
      const refused = batches.filter((w) => !w.decoded);
      if (refused.length > 0) replyPort.postMessage({ ids: refused.map((w) => w.id), keys: refused.map(() => null), totals: refused.map(() => undefined) });
      replyPort.postMessage({ ids: journaled.map((w) => w.id), error: errorOf(e) });
    }
  }
  const singles = writes.filter((w) => w.decoded === undefined);
  if (singles.length > 0) {
    const ids = singles.map((w) => w.id);
    try {
      replyPort.postMessage({ ids, keys: write.immediate(singles) });
    } catch (e) {
      replyPort.postMessage({ ids, error: errorOf(e) });
    }
    // The checkpoint thread answers each pass. What is left then are the frames committed while it copied (one pass's
    // worth of groups): copied here, once this group is answered, they leave the WAL wholly checkpointed, and the next
    // transaction starts it over from its first frame. The WAL is then written over its own blocks instead of growing:
    // an fsync after an append must also journal the file's new size (here 330 against 170 µs), and under a sustained
    // load the WAL used to grow until walLimitBytes (npm run bench:inbox, 4 interleaved pairs: 16 writers 6.6–8.1 k →
    // 7.5–8.8 k writes/s, 4 writers 3.7–4.2 k → 4.6–5.7 k; the WAL ends at 6–10 MB instead of 217–256 MB). The answer is
    // polled here: a 'message' listener would only run once this port's queue ran dry, which a steady load delays. A
    // reader still on an older snapshot stops the copy short; the WAL then grows until a later pass, or the limit below.
    if (receiveMessageOnPort(workerData.checkpointPort)) {
      while (receiveMessageOnPort(workerData.checkpointPort)) {}
      try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    }
    rowsSinceCheckpoint += singles.reduce((n, w) => n + w.rows.length, 0);
    // The checkpoint thread copies the frames; a checkpoint run here held the next group's answers for its whole
    // length (bench:webhooks --random-ids, Event Streams p99 28 ms; 10 ms with the thread). The WAL restarts from its
    // start only after a checkpoint that caught up with it, which the copy above may not reach (a reader on an older
    // snapshot): past walLimitBytes this thread finishes one itself, after every group until the WAL is back under the
    // limit (short: the other thread has copied most of it; when that thread holds the checkpoint lock, the next group
    // tries again).
    // PASSIVE: copies what it can without waiting for readers or writers; a failure only leaves the WAL longer.
    if (overLimit || rowsSinceCheckpoint >= workerData.checkpointRows) {
      if (rowsSinceCheckpoint >= workerData.checkpointRows) {
        rowsSinceCheckpoint = 0;
        workerData.checkpointPort.postMessage(0);
      }
      let size = 0;
      try { size = fs.statSync(walFile).size; } catch {}
      overLimit = size > workerData.walLimitBytes;
      if (overLimit) try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    }
  }
  if (closing) { closeSegment(true); db.close(); workerData.checkpointPort.close(); replyPort.close(); parentPort.close(); }
});
`;

// The checkpoint thread: its own connection, one PASSIVE checkpoint per batch of requests from the writer thread (which
// coalesce while one runs), each answered when done; it ends when the writer closes its port.
const CHECKPOINT_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
db.pragma('wal_autocheckpoint = 0');
const port = workerData.port;
port.on('message', () => {
  while (receiveMessageOnPort(port)) {}
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  // the writer copies what was committed meanwhile (see its group handler)
  port.postMessage(0);
});
port.on('close', () => db.close());
`;

interface Pending {
  resolve: (r: { keys: string[] | null; total: number | undefined }) => void;
  reject: (err: unknown) => void;
  /** The thread it was posted to: a thread that dies fails its own writes only. */
  worker: Worker;
}

/**
 * One committed group: the writes' ids and, in the same order, each write's new keys (null: a batch body the spec did
 * not accept, nothing written) and, for batch bodies, their item count (or the group's error).
 */
interface Reply {
  ids: number[];
  keys?: (string[] | null)[];
  totals?: (number | undefined)[];
  error?: { code?: string; message: string };
}

/** A batch body the thread journaled: its distinct keys (deduped against other deliveries at import and claim) and its item count. */
export interface BatchWritten {
  keys: string[];
  total: number;
}

/** Rows per group commit (a transaction the thread holds the write lock for). */
const MAX_GROUP_ROWS = 5000;
/** Inbox rows between WAL checkpoints (about SQLite's default of 1000 pages for ~1 KB payloads). */
const CHECKPOINT_ROWS = 3000;
/**
 * WAL size past which the writer thread checkpoints itself (and what a restarted WAL is cut back to). That checkpoint
 * holds the next group's answers for whatever the checkpoint thread had not copied yet: at 64 MB, a 15 s Event Streams
 * load with random SIDs hit it and its worst p99 was 21–42 ms; at 256 MB, 10–11 ms (bench:webhooks --random-ids).
 */
const WAL_LIMIT_BYTES = 256 * 1024 * 1024;

export interface InboxWriterOptions {
  busyTimeoutMs: number;
  synchronous: 'FULL' | 'NORMAL';
  /** The inbox journal's directory (inboxJournal.ts journalDirOf). */
  journalDir: string;
  /** Segment limits (inboxJournal.ts SEGMENT_BYTES, ROTATE_MS; tests make them small). */
  segmentBytes?: number;
  rotateMs?: number;
  /** WAL_LIMIT_BYTES (tests: a small WAL). */
  walLimitBytes?: number;
}

export class InboxWriterThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;
  private answered = 0;
  /** The batch specs the current thread was sent, by the id its messages name them with. */
  private specIds = new Map<JsonBatchSpec, number>();
  /** Each live thread's reply port (a dying thread's answers are taken before its writes fail). */
  private readonly replyPorts = new Map<Worker, MessagePort>();
  /** This writer's journal owner (a thread replacing a dead one keeps it, and so finishes the dead one's segment). */
  private readonly owner = `${journalHost()}~${process.pid}~${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly file: string,
    private readonly opts: InboxWriterOptions,
  ) {}

  /** Transactions the thread has answered (one per group of writes). */
  get commits(): number {
    return this.answered;
  }

  /** Inserts the rows in one transaction (with any writes queued behind them); resolves with the keys that were new. */
  async write(rows: InboxRow[], at: string): Promise<string[]> {
    return (await this.post((id) => ({ id, rows, at }))).keys ?? [];
  }

  /**
   * Decodes, checks (`spec`) and inserts a JSON batch body in the thread, so the main thread neither parses nor
   * serialises it; resolves undefined, nothing written, when the body is not one the spec accepts as is.
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
    return r.keys === null ? undefined : { keys: r.keys, total: r.total ?? r.keys.length };
  }

  private post(message: (id: number) => unknown): Promise<{ keys: string[] | null; total: number | undefined }> {
    if (this.closed) return Promise.reject(new TajoError('TAJO_STORE_UNAVAILABLE', 'State store is closed'));
    const w = this.worker ?? this.spawn();
    const id = ++this.seq;
    // Answers that arrived while this thread was busy (e.g. parsing a burst of requests) are taken now, not after the
    // burst: their callers answer their senders right after the current callback.
    this.takeReplies();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      // Keep the process alive only while a commit is outstanding (a CLI that ingested once can still exit).
      if (this.pending.size === 1) w.ref();
      w.postMessage(message(id));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    // Commits already posted are answered first (messages are handled in order), then the thread closes its connection.
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
    const channel = new MessageChannel();
    const replies = new MessageChannel();
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver, file: this.file, busyTimeoutMs: this.opts.busyTimeoutMs, synchronous: this.opts.synchronous, sql: INBOX_INSERT_SQL, maxRows: MAX_GROUP_ROWS,
        checkpointRows: CHECKPOINT_ROWS, walLimitBytes: this.opts.walLimitBytes ?? WAL_LIMIT_BYTES, checkpointPort: channel.port1, replyPort: replies.port2,
        journal: {
          dir: this.opts.journalDir, owner: this.owner, sync: this.opts.synchronous === 'FULL',
          segmentBytes: this.opts.segmentBytes ?? SEGMENT_BYTES, rotateMs: this.opts.rotateMs ?? ROTATE_MS,
        },
      },
      transferList: [channel.port1, replies.port2],
    });
    w.unref();
    // A checkpoint thread that fails (it only copies the WAL) leaves the writer's own checkpoints past the WAL limit.
    const checkpointer = new Worker(CHECKPOINT_SOURCE, { eval: true, workerData: { driver, file: this.file, busyTimeoutMs: this.opts.busyTimeoutMs, port: channel.port2 }, transferList: [channel.port2] });
    checkpointer.unref();
    checkpointer.on('error', () => undefined);
    this.specIds = new Map();
    replies.port1.on('message', (m: Reply) => this.answer(m, w));
    // After the listener, which refs the port: the worker, ref'd while writes are outstanding, keeps the process alive.
    replies.port1.unref();
    this.replyPorts.set(w, replies.port1);
    // 'error' then 'exit': a write posted to the next thread in between is not this thread's to fail.
    const died = (why: string) => {
      // answers the thread posted before it stopped are answers (its port keeps what was posted to it)
      this.takeReplies(w);
      if (this.worker === w) this.worker = undefined;
      this.failAll(new TajoError('TAJO_STORE_UNAVAILABLE', `Inbox writer stopped: ${why}`), w);
    };
    w.on('error', (err) => died(err.message));
    w.on('exit', (code) => {
      this.takeReplies(w);
      this.replyPorts.delete(w);
      replies.port1.close();
      if (!this.closed) died(`exit ${code}`);
    });
    this.worker = w;
    return w;
  }

  /** Settles the writes of one committed group (or rejects them with the group's error). */
  private answer(m: Reply, w: Worker): void {
    this.answered += 1;
    const err = m.keys ? undefined : workerError(m.error);
    m.ids.forEach((id, i) => {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (err) p.reject(err);
      else p.resolve({ keys: m.keys?.[i] ?? null, total: m.totals?.[i] ?? undefined });
    });
    if (this.pending.size === 0) w.unref();
  }

  /** Answers waiting on the reply ports (one thread's, or every live one's), taken synchronously. */
  private takeReplies(only?: Worker): void {
    for (const [w, port] of this.replyPorts) {
      if (only !== undefined && w !== only) continue;
      for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) this.answer(r.message as Reply, w);
    }
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
