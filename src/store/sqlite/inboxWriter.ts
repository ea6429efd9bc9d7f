/**
 * The webhook inbox's commit, off the event loop. better-sqlite3 is synchronous: a durable commit (`synchronous =
 * FULL`, one fsync of the WAL) would block the server's event loop for its whole duration, so requests arriving
 * meanwhile could neither be parsed nor join the next group commit. This worker thread owns a second connection to
 * the same file and runs only the inbox insert; the main thread keeps parsing and verifying requests while it syncs,
 * and posts each delivery at once: the thread commits whatever queued up meanwhile as one transaction.
 * Event Streams deliveries do not come here: they are made durable in the inbox journal (journalWriter.ts) on the
 * receiving thread and imported into the inbox at claim (inboxJournal.ts).
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
import { isUnavailable } from './db.js';

/**
 * The insert of one item both paths run (admin.ingest in-thread, the worker here): parameters key, source, payload,
 * received_at, key again. A key a claimed batch row registered (`inbox_keys`, migration 0005) is a duplicate too; one
 * an unclaimed batch row (or the inbox journal) holds is stored, and the claim flags it (admin.claimInbox).
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
// Messages: {id, rows, at} (items), {close: true}.
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
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
    if (m.close) { closing = true; break; }
    rows += m.rows.length;
    if (m) writes.push(m);
    if (rows >= workerData.maxRows) break;
    const next = receiveMessageOnPort(parentPort);
    m = next && next.message;
  }
  if (writes.length > 0) {
    const ids = writes.map((w) => w.id);
    try {
      replyPort.postMessage({ ids, keys: write.immediate(writes) });
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
  resolve: (keys: string[]) => void;
  reject: (err: unknown) => void;
  /** The thread it was posted to: a thread that dies fails its own writes only. */
  worker: Worker;
}

/** One committed group: the writes' ids and, in the same order, each write's new keys (or the group's error). */
interface Reply {
  ids: number[];
  keys?: string[][];
  error?: { code?: string; message: string };
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
  write(rows: InboxRow[], at: string): Promise<string[]> {
    return this.post((id) => ({ id, rows, at }));
  }

  private post(message: (id: number) => unknown): Promise<string[]> {
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
      else p.resolve(m.keys?.[i] ?? []);
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
