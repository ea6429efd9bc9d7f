/**
 * The writing side of the inbox journal (inboxJournal.ts), on the thread that receives the webhooks. A record is
 * written (to the page cache, at once) and made durable by an fdatasync on libuv's pool, so the event loop never waits
 * on the disk; records appended while a sync runs are written and synced together as soon as it returns (group
 * commit, pipelined): a delivery waits for at most the sync in progress and its own.
 *
 * Segments: see inboxJournal.ts. This writer appends only to its newest segment, and moves to a new one past
 * `segmentBytes`, after `rotateMs` (an idle writer too: a timer), after a failed write or sync, and at close, writing
 * a seal record first unless a write failed there. A new segment's directory entry is synced before a record in it is
 * acknowledged.
 */
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseSegmentName, segmentName } from './inboxJournal.js';
import { encodeJournalRecord } from './journalRecord.js';

export interface JournalWriterOptions {
  dir: string;
  /** `<host>~<pid>~<tag>` (inboxJournal.ts). */
  owner: string;
  /** fdatasync before answering (false: `synchronous = NORMAL`, which survives a process crash, not a power loss). */
  sync: boolean;
  segmentBytes: number;
  rotateMs: number;
}

interface Waiting {
  record: Buffer;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Segment {
  fd: number;
  pos: number;
  createdMs: number;
}

const SEAL = encodeJournalRecord('{"end":true}', Buffer.alloc(0));

export class JournalWriter {
  private queued: Waiting[] = [];
  private syncing = false;
  private seg: Segment | undefined;
  private lastSeq = 0;
  private dirReady = false;
  private closed = false;
  private idle: (() => void) | undefined;
  /** Seals an idle writer's segment after rotateMs (started with the first segment; it keeps no process alive). */
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: JournalWriterOptions) {}

  /** Resolves once the record is durable (synced), rejects when it could not be written or synced. */
  append(header: string, body: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('inbox journal closed'));
    return new Promise((resolve, reject) => {
      this.queued.push({ record: encodeJournalRecord(header, body), resolve, reject });
      this.flush();
    });
  }

  /** Waits for the groups in progress, then seals the segment. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.syncing || this.queued.length > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.closeSegment(true);
  }

  private flush(): void {
    if (this.syncing || this.queued.length === 0) {
      if (!this.syncing && this.idle) this.idle();
      return;
    }
    const group = this.queued;
    this.queued = [];
    const all = group.length === 1 ? group[0]!.record : Buffer.concat(group.map((g) => g.record));
    let seg: Segment;
    try {
      const cur = this.seg;
      if (cur && cur.pos > 0 && (cur.pos + all.length > this.opts.segmentBytes || Date.now() - cur.createdMs > this.opts.rotateMs)) this.closeSegment(true);
      seg = this.seg ?? this.openSegment();
      for (let off = 0; off < all.length; ) off += writeSync(seg.fd, all, off, all.length - off, seg.pos + off);
    } catch (err) {
      this.failed(group, err);
      return this.flush();
    }
    seg.pos += all.length;
    if (!this.opts.sync) {
      for (const g of group) g.resolve();
      return this.flush();
    }
    this.syncing = true;
    fdatasync(seg.fd, (err) => {
      this.syncing = false;
      if (err) this.failed(group, err);
      else for (const g of group) g.resolve();
      this.flush();
    });
  }

  /** What a failed write or sync left stays behind the records acknowledged before it: the segment is left for good. */
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
        if (this.seg && !this.syncing && Date.now() - this.seg.createdMs > this.opts.rotateMs) this.closeSegment(true);
      }, Math.min(60_000, this.opts.rotateMs));
      this.timer.unref();
    }
    let seq = Math.max(Date.now(), this.lastSeq + 1);
    for (const n of readdirSync(dir)) {
      const s = parseSegmentName(n);
      if (s?.owner === owner) seq = Math.max(seq, s.seq + 1);
    }
    this.lastSeq = seq;
    const fd = openSync(join(dir, segmentName(owner, seq)), 'wx');
    if (this.opts.sync) syncDir(dir);
    this.seg = { fd, pos: 0, createdMs: Date.now() };
    return this.seg;
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
