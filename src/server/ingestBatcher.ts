import type { InboxInput } from '../store/types.js';
import type { Store } from '../store/store.js';

/** Groups handed to a self-grouping store before the first of them is answered. */
const MAX_IN_FLIGHT = 64;

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
 * A store that groups commits itself (`ingestGroupsCommits`: SQLite's writer thread) is handed each tick's group at
 * once, up to `MAX_IN_FLIGHT` groups, so its next commit can start the moment the previous one ends instead of after
 * the answer travelled back to this thread and waited for a turn of the event loop.
 */
export class IngestBatcher {
  private queue: Waiter[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;

  constructor(
    private readonly store: Pick<Store, 'ingest' | 'ingestGroupsCommits'>,
    private readonly maxItems = 2000,
  ) {
    this.maxInFlight = store.ingestGroupsCommits === true ? MAX_IN_FLIGHT : 1;
  }

  ingest(items: InboxInput[]): Promise<{ accepted: number; duplicates: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight >= this.maxInFlight || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.inFlight += 1;
    const group: Waiter[] = [];
    let n = 0;
    while (this.queue.length > 0 && (group.length === 0 || n + (this.queue[0]?.items.length ?? 0) <= this.maxItems)) {
      const w = this.queue.shift() as Waiter;
      group.push(w);
      n += w.items.length;
    }
    // a self-grouping store takes the rest now too (a no-op while this one may have only one commit in flight)
    if (this.queue.length > 0) this.schedule();
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
      this.inFlight -= 1;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
