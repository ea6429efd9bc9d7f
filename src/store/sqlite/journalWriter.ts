/**
 * The writing side of the inbox journal (inboxJournal.ts), on the thread that receives the webhooks. Records are
 * written by libuv's pool, with one `pwritev` per group to a segment opened `O_DSYNC` (the write returns once the data
 * is on disk, as an fdatasync would make it): the event loop neither writes nor waits on the disk. Records appended
 * while a group is being written go together in the next group, written as soon as the one before returns (group
 * commit, pipelined): a delivery waits for at most the write in progress and its own. A record's body is not copied:
 * the group is written as the records' prefixes and bodies side by side.
 *
 * Segments are preallocated: while one is in use, the pool writes the next one's `segmentBytes` of zeros and syncs
 * them 256 KB at a time (the spare, inboxJournal.ts `spareName`), and a rotation renames the spare into place. A
 * durable write inside blocks the file already has needs no journal commit of the file system for its size (ext4: no
 * jbd2 round trip), so it returns sooner (a 16 KB O_DSYNC write alone: 160 against 225 µs). bench:webhooks,
 * TaskRouter: 0.47–0.52 against 0.42–0.43 when appending; Event Streams, whose 5 KB deliveries have the pool write as
 * many zeros as records, gains less (0.37–0.41 against 0.35; a segment preallocated before the load gave 0.44).
 * Readers stop at the zeros after the last record. Without a spare ready, a new segment grows as it is written.
 *
 * Segments: see inboxJournal.ts. This writer appends only to its newest segment, and moves to a new one past
 * `segmentBytes`, after `rotateMs` (an idle writer too: a timer), after a failed write, and at close, writing a seal
 * record first unless a write failed there. A new segment's directory entry is synced before a record in it is
 * acknowledged.
 */
import { closeSync, constants, fdatasync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync, writev } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseSegmentName, segmentName, spareName } from './inboxJournal.js';
import { encodeJournalRecord, journalRecordPrefix } from './journalRecord.js';

export interface JournalWriterOptions {
  dir: string;
  /** `<host>~<pid>~<tag>` (inboxJournal.ts). */
  owner: string;
  /** Durable before answering (false: `synchronous = NORMAL`, which survives a process crash, not a power loss). */
  sync: boolean;
  segmentBytes: number;
  rotateMs: number;
}

interface Waiting {
  /** The record's prefix and body (journalRecord.ts). */
  parts: [Buffer, Uint8Array];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Segment {
  fd: number;
  pos: number;
  createdMs: number;
}

const SEAL = encodeJournalRecord('{"end":true}', Buffer.alloc(0));
/** Where the platform has no O_DSYNC (Windows), each group's write is followed by an fdatasync. */
const DSYNC: number | undefined = (constants as { O_DSYNC?: number }).O_DSYNC;

export class JournalWriter {
  private queued: Waiting[] = [];
  /** A group is being written (made durable). */
  private writing = false;
  private seg: Segment | undefined;
  private lastSeq = 0;
  private dirReady = false;
  private closed = false;
  private idle: (() => void) | undefined;
  /** The next segment, zeros written ahead (a path), being written, or none. */
  private spare: string | 'preparing' | undefined;
  private preparing: Promise<void> | undefined;
  /** Seals an idle writer's segment after rotateMs (started with the first segment; it keeps no process alive). */
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: JournalWriterOptions) {}

