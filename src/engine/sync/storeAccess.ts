import type { Store } from '../../store/store.js';
import type { Checkpoint, CommitBatch, CommitResult, CustomerRow, InteractionRow, RawEvent, SurveyRow } from '../../store/types.js';

/** The store reads the derivation needs. */
export type StoreReader = Pick<Store, 'rawEventsForTasks' | 'getInteractions' | 'interactionsForCustomers' | 'surveysForCustomers' | 'surveysForTasks' | 'getCustomers' | 'listInteractions' | 'forgottenTasks'>;

/** Where a sync run reads and writes: the store itself, or an in-memory overlay for `--dry-run`. */
export interface StoreAccess extends StoreReader {
  getCheckpoint(connectorId: string, stream: string, partition: string): Promise<Checkpoint | undefined>;
  commit(connectorId: string, batch: CommitBatch): Promise<CommitResult>;
}

/**
 * Dry run: reads go to the store with everything "committed" during the run laid over them; nothing reaches the
 * store. Outbox dedupe is approximated with the ledger (`store.delivered`) plus the keys planned in this run.
 */
export class DryRunStore implements StoreAccess {
  private readonly raw = new Map<string, RawEvent>();
  private readonly interactions = new Map<string, InteractionRow>();
  private readonly surveys = new Map<string, SurveyRow>();
  private readonly customers = new Map<string, CustomerRow>();
  private readonly checkpoints = new Map<string, Checkpoint>();
  private readonly outboxKeys = new Set<string>();

  constructor(private readonly store: Store) {}

  async getCheckpoint(connectorId: string, stream: string, partition: string): Promise<Checkpoint | undefined> {
    return this.checkpoints.get(`${stream}/${partition}`) ?? this.store.getCheckpoint(connectorId, stream, partition);
  }

  async commit(_connectorId: string, batch: CommitBatch): Promise<CommitResult> {
    const result: CommitResult = { outboxInserted: 0, rawEventsInserted: 0 };
    if (batch.checkpoint) {
      const cp = batch.checkpoint;
      const version = cp.expectedVersion + 1;
      this.checkpoints.set(`${cp.stream}/${cp.partition}`, { stream: cp.stream, partition: cp.partition, value: cp.value, version, updatedAt: new Date().toISOString() });
      result.checkpointVersion = version;
    }
    for (const e of batch.rawEvents ?? []) {
      if (this.raw.has(e.key)) continue;
      this.raw.set(e.key, e);
      result.rawEventsInserted++;
    }
    for (const i of batch.interactions ?? []) this.interactions.set(i.taskSid, i);
    for (const s of batch.surveys ?? []) this.surveys.set(s.surveyTaskSid, s);
    for (const c of batch.customers ?? []) {
      const prev = this.customers.get(c.key);
      this.customers.set(c.key, prev ? { ...c, smsBlacklisted: c.smsBlacklisted || prev.smsBlacklisted, whatsappBlacklisted: c.whatsappBlacklisted || prev.whatsappBlacklisted } : c);
    }
    const events = (batch.outbox ?? []).filter((o) => o.kind === 'event' && !this.outboxKeys.has(o.key));
    const delivered = events.length ? await this.store.delivered(events.map((e) => e.key)) : new Map<string, string | null>();
    for (const o of batch.outbox ?? []) {
      if (o.kind === 'event' && (this.outboxKeys.has(o.key) || delivered.has(o.key))) continue;
      // Like the store: a contact write always counts (inserted, or coalesced with the pending one of the same key).
      this.outboxKeys.add(o.key);
      result.outboxInserted++;
    }
    return result;
  }

  async rawEventsForTasks(connectorId: string, taskSids: string[]): Promise<RawEvent[]> {
    const want = new Set(taskSids);
    const byKey = new Map<string, RawEvent>();
    for (const e of await this.store.rawEventsForTasks(connectorId, taskSids)) byKey.set(e.key, e);
    for (const e of this.raw.values()) if (e.taskSid !== undefined && want.has(e.taskSid)) byKey.set(e.key, e);
    return [...byKey.values()];
  }

  async forgottenTasks(connectorId: string, taskSids: string[]): Promise<string[]> {
    return this.store.forgottenTasks(connectorId, taskSids);
  }

  async getInteractions(connectorId: string, taskSids: string[]): Promise<InteractionRow[]> {
    const out = new Map((await this.store.getInteractions(connectorId, taskSids)).map((r) => [r.taskSid, r]));
    for (const sid of taskSids) {
      const o = this.interactions.get(sid);
      if (o) out.set(sid, o);
    }
    return [...out.values()];
  }

  async interactionsForCustomers(connectorId: string, keys: string[]): Promise<InteractionRow[]> {
    const want = new Set(keys);
    const out = new Map((await this.store.interactionsForCustomers(connectorId, keys)).map((r) => [r.taskSid, r]));
    for (const [sid, r] of this.interactions) {
      if (r.customerKey !== null && want.has(r.customerKey)) out.set(sid, r);
      else out.delete(sid);
    }
    return [...out.values()];
  }

  async surveysForCustomers(connectorId: string, keys: string[]): Promise<SurveyRow[]> {
    const want = new Set(keys);
    const out = new Map((await this.store.surveysForCustomers(connectorId, keys)).map((r) => [r.surveyTaskSid, r]));
    for (const [sid, s] of this.surveys) {
      if (s.customerKey !== null && want.has(s.customerKey)) out.set(sid, s);
      else out.delete(sid);
    }
    return [...out.values()];
  }

  async surveysForTasks(connectorId: string, linked: string[]): Promise<SurveyRow[]> {
    const want = new Set(linked);
    const out = new Map((await this.store.surveysForTasks(connectorId, linked)).map((r) => [r.surveyTaskSid, r]));
    for (const [sid, s] of this.surveys) if (s.linkedTaskSid !== null && want.has(s.linkedTaskSid)) out.set(sid, s);
    return [...out.values()];
  }

  async getCustomers(connectorId: string, keys: string[]): Promise<CustomerRow[]> {
    const out = new Map((await this.store.getCustomers(connectorId, keys)).map((c) => [c.key, c]));
    for (const k of keys) {
      const o = this.customers.get(k);
      if (o) out.set(k, o);
    }
    return [...out.values()];
  }

  async listInteractions(connectorId: string, opts: { sinceMs?: number; untilMs?: number; afterTaskSid?: string; limit: number }): Promise<InteractionRow[]> {
    const inRange = (r: InteractionRow) =>
      r.taskSid > (opts.afterTaskSid ?? '') && (opts.sinceMs === undefined || (r.createdMs ?? -Infinity) >= opts.sinceMs) && (opts.untilMs === undefined || (r.createdMs ?? Infinity) < opts.untilMs);
    const stored = await this.store.listInteractions(connectorId, opts);
    const merged = new Map(stored.map((r) => [r.taskSid, this.interactions.get(r.taskSid) ?? r]));
    for (const r of this.interactions.values()) if (inRange(r)) merged.set(r.taskSid, r);
    const rows = [...merged.values()].filter(inRange).sort((a, b) => (a.taskSid < b.taskSid ? -1 : 1));
    // Only rows up to the store page's last key are complete on both sides.
    const lastStored = stored.length === opts.limit ? stored[stored.length - 1]?.taskSid : undefined;
    return rows.filter((r) => lastStored === undefined || r.taskSid <= lastStored).slice(0, opts.limit);
  }
}

/** The real store as StoreAccess. */
export function liveStoreAccess(store: Store): StoreAccess {
  return store;
}
