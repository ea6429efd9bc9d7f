/**
 * The webhook inbox's commit, off the event loop. better-sqlite3 is synchronous: a durable commit (`synchronous =
 * FULL`, one fsync of the WAL) would block the server's event loop for its whole duration, so requests arriving
 * meanwhile could neither be parsed nor join the next group commit. This worker thread owns a second connection to
 * the same file and runs only the inbox insert; the main thread keeps parsing and verifying requests while it syncs,
 * and `IngestBatcher` hands it everything that arrived in the meantime as one transaction.
 *
 * Same contract as the in-thread path: the promise resolves after the transaction committed (durable), rejects with
 * TAJO_STORE_UNAVAILABLE on lock/I/O failures or when the thread died (the route answers 503 and the sender
 * retries). Both connections are writers of one WAL file: SQLite serialises them (busy_timeout), as it does
 * between processes.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TajoError } from '../../core/errors.js';
import { isUnavailable } from './db.js';

/** The insert both paths run (admin.ingest in-thread, the worker here). */
export const INBOX_INSERT_SQL = `INSERT INTO inbox (key, source, payload, status, received_at) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (key) DO NOTHING`;

/** [key, source, payload JSON] — strings only, cheap to post. */
export type InboxRow = [string, string, string];

// Plain JavaScript evaluated in the worker (`eval: true`): no TypeScript loader is needed in the thread, whether the
// package runs from dist/, under tsx or under vitest. better-sqlite3 is loaded from the path the main thread resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = ' + workerData.synchronous);
const insert = db.prepare(workerData.sql);
const write = db.transaction((rows, at) => {
  const keys = [];
  for (const r of rows) if (insert.run(r[0], r[1], r[2], at).changes) keys.push(r[0]);
  return keys;
});
parentPort.on('message', (m) => {
  if (m.close) { db.close(); parentPort.close(); return; }
  try {
    parentPort.postMessage({ id: m.id, keys: write.immediate(m.rows, m.at) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { code: typeof e.code === 'string' ? e.code : undefined, message: String(e && e.message || e) } });
  }
});
`;

interface Pending {
  resolve: (keys: string[]) => void;
  reject: (err: unknown) => void;
}

interface Reply {
  id: number;
  keys?: string[];
  error?: { code?: string; message: string };
}

export interface InboxWriterOptions {
  busyTimeoutMs: number;
  synchronous: 'FULL' | 'NORMAL';
}

export class InboxWriterThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly opts: InboxWriterOptions,
  ) {}

  /** Inserts the rows in one transaction; resolves with the keys that were new. */
  write(rows: InboxRow[], at: string): Promise<string[]> {
    if (this.closed) return Promise.reject(new TajoError('TAJO_STORE_UNAVAILABLE', 'State store is closed'));
    const w = this.worker ?? this.spawn();
    const id = ++this.seq;
    return new Promise<string[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive only while a commit is outstanding (a CLI that ingested once can still exit).
      if (this.pending.size === 1) w.ref();
      w.postMessage({ id, rows, at });
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
      workerData: { driver, file: this.file, busyTimeoutMs: this.opts.busyTimeoutMs, synchronous: this.opts.synchronous, sql: INBOX_INSERT_SQL },
    });
    w.unref();
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.keys) p.resolve(m.keys);
      else p.reject(workerError(m.error));
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
