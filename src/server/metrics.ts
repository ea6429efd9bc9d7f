import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BudgetSnapshot } from '../engine/budget.js';
import type { Store } from '../store/store.js';
import type { OutboxStats } from '../store/types.js';

/** The webhook routes, as metric label values. */
export type RouteName = 'flex-task-complete' | 'taskrouter' | 'event-streams' | 'conversations' | 'survey' | 'management';

/**
 * Prometheus metrics of one server instance (its own registry, so several servers in one process — tests,
 * embedded SDK — never clash). Gauges that read the store are collected on scrape.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly received: Counter<'route'>;
  readonly accepted: Counter<'route'>;
  readonly deduped: Counter<'route'>;
  readonly rejected: Counter<'route' | 'reason'>;
  readonly ackLatency: Histogram<'route'>;
  /** Observed by whoever delivers (the delivery worker): seconds from webhook receipt to Brevo acceptance. */
  readonly deliveryLatency: Histogram;
  readonly inboxProcessed: Counter<'result'>;

  constructor(opts: { store?: Store; budgets?: () => BudgetSnapshot[]; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.received = new Counter({ name: 'tajo_webhook_received_total', help: 'Webhook deliveries received', labelNames: ['route'], registers });
    this.accepted = new Counter({ name: 'tajo_webhook_accepted_total', help: 'Webhook items stored in the inbox (new)', labelNames: ['route'], registers });
    this.deduped = new Counter({ name: 'tajo_webhook_deduped_total', help: 'Webhook items acknowledged and dropped as duplicates', labelNames: ['route'], registers });
    this.rejected = new Counter({ name: 'tajo_webhook_rejected_total', help: 'Webhook deliveries refused, by error code', labelNames: ['route', 'reason'], registers });
    this.ackLatency = new Histogram({
      name: 'tajo_webhook_ack_seconds',
      help: 'Time from request to acknowledgement (after the inbox commit)',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'tajo_delivery_latency_seconds',
      help: 'Event received → accepted by Brevo',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.inboxProcessed = new Counter({ name: 'tajo_inbox_processed_total', help: 'Inbox items processed', labelNames: ['result'], registers });

    const store = opts.store;
    if (store) {
      // one outboxStats() per scrape, shared by the three gauges
      let cached: { at: number; p: Promise<OutboxStats> } | undefined;
      const stats = (): Promise<OutboxStats> => {
        const now = Date.now();
        if (!cached || now - cached.at > 500) cached = { at: now, p: store.outboxStats() };
        return cached.p;
      };
      new Gauge({
        name: 'tajo_outbox_items',
        help: 'Outbox items by status',
        labelNames: ['status'],
        registers,
        async collect() {
          try {
            const s = await stats();
            this.set({ status: 'pending' }, s.pending);
            this.set({ status: 'inflight' }, s.inflight);
            this.set({ status: 'delivered' }, s.delivered);
            this.set({ status: 'dead' }, s.dead);
          } catch {
            // store down: /readyz reports it; keep the last values
          }
        },
      });
      new Gauge({
        name: 'tajo_outbox_backlog',
        help: 'Outbox items waiting for delivery (pending + inflight)',
        registers,
        async collect() {
          try {
            const s = await stats();
            this.set(s.pending + s.inflight);
          } catch {
            /* see above */
          }
        },
      });
      new Gauge({
        name: 'tajo_outbox_oldest_pending_seconds',
        help: 'Age of the oldest pending outbox item',
        registers,
        async collect() {
          try {
            const s = await stats();
            this.set(s.oldestPendingMs == null ? 0 : Math.max(0, (Date.now() - s.oldestPendingMs) / 1000));
          } catch {
            /* see above */
          }
        },
      });
    }
    const budgets = opts.budgets;
    if (budgets) {
      const snap = (): BudgetSnapshot[] => {
        try {
          return budgets();
        } catch {
          return [];
        }
      };
      new Gauge({
        name: 'tajo_budget_used',
        help: 'Requests taken from each vendor rate budget',
        labelNames: ['budget'],
        registers,
        collect() {
          for (const b of snap()) this.set({ budget: b.name }, b.used);
        },
      });
      new Gauge({
        name: 'tajo_budget_throttled',
        help: 'Requests that had to wait for each vendor rate budget',
        labelNames: ['budget'],
        registers,
        collect() {
          for (const b of snap()) this.set({ budget: b.name }, b.throttled);
        },
      });
      new Gauge({
        name: 'tajo_budget_waited_seconds',
        help: 'Total time spent waiting for each vendor rate budget',
        labelNames: ['budget'],
        registers,
        collect() {
          for (const b of snap()) this.set({ budget: b.name }, b.waitedMs / 1000);
        },
      });
    }
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'tajo_' });
  }
}

/** Observes `deliveryLatency` for rows Brevo just accepted: seconds since each row was queued (outbox `createdAt`). */
export function observeDeliveryLatency(metrics: ServerMetrics, rows: readonly { createdAt: string }[], nowMs = Date.now()): void {
  for (const r of rows) {
    const at = Date.parse(r.createdAt);
    if (Number.isFinite(at)) metrics.deliveryLatency.observe(Math.max(0, (nowMs - at) / 1000));
  }
}
