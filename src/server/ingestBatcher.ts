import type { InboxInput } from '../store/types.js';
import type { Store } from '../store/store.js';

interface Waiter {
  items: InboxInput[];
  resolve: (r: { accepted: number; duplicates: number }) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the webhook inbox: deliveries that arrive while a commit is running (or in the same tick) are
 * written together in ONE `store.ingest` call, so N concurrent webhooks cost one durable commit instead of N.
 * Each caller still resolves only after the commit that holds its items resolved (2xx after durability), and a
 * failed commit rejects every caller in it (they answer 503 and Twilio retries).
 *
 * A store that groups commits itself (`ingestGroupsCommits`: SQLite's writer thread) is handed each delivery the
 * moment it is verified: the thread commits the first while this one still parses the deliveries that arrived with it,
 * and takes those that queued meanwhile into its next commit. Grouping them here per tick made the thread wait until
 * the whole tick was parsed (bench:webhooks: Event Streams 4.1 k → 4.5 k rps on 2 cores).
 */
export class IngestBatcher {
  private queue: Waiter[] = [];
  /** A group commit is running (one at a time: the store does not group calls itself). */
  private committing = false;
  private scheduled = false;
  private readonly direct: boolean;

  constructor(
    private readonly store: Pick<Store, 'ingest' | 'ingestGroupsCommits'>,
    private readonly maxItems = 2000,
  ) {
    this.direct = store.ingestGroupsCommits === true;
  }

  ingest(items: InboxInput[]): Promise<{ accepted: number; duplicates: number }> {
    if (this.direct) return this.store.ingest(items).then((r) => ({ accepted: r.accepted, duplicates: r.duplicates }));
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.committing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.committing || this.queue.length === 0) return;
    this.committing = true;
    const group: Waiter[] = [];
    let n = 0;
    while (this.queue.length > 0 && (group.length === 0 || n + (this.queue[0]?.items.length ?? 0) <= this.maxItems)) {
      const w = this.queue.shift() as Waiter;
      group.push(w);
      n += w.items.length;
    }
    try {
      const all = group.flatMap((w) => w.items);
      const r = await this.store.ingest(all);
      // Attribute each newly stored key to the first caller that carried it; the rest saw a duplicate.
      const fresh = new Set(r.acceptedKeys);
      for (const w of group) {
        let accepted = 0;
        for (const i of w.items) {
          if (fresh.delete(i.key)) accepted += 1;
        }
        w.resolve({ accepted, duplicates: w.items.length - accepted });
      }
    } catch (err) {
      for (const w of group) w.reject(err);
    } finally {
      this.committing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
