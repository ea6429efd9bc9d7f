/**
 * The webhook inbox's commit, off the event loop. better-sqlite3 is synchronous: a durable commit (`synchronous =
 * FULL`, one fsync of the WAL) would block the server's event loop for its whole duration, so requests arriving
 * meanwhile could neither be parsed nor join the next group commit. This worker thread owns a second connection to
 * the same file and runs only the inbox insert; the main thread keeps parsing and verifying requests while it syncs,
 * and posts each delivery at once: the thread commits whatever queued up meanwhile as one transaction.
 * A JSON batch body (`writeJsonBatch`: Event Streams) is even decoded here: the thread parses it, checks it against a
 * declarative `JsonBatchSpec` and stores it as ONE inbox row holding its items not known yet (migration 0005: the body
 * as received, or those items' slices; their keys in the row's `item_keys`, registered in `inbox_keys` only when a
 * claim takes the row, which flags the items another row holds: see writeBatch); a body the spec does not accept as is
 * comes back untouched (nothing written) for the main thread's own decoding and validation.
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
import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { TajoError } from '../../core/errors.js';
import { arrayElementRanges, hasSpecFields, type JsonBatchSpec } from '../../core/jsonBatch.js';
import { isUnavailable } from './db.js';

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
const elementRanges = (${arrayElementRanges.toString()});
const hasSpecFields = (${hasSpecFields.toString()});
const specs = [];
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
const insert = db.prepare(workerData.sql);
const inInbox = db.prepare('SELECT 1 FROM inbox WHERE key = ?').pluck();
const registered = db.prepare('SELECT 1 FROM inbox_keys WHERE key = ?').pluck();
const insertBatch = db.prepare("INSERT INTO inbox (key, source, payload, status, received_at, item_keys) VALUES (?, ?, ?, 'pending', ?, ?)");
// The items at indexes idx of a batch body as a JSON array of their slices of it (re-serialised only should the element
// scanner not find the items JSON.parse found).
function subset(b, idx) {
  const ranges = elementRanges(b.buf);
  if (ranges && ranges.length === b.keys.length) return '[' + idx.map((i) => b.buf.toString('utf8', ranges[i][0], ranges[i][1])).join(',') + ']';
  return JSON.stringify(idx.map((i) => b.items[i]));
}
// A batch row's own key (inbox.key is unique; two unclaimed rows may start with the same event): 'batch:' and the time,
// this thread's random tag and a count, so the index takes it as an append.
const tag = require('node:crypto').randomBytes(4).toString('hex');
let batchRows = 0;
const rowKey = () => 'batch:' + Date.now().toString(36) + ':' + tag + ':' + (++batchRows).toString(36);
// One batch body → one row holding its items not known yet (migration 0005): the body as received when all of them are,
// else their slices of it (the first of a key repeated in the body). Returns their keys. Known: a single item's key
// (inbox.key) or a key a claimed batch row registered (inbox_keys). Both are lookups: this commit writes no key. A
// claim registers a batch row's keys and marks the items another row holds as duplicates (admin.claimInbox), so a
// key a still-unclaimed row holds is not found here and is stored again, to be dropped there. Writing the keys here
// put a leaf of inbox_keys in the WAL per CloudEvent before the 2xx, a random one for SIDs spread like Twilio's: lone
// 4 s Event Streams runs, 6 interleaved pairs, such SIDs 2.41 k → 3.59 k rps (p99 22 → 19 ms), counting-up SIDs
// 3.78 k → 4.05 k.
function writeBatch(m) {
  const b = m.decoded;
  const idx = [];
  const seen = new Set();
  b.keys.forEach((k, i) => {
    if (seen.has(k)) return;
    seen.add(k);
    if (inInbox.get(k) === undefined && registered.get(k) === undefined) idx.push(i);
  });
  if (idx.length === 0) return [];
  const keys = idx.map((i) => b.keys[i]);
  insertBatch.run(rowKey(), m.source, idx.length === b.keys.length ? b.text : subset(b, idx), m.at, JSON.stringify(keys));
  return keys;
}
const write = db.transaction((writes) => writes.map((m) => {
  if (m.decoded === null) return null;
  if (m.decoded) return writeBatch(m);
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
  if (writes.length > 0) {
    const ids = writes.map((w) => w.id);
    try {
      replyPort.postMessage({ ids, keys: write.immediate(writes), totals: writes.map((w) => (w.decoded ? w.decoded.keys.length : undefined)) });
    } catch (e) {
      replyPort.postMessage({ ids, error: { code: typeof e.code === 'string' ? e.code : undefined, message: String(e && e.message || e) } });
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
    rowsSinceCheckpoint += rows;
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
  if (closing) { db.close(); workerData.checkpointPort.close(); replyPort.close(); parentPort.close(); }
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

/** A batch body the thread stored: the keys that were new and the body's item count. */
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