  /**
   * Resolves once the record is durable, rejects when it could not be written. `digest`: the body's SHA-256 when the
   * caller has verified it (journalRecord.ts), else computed.
   */
  append(header: string, body: Uint8Array, digest?: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('inbox journal closed'));
    const prefix = journalRecordPrefix(header, body, digest);
    return new Promise((resolve, reject) => {
      this.queued.push({ parts: [prefix, body], bytes: prefix.length + body.length, resolve, reject });
      this.flush();
    });
  }

  /** Waits for the groups in progress, then seals the segment. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.writing || this.queued.length > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.closeSegment(true);
    await this.preparing;
    this.dropSpare();
  }

  private flush(): void {
    if (this.writing || this.queued.length === 0) {
      if (!this.writing && this.idle) this.idle();
      return;
    }
    const group = this.queued;
    this.queued = [];
    let bytes = 0;
    for (const g of group) bytes += g.bytes;
    let seg: Segment;
    try {
      const cur = this.seg;
      if (cur && cur.pos > 0 && (cur.pos + bytes > this.opts.segmentBytes || Date.now() - cur.createdMs > this.opts.rotateMs)) this.closeSegment(true);
      seg = this.seg ?? this.openSegment();
    } catch (err) {
      this.failed(group, err);
      return this.flush();
    }
    this.writing = true;
    const done = (err: unknown) => {
      this.writing = false;
      if (err) this.failed(group, err);
      else for (const g of group) g.resolve();
      this.flush();
    };
    // libuv writes all of it, in IOV_MAX pieces and past short writes, or reports the error
    writev(seg.fd, group.flatMap((g) => g.parts), seg.pos, (err, written) => {
      if (err || written !== bytes) return done(err ?? new Error(`inbox journal: ${written} of ${bytes} bytes written`));
      seg.pos += bytes;
      if (this.opts.sync && DSYNC === undefined) fdatasync(seg.fd, done);
      else done(undefined);
    });
  }

  /** What a failed write left stays behind the records acknowledged before it: the segment is left for good. */
  private failed(group: Waiting[], err: unknown): void {
    this.closeSegment(false);
    for (const g of group) g.reject(err);
  }

  /**
   * A new segment, numbered after this owner's last: by the clock, and past any of this owner's still on disk. A number
   * is never used twice, not even after its segment was deleted: an import reads a segment from the offset stored
   * under its name.
   */
  private openSegment(): Segment {
    const { dir, owner } = this.opts;
    if (!this.dirReady) {
      mkdirSync(dir, { recursive: true });
      if (this.opts.sync) syncDir(dirname(dir));
      this.dirReady = true;
      this.timer = setInterval(() => {
        if (this.seg && !this.writing && Date.now() - this.seg.createdMs > this.opts.rotateMs) this.closeSegment(true);
      }, Math.min(60_000, this.opts.rotateMs));
      this.timer.unref();
    }
    let seq = Math.max(Date.now(), this.lastSeq + 1);
    for (const n of readdirSync(dir)) {
      const s = parseSegmentName(n);
      if (s?.owner === owner) seq = Math.max(seq, s.seq + 1);
    }
    this.lastSeq = seq;
    const path = join(dir, segmentName(owner, seq));
    let fd: number | undefined;
    if (this.spare !== undefined && this.spare !== 'preparing') {
      try {
        renameSync(this.spare, path);
        try {
          fd = openSync(path, constants.O_WRONLY | (DSYNC ?? 0));
        } catch (err) {
          unlinkSync(path);
          throw err;
        }
      } catch {
        // gone (an import took it for a dead writer's) or unusable: a new segment, which grows as it is written
      }
      this.spare = undefined;
    }
    fd ??= openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (this.opts.sync ? (DSYNC ?? 0) : 0));
    if (this.opts.sync) syncDir(dir);
    this.seg = { fd, pos: 0, createdMs: Date.now() };
    this.prepareSpare();
    return this.seg;
  }

  /** Writes the next segment's zeros on the pool and syncs them (durable writes only: without, nothing to gain). */
  private prepareSpare(): void {
    if (!this.opts.sync || this.spare !== undefined || this.closed) return;
    this.spare = 'preparing';
    const path = join(this.opts.dir, spareName(this.opts.owner));
    const size = this.opts.segmentBytes;
    const zeros = Buffer.alloc(Math.min(size, 256 * 1024));
    const write = async () => {
      const fh = await open(path, 'w');
      try {
        for (let off = 0; off < size; ) {
          const { bytesWritten } = await fh.write(zeros, 0, Math.min(zeros.length, size - off), off);
          if (bytesWritten <= 0) throw new Error('inbox journal: a spare could not be written');
          off += bytesWritten;
          // 256 KB at a time: each sync holds the segment's own writes behind it for less (Event Streams p99 4–5 ms;
          // 1 MB chunks 7 ms, 4 MB 11 ms, one sync of the whole file 10 ms)
          await fh.datasync();
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
    };
    this.preparing = write().then(
      () => {
        this.spare = path;
      },
      () => {
        // no spare (a full disk, say): the next segment grows as it is written, as this one may
        this.spare = path;
        this.dropSpare();
      },
    );
  }

  private dropSpare(): void {
    const s = this.spare;
    this.spare = undefined;
    if (s === undefined || s === 'preparing') return;
    try {
      unlinkSync(s);
    } catch {
      // gone already
    }
  }

  /** Leaves the segment: sealed (deleted once imported), unless a write failed there (a later segment finishes it). */
  private closeSegment(seal: boolean): void {
    const s = this.seg;
    if (!s) return;
    this.seg = undefined;
    try {
      if (seal) writeSync(s.fd, SEAL, 0, SEAL.length, s.pos);
    } catch {
      // the seal is a hint: without it the segment is finished by the next one, or its owner's exit
    }
    try {
      closeSync(s.fd);
    } catch {
      // nothing to keep
    }
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
