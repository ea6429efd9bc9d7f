import type { Env } from './env.js';
import { parseTypes, type SinkRow, type SubscriptionRow } from './eventStreams.js';
import { jsonDelivery, send } from './push/deliver.js';
import { cloudEvent } from './push/formats.js';
import { allEvents } from './push/worldEvents.js';

const TICK_REAL_MS = 250;
/** A batched webhook request carries at most this many events (Event Streams batches are size-limited, twilio.md §5). */
const MAX_BATCH = 100;
const KEEP_KEYS_MS = 60 * 60_000;

interface SinkCursor {
  /** Events at or before this emulated time have been handed to delivery. */
  cursor: number;
  /** The cursor never goes back before the first subscription of the sink existed. */
  floor: number;
  /** Keys delivered recently (event key → event time), to skip them when the cursor is rewound. */
  delivered: Map<string, number>;
}

/**
 * Event Streams delivery in the background, as Twilio does for an active webhook sink with subscriptions: every tick,
 * world events that became visible since the last tick (emulated clock) and match a subscribed type are posted to the
 * sink's destination as signed CloudEvent arrays (one event per request unless `batch_events` is true).
 */
export class EventStreamer {
  private readonly cursors = new Map<string, SinkCursor>();
  private timer: NodeJS.Timeout | undefined;
  /** Sinks with a delivery round under way. */
  private readonly busy = new Set<string>();
  private stopped = false;

  constructor(private readonly env: Env) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), TICK_REAL_MS);
    this.timer.unref();
  }

  /** Stops the ticks; a delivery under way finishes on its own (it is not awaited, so closing never waits on retries). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-scan from `fromMs` (events were added to the world behind the cursors); already delivered events are skipped. */
  rewind(fromMs: number): void {
    for (const c of this.cursors.values()) c.cursor = Math.max(c.floor, Math.min(c.cursor, fromMs - 1));
  }

  /**
   * One delivery round (exposed for tests): every active webhook sink with subscriptions, each on its own, as Twilio
   * delivers sinks independently; a sink still busy with an earlier round (a slow or dead destination being retried)
   * is skipped, and never holds back the others.
   */
  async tick(): Promise<void> {
    if (this.stopped) return;
    let sinks: SinkRow[];
    try {
      sinks = this.env.db.prepare("SELECT * FROM sinks WHERE status = 'active' AND sink_type = 'webhook'").all() as SinkRow[];
    } catch {
      return;
    }
    const now = this.env.clock.nowMs();
    await Promise.all(sinks.filter((sink) => !this.busy.has(sink.sid)).map((sink) => this.deliver(sink, now)));
  }

  private async deliver(sink: SinkRow, now: number): Promise<void> {
    this.busy.add(sink.sid);
    try {
      const db = this.env.db;
      const subs = db.prepare('SELECT * FROM subscriptions WHERE sink_sid = ?').all(sink.sid) as SubscriptionRow[];
      if (subs.length === 0) return;
      const types = new Set(subs.flatMap((s) => parseTypes(s.types).map((t) => t.type)));
      const since = Math.min(...subs.map((s) => s.date_created_ms));
      let c = this.cursors.get(sink.sid);
      if (!c) {
        c = { cursor: since - 1, floor: since - 1, delivered: new Map() };
        this.cursors.set(sink.sid, c);
      }
      c.floor = since - 1;
      if (now <= c.cursor) return;
      const cfg = JSON.parse(sink.sink_configuration) as { destination?: string; batch_events?: boolean };
      if (!cfg.destination) return;
      const fresh = allEvents(db, c.cursor + 1, now)
        .map((e) => ({ e, ce: cloudEvent(e, this.env.info, now) }))
        .filter(({ e, ce }) => types.has(String(ce.type)) && !c.delivered.has(e.key));
      for (const { e } of fresh) c.delivered.set(e.key, e.at);
      c.cursor = now;
      for (const [k, at] of c.delivered) if (at < now - KEEP_KEYS_MS) c.delivered.delete(k);
      const size = cfg.batch_events ? MAX_BATCH : 1;
      for (let i = 0; i < fresh.length && !this.stopped; i += size) {
        const batch = fresh.slice(i, i + size).map((x) => x.ce);
        await send(jsonDelivery(this.env.creds.authToken, cfg.destination, batch), { timeoutMs: 5000, maxRetries: 5, backoffMs: 200 });
      }
    } catch {
      // A sink whose configuration cannot be read is skipped; the next tick tries again.
    } finally {
      this.busy.delete(sink.sid);
    }
  }
}
