/**
 * The webhook inbox's commit, off the event loop. better-sqlite3 is synchronous: a durable commit (`synchronous =
 * FULL`, one fsync of the WAL) would block the server's event loop for its whole duration, so requests arriving
 * meanwhile could neither be parsed nor join the next group commit. This worker thread owns a second connection to
 * the same file and runs only the inbox insert; the main thread keeps parsing and verifying requests while it syncs,
 * and posts each delivery at once: the thread commits whatever queued up meanwhile as one transaction.
 * A JSON batch body (`writeJsonBatch`: Event Streams) is even decoded here: the thread parses it, checks it against a
 * declarative `JsonBatchSpec` and stores each item as its slice of the body; a body the spec does not accept as is
 * comes back untouched (nothing written) for the main thread's own decoding and validation.
 *
 * Same contract as the in-thread path: the promise resolves after the transaction committed (durable), rejects with
 * TAJO_STORE_UNAVAILABLE on lock/I/O failures or when the thread died (the route answers 503 and the sender
 * retries). Both connections are writers of one WAL file: SQLite serialises them (busy_timeout), as it does
 * between processes.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TajoError } from '../../core/errors.js';
import { arrayElementRanges, hasSpecFields, type JsonBatchSpec } from '../../core/jsonBatch.js';
import { isUnavailable } from './db.js';

/** The insert both paths run (admin.ingest in-thread, the worker here). */
export const INBOX_INSERT_SQL = `INSERT INTO inbox (key, source, payload, status, received_at) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (key) DO NOTHING`;

/** [key, source, payload JSON] — strings only, cheap to post. */
export type InboxRow = [string, string, string];

// Plain JavaScript evaluated in the worker (`eval: true`): no TypeScript loader is needed in the thread, whether the
// package runs from dist/, under tsx or under vitest. better-sqlite3 is loaded from the path the main thread resolved.
// Group commit happens here: when the thread picks up a write it also takes every write queued behind it
// (receiveMessageOnPort, up to maxRows rows) and commits them all in ONE transaction, one fsync, one reply. The main
// thread posts each group as it forms and never waits for the previous commit's answer before posting the next, so
// under load the thread commits back to back.
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const elementRanges = (${arrayElementRanges.toString()});
const hasSpecFields = (${hasSpecFields.toString()});
// A JSON batch body (see JsonBatchSpec): its items' rows, or null when the body is not one the spec accepts as is (the
// main thread then decodes and validates it itself). Each item's payload is its slice of the body, as received.
function batchRows(m) {
  const spec = m.batch.spec;
  const buf = Buffer.from(m.batch.bytes);
  let items;
  try { items = JSON.parse(buf.toString('utf8')); } catch { return null; }
  if (!Array.isArray(items) || items.length < 1 || items.length > spec.maxItems) return null;
  for (const e of items) if (!hasSpecFields(e, spec) || spec.fallbackTypes.includes(e[spec.typeField])) return null;
  const ranges = elementRanges(buf);
  if (!ranges || ranges.length !== items.length) return null;
  const rows = [];
  const seen = new Set();
  items.forEach((e, i) => {
    const key = e[spec.keyField];
    if (seen.has(key)) return;
    seen.add(key);
    rows.push([key, m.batch.source, buf.toString('utf8', ranges[i][0], ranges[i][1])]);
  });
  m.total = items.length;
  return rows;
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
const write = db.transaction((writes) => writes.map((m) => {
  if (m.rows === null) return null;
  const keys = [];
  for (const r of m.rows) if (insert.run(r[0], r[1], r[2], m.at).changes) keys.push(r[0]);
  return keys;
}));
parentPort.on('message', (first) => {
  const writes = [];
  let closing = false;
  let rows = 0;
  for (let m = first; m; ) {
    if (m.close) { closing = true; break; }
    if (m.batch) m.rows = batchRows(m);
    writes.push(m);
    rows += m.rows ? m.rows.length : 0;
    if (rows >= workerData.maxRows) break;
    const next = receiveMessageOnPort(parentPort);
    m = next && next.message;
  }
  if (writes.length > 0) {
    const ids = writes.map((w) => w.id);
    try {
      parentPort.postMessage({ ids, keys: write.immediate(writes), totals: writes.map((w) => w.total) });
    } catch (e) {
      parentPort.postMessage({ ids, error: { code: typeof e.code === 'string' ? e.code : undefined, message: String(e && e.message || e) } });
    }
    rowsSinceCheckpoint += rows;
    if (rowsSinceCheckpoint >= workerData.checkpointRows) {
      rowsSinceCheckpoint = 0;
      // PASSIVE: copies what it can without waiting for readers or writers; a failure only leaves the WAL longer.
      try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    }
  }
  if (closing) { db.close(); parentPort.close(); }
});
`;

interface Pending {
  resolve: (r: { keys: string[] | null; total: number | undefined }) => void;
  reject: (err: unknown) => void;
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
/** Inbox rows between the thread's own WAL checkpoints (about SQLite's default of 1000 pages for ~1 KB payloads). */
const CHECKPOINT_ROWS = 3000;

export interface InboxWriterOptions {
  busyTimeoutMs: number;
  synchronous: 'FULL' | 'NORMAL';
}

export class InboxWriterThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;
  private answered = 0;

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
    return (await this.post({ rows, at })).keys ?? [];
  }

  /**
   * Decodes, checks (`spec`) and inserts a JSON batch body in the thread, so the main thread neither parses nor
   * serialises it; resolves undefined, nothing written, when the body is not one the spec accepts as is.
   */
  async writeJsonBatch(body: Buffer, source: string, spec: JsonBatchSpec, at: string): Promise<BatchWritten | undefined> {
    // a copy of the bytes, moved to the thread (the caller keeps `body` for its own path)
    const bytes = new Uint8Array(body).buffer as ArrayBuffer;
    const r = await this.post({ batch: { bytes, source, spec }, at }, [bytes]);
    return r.keys === null ? undefined : { keys: r.keys, total: r.total ?? r.keys.length };
  }

  private post(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<{ keys: string[] | null; total: number | undefined }> {
    if (this.closed) return Promise.reject(new TajoError('TAJO_STORE_UNAVAILABLE', 'State store is closed'));
    const w = this.worker ?? this.spawn();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive only while a commit is outstanding (a CLI that ingested once can still exit).
      if (this.pending.size === 1) w.ref();
      w.postMessage({ id, ...msg }, transfer);
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
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file: this.file, busyTimeoutMs: this.opts.busyTimeoutMs, synchronous: this.opts.synchronous, sql: INBOX_INSERT_SQL, maxRows: MAX_GROUP_ROWS, checkpointRows: CHECKPOINT_ROWS },
    });
    w.unref();
    w.on('message', (m: Reply) => {
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
    });
    const died = (why: string) => {
      if (this.worker === w) this.worker = undefined;
      this.failAll(new TajoError('TAJO_STORE_UNAVAILABLE', `Inbox writer stopped: ${why}`));
    };
    w.on('error', (err) => died(err.message));
    w.on('exit', (code) => {
      if (!this.closed) died(`exit ${code}`);
    });
    this.worker = w;
    return w;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
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
