import { randomBytes } from 'node:crypto';
import { TajoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/store.js';
import { isCoarserCopy } from '../../store/batch.js';
import type { CommitBatch, DeadLetterInput, InboxItem, RawEvent } from '../../store/types.js';
import { ConversationIndex } from './conversationIndex.js';
import { attachConversations, type ConversationReader } from './attachConversations.js';
import type { ConversationObservation } from './conversationEvents.js';
import { normalizeInboxItem } from './normalize.js';
import { fallbackCompletionEvents, type PluginCompletion } from './pluginEvents.js';
import type { TaskRouterLookup } from './taskRouterLookup.js';
import { isolateBugs } from './isolateBugs.js';
import { historyReader, readFinishedTasks } from './tasksToComplete.js';
import type { TaskPlanDeps } from '../sync/taskPlan.js';
import { commitDerived, type CustomerRederive } from '../sync/customerCommit.js';

/**
 * Derives the given tasks from their stored raw events plus `rawEvents` (not stored yet) and returns what to
 * commit with them: interactions, surveys, customers, outbox items (at `priority`), dead letters, and any raw
 * events it read on the way. This is the derivation engine's job (`livePlanner` wraps the sync engine's
 * planTasks + planCustomers); the processor only decides which tasks changed.
 */
export type TaskPlanner = (input: {
  taskSids: string[];
  rawEvents: RawEvent[];
  priority: 0 | 1;
  /** Survey tasks that may wait for the interaction they rate (TaskPlanDeps.awaitLinks); those still waiting come back in `awaitingLink`. */
  awaitLinks?: ReadonlySet<string>;
  /** TaskRouter reads of finished tasks not read in full yet (TaskPlanDeps.taskHistory); absent without TaskRouter access. */
  taskHistory?: TaskPlanDeps['taskHistory'];
}) => Promise<Omit<CommitBatch, 'processedInboxIds' | 'checkpoint'> & { awaitingLink?: string[]; awaitingHistory?: string[] }>;

export interface InboxProcessorOptions {
  store: Store;
  connectorId: string;
  plan: TaskPlanner;
  /**
   * Derives customers again when the commit finds that another process (a concurrent `tajo connectors sync`, another
   * replica) re-derived them since the plan read them (`customerRederiver` over the planner's inputs). Without it such a
   * batch is not committed and its items are retried after their lease.
   */
  rederive?: CustomerRederive | undefined;
  logger: Logger;
  /** Full Conversation reads (a new reader per batch: its cache must not outlive a cycle). */
  conversationReader?: (() => ConversationReader) | undefined;
  /** TaskRouter access for Flex plugin calls (reservation → task, the task's events). Without it, plugin calls use their own payload. */
  taskRouter?: TaskRouterLookup | undefined;
  workerId?: string;
  batchSize?: number;
  /** Claim lease; an item whose commit failed is retried after it. */
  leaseMs?: number;
  /**
   * An item deferred (waiting for its task) is retried after a quarter of its age, at least this (default 2 s) and at
   * most the lease: seconds after what it waits for arrived, without re-reading a long-waiting item every few seconds.
   */
  retryMs?: number;
  /** Idle poll interval of `start()`; `wake()` runs at once. */
  pollMs?: number;
  /** How long an item may wait for what it refers to (a conversation's task, a reservation) before it is dropped. */
  maxDeferMs?: number;
  now?: () => number;
  onProcessed?: (result: RunResult) => void;
}

export interface RunResult {
  claimed: number;
  processed: number;
  deferred: number;
  ignored: number;
  /** Items another inbox row holds (a store that dedupes at claim), dropped: by inbox source. */
  duplicates: Partial<Record<InboxItem['source'], number>>;
  rawEvents: number;
  outboxInserted: number;
  tasks: number;
}

const EMPTY_RESULT: RunResult = { claimed: 0, processed: 0, deferred: 0, ignored: 0, duplicates: {}, rawEvents: 0, outboxInserted: 0, tasks: 0 };

/**
 * Turns committed webhook deliveries into derived state: claims inbox items, normalises them to raw events,
 * links conversation facts and plugin calls to their tasks, re-derives every affected task and commits raw events,
 * derived rows, outbox items (priority 0: live ahead of backfill) and the processed inbox ids in one transaction.
 * Safe to run in several processes (claims are leased) and beside `tajo connectors sync` (same store, idempotent keys).
 */
export class InboxProcessor {
  private readonly workerId: string;
  private readonly now: () => number;
  private readonly conversations: ConversationIndex;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RunResult> | undefined;
  private stopped = true;
  private again = false;
  private readonly listeners = new Set<(r: RunResult) => void>();
  /** Tasks whose full event set was already read after their end (bounded). */
  private readonly completed = new Set<string>();

  constructor(private readonly opts: InboxProcessorOptions) {
    this.workerId = opts.workerId ?? `inbox-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.now = opts.now ?? Date.now;
    this.conversations = new ConversationIndex(opts.store, opts.connectorId, this.now);
  }

  /** One claim → derive → commit cycle. Never throws for a store or Twilio failure: the items stay claimed and are retried. */
  async runOnce(): Promise<RunResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.cycle().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async cycle(): Promise<RunResult> {
    const o = this.opts;
    const nowMs = this.now();
    let items: InboxItem[];
    try {
      items = await o.store.claimInbox({ workerId: this.workerId, limit: o.batchSize ?? 200, leaseMs: o.leaseMs ?? 60_000, nowMs });
    } catch (err) {
      o.logger.warn({ err: msg(err) }, 'inbox claim failed');
      return EMPTY_RESULT;
    }
    if (items.length === 0) return EMPTY_RESULT;
    return isolateBugs(items, {
      run: (some) => this.process(some, nowMs),
      setAside: (row, err) => this.setAside(row, err),
      add: addResults,
      onSplit: (err, rows) => o.logger.warn({ err: msg(err), rows }, 'inbox batch failed on a bug; processing its rows in halves to set the failing one aside'),
    });
  }

  /** One inbox row whose processing throws a bug, twice: its items become `processing_failed` dead letters. */
  private async setAside(items: InboxItem[], err: unknown): Promise<RunResult> {
    const o = this.opts;
    const row = items[0]!;
    o.logger.error({ err: err instanceof Error ? err.stack ?? err.message : String(err), inboxId: row.id, source: row.source }, 'inbox row set aside as a dead letter: processing it throws');
    const deadLetters: DeadLetterInput[] = items.filter((i) => !i.duplicate).map((i) => ({
      source: 'webhook', reason: 'processing_failed', recordKey: `inbox:${i.id}:${i.key}`,
      payload: { key: i.key, source: i.source, webhook: i.payload }, error: msg(err),
    }));
    const result: RunResult = { ...EMPTY_RESULT, duplicates: {}, claimed: items.length, ignored: deadLetters.length };
    for (const i of items) if (i.duplicate) result.duplicates[i.source] = (result.duplicates[i.source] ?? 0) + 1;
    try {
      await commitDerived(o.store, o.connectorId, { processedInboxIds: [row.id], deadLetters }, o.rederive);
    } catch (commitErr) {
      o.logger.warn({ err: msg(commitErr), inboxId: row.id }, 'inbox row not set aside; retried after its lease');
      return { ...EMPTY_RESULT, claimed: items.length, deferred: items.length };
    }
    o.onProcessed?.(result);
    for (const fn of this.listeners) fn(result);
    return result;
  }

  /** Normalise → complete from TaskRouter → attach Conversation facts → derive → commit, for claimed items. */
  private async process(items: InboxItem[], nowMs: number): Promise<RunResult> {
    const o = this.opts;
    const result: RunResult = { ...EMPTY_RESULT, duplicates: {}, claimed: items.length };
    const rawEvents = new Map<string, RawEvent>();
    const add = (evs: readonly RawEvent[]): void => {
      for (const e of evs) {
        const prev = rawEvents.get(e.key);
        // first seen wins, unless a later copy has the milliseconds the first one's whole seconds lack
        if (!prev || isCoarserCopy(prev, e)) rawEvents.set(e.key, e);
      }
    };
    const deferred = new Set<number>();
    // Tasks read in full from TaskRouter now: `this.completed` once the commit storing what was read succeeded (a failed
    // cycle stored nothing, so its retry reads them again instead of deriving them from its own rows' events alone).
    const readInFull = new Set<string>();
    const readWhole = (t: string): boolean => this.completed.has(t) || readInFull.has(t);
    const pendingConversations: { item: InboxItem; obs: ConversationObservation }[] = [];
    const maxDeferMs = o.maxDeferMs ?? 3_600_000;
    const expired = (item: InboxItem): boolean => nowMs - Date.parse(item.receivedAt) > maxDeferMs;

    // by inbox row: a batch row's items share its id (they complete together, and a deferred item defers its row)
    const normalizedEvents = new Map<number, RawEvent[]>();
    // A row the store could not read back leaves the inbox as a dead letter (its text kept), not as a stall.
    const ownDeadLetters: DeadLetterInput[] = [];
    for (const item of items) {
      if (item.corrupt !== undefined) {
        o.logger.error({ inboxId: item.id, source: item.source }, item.corrupt);
        ownDeadLetters.push({ source: 'webhook', reason: 'corrupt_inbox_row', recordKey: `inbox:${item.id}`, payload: { key: item.key, source: item.source, ...(item.payload as object) }, error: item.corrupt });
        result.ignored += 1;
        continue;
      }
      if (item.duplicate) {
        result.duplicates[item.source] = (result.duplicates[item.source] ?? 0) + 1;
        continue;
      }
      const n = normalizeInboxItem(item);
      add(n.rawEvents);
      const rowEvents = normalizedEvents.get(item.id);
      if (rowEvents) rowEvents.push(...n.rawEvents);
      else normalizedEvents.set(item.id, [...n.rawEvents]);
      if (n.ignored) result.ignored += 1;
      for (const c of n.completions) {
        const r = await this.completion(c, expired(item), readInFull);
        if (r === 'defer') deferred.add(item.id);
        else if (r === 'unresolved') {
          ownDeadLetters.push({
            source: 'webhook', reason: 'reservation_unresolved', recordKey: `inbox:${item.id}:${item.key}`, payload: { key: item.key, source: item.source, webhook: item.payload },
            error: `reservation ${c.reservationSid ?? '(none)'} did not resolve to a task within the inbox's wait${this.opts.taskRouter ? '' : ' (no TaskRouter access)'}`,
          });
          result.ignored += 1;
        } else add(r);
      }
      for (const obs of n.conversations) pendingConversations.push({ item, obs });
    }

    // The inbox rows each task's events came from.
    const rowsOf = new Map<string, Set<number>>();
    for (const [id, events] of normalizedEvents) {
      for (const e of events) if (e.taskSid) rowsOf.set(e.taskSid, (rowsOf.get(e.taskSid) ?? new Set()).add(id));
    }
    const itemById = new Map(items.map((i) => [i.id, i]));
    const patient = (ids: Iterable<number>): boolean => [...ids].every((id) => !expired(itemById.get(id) as InboxItem));
    // A task that reached its end through a webhook: read its full event set from TaskRouter, so the Brevo events
    // enqueued now do not depend on which deliveries happened to arrive first (shuffled, at-least-once).
    const { readNow: readHere, unreadable, waiting } = o.taskRouter
      ? await readFinishedTasks({
        lookup: o.taskRouter, rows: normalizedEvents, known: readWhole, completed: (t) => readInFull.add(t),
        put: (e) => rawEvents.set(e.key, e), mayWait: (id) => !expired(itemById.get(id) as InboxItem),
        failed: (taskSid, err) => o.logger.warn({ err: msg(err), taskSid }, 'TaskRouter events of a finished task could not be read; retrying later'),
      })
      : { readNow: new Set<string>(), unreadable: new Set<string>(), waiting: [] };
    for (const id of waiting) deferred.add(id);

    // Conversation facts attach to the interactions whose attributes name the conversation.
    if (pendingConversations.length > 0) {
      const r = await attachConversations({
        store: o.store,
        connectorId: o.connectorId,
        index: this.conversations,
        pending: pendingConversations,
        batchEvents: [...rawEvents.values()],
        reader: o.conversationReader?.(),
        expired,
        logger: o.logger,
      });
      add(r.events);
      for (const id of r.deferred) deferred.add(id);
      ownDeadLetters.push(...r.deadLetters);
    }
    const events = [...rawEvents.values()];
    const taskSids = [...new Set(events.map((e) => e.taskSid).filter((s): s is string => s !== undefined && !unreadable.has(s)))].sort();
    result.tasks = taskSids.length;
    // A survey that came before the interaction it rates waits for it (as long as its rows may wait), instead of being
    // sent without the interaction's channel, queue and agent, or dead-lettered.
    const awaitLinks = new Set(taskSids.filter((t) => rowsOf.has(t) && patient(rowsOf.get(t) as Set<number>)));
    try {
      // a task finished in the store but not read in full here (a sync stored its completion) is read by the planner
      const taskHistory = o.taskRouter && {
        ...historyReader(o.taskRouter, (t) => readWhole(t) || readHere.has(t), (t) => readInFull.add(t)),
        mayWait: (t: string) => rowsOf.has(t) && patient(rowsOf.get(t) as Set<number>),
      };
      const planned: Awaited<ReturnType<TaskPlanner>> = taskSids.length > 0 ? await o.plan({ taskSids, rawEvents: unreadable.size ? events.filter((e) => e.taskSid === undefined || !unreadable.has(e.taskSid)) : events, priority: 0, awaitLinks, ...(taskHistory ? { taskHistory } : {}) }) : {};
      const { awaitingLink, awaitingHistory, ...derived } = planned;
      for (const t of [...(awaitingLink ?? []), ...(awaitingHistory ?? [])]) for (const id of rowsOf.get(t) ?? []) deferred.add(id);
      const doneItems = items.filter((i) => !deferred.has(i.id));
      const done = [...new Set(doneItems.map((i) => i.id))];
      result.deferred = items.length - doneItems.length;
      // the planner may add raw events (fetched Tasks, Conversation snapshots): keep the union, first seen wins
      const byKey = new Map(events.map((e) => [e.key, e]));
      for (const e of derived.rawEvents ?? []) if (!byKey.has(e.key)) byKey.set(e.key, e);
      const batch: CommitBatch = { ...derived, rawEvents: [...byKey.values()], processedInboxIds: done, deadLetters: [...(derived.deadLetters ?? []), ...ownDeadLetters] };
      const { result: r } = await commitDerived(o.store, o.connectorId, batch, o.rederive);
      for (const t of readInFull) this.markCompleted(t);
      result.processed = doneItems.filter((i) => !i.duplicate).length;
      result.rawEvents = r.rawEventsInserted;
      result.outboxInserted = r.outboxInserted;
      this.conversations.learnRows(derived.interactions ?? []);
    } catch (err) {
      if (!(err instanceof TajoError)) throw err; // a bug: `isolateBugs` sets the row that trips it aside
      o.logger.warn({ err: msg(err), items: items.length }, 'inbox batch not committed; the items are retried after their lease');
      // nothing was committed: the duplicates come back with their rows, and are counted then
      return { ...result, processed: 0, deferred: items.length, duplicates: {} };
    }
    // Reported as soon as the cycle is committed: the delivery worker may already be sending its outbox rows, and a
    // reader of the metrics must not see a delivery before the inbox item it came from.
    o.onProcessed?.(result);
    for (const fn of this.listeners) fn(result);
    await this.scheduleRetries([...deferred], itemById, nowMs);
    return result;
  }

  /** Moves the lease end of deferred rows to their retry time (a failure only leaves them to their lease). */
  private async scheduleRetries(ids: number[], itemById: ReadonlyMap<number, InboxItem>, nowMs: number): Promise<void> {
    if (!ids.length) return;
    const leaseMs = this.opts.leaseMs ?? 60_000;
    const minMs = Math.min(this.opts.retryMs ?? 2000, leaseMs);
    const at = new Map<number, number[]>();
    for (const id of ids) {
      const received = Date.parse(itemById.get(id)?.receivedAt ?? '');
      const age = Number.isFinite(received) ? Math.max(0, nowMs - received) : leaseMs;
      const t = nowMs + Math.min(leaseMs, Math.max(minMs, Math.round(age / 4)));
      at.set(t, [...(at.get(t) ?? []), id]);
    }
    try {
      for (const [t, group] of at) await this.opts.store.retryInboxAt(group, this.workerId, t);
    } catch (err) {
      this.opts.logger.warn({ err: msg(err), items: ids.length }, 'deferred inbox items keep their lease');
    }
  }

  /**
   * A plugin / SDK completion → the task's events (TaskRouter), or synthetic ones; 'defer' to retry later;
   * 'unresolved' when it names only a reservation that found no task within the inbox's wait (kept as a dead letter).
   */
  private async completion(c: PluginCompletion, expired: boolean, readInFull: Set<string>): Promise<RawEvent[] | 'defer' | 'unresolved'> {
    const tr = this.opts.taskRouter;
    let taskSid = c.taskSid;
    try {
      if (!taskSid && c.reservationSid && tr) taskSid = await tr.taskForReservation(c.reservationSid);
      if (!taskSid) {
        if (expired) {
          this.opts.logger.warn({ reservationSid: c.reservationSid }, 'plugin call: reservation never resolved to a task; kept as a dead letter');
          return 'unresolved';
        }
        return 'defer';
      }
      if (tr) {
        const events = await tr.eventsForTask(taskSid);
        if (events.some((e) => e.type === 'task.completed' || e.type === 'task.canceled')) {
          readInFull.add(taskSid);
          return events;
        }
        if (!expired) return 'defer'; // TaskRouter has not published the completion yet
        return [...events, ...fallbackCompletionEvents({ ...c, taskSid })];
      }
    } catch (err) {
      if (!expired) {
        this.opts.logger.warn({ err: msg(err) }, 'plugin call: TaskRouter lookup failed; retrying later');
        return 'defer';
      }
      if (!taskSid) return 'unresolved';
    }
    return fallbackCompletionEvents({ ...c, taskSid });
  }

  /** Called after every committed cycle (metrics); returns the unsubscribe function. */
  subscribe(fn: (r: RunResult) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private markCompleted(taskSid: string): void {
    if (this.completed.size >= 50_000) this.completed.clear();
    this.completed.add(taskSid);
  }

  /** Runs `runOnce` now (after the current cycle) — called when the server committed new items. */
  wake(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), 0);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setTimeout(() => void this.loop(), 0);
  }

  private async loop(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    let r: RunResult;
    do {
      this.again = false;
      r = await this.runOnce().catch((err: unknown) => {
        this.opts.logger.error({ err: msg(err) }, 'inbox processor cycle failed');
        return EMPTY_RESULT;
      });
    } while (!this.stopped && (this.again || r.processed > 0));
    if (!this.stopped && !this.timer) this.timer = setTimeout(() => void this.loop(), this.opts.pollMs ?? 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}

function addResults(a: RunResult, b: RunResult): RunResult {
  const duplicates = { ...a.duplicates };
  for (const [k, n] of Object.entries(b.duplicates) as [InboxItem['source'], number][]) duplicates[k] = (duplicates[k] ?? 0) + n;
  return {
    claimed: a.claimed + b.claimed, processed: a.processed + b.processed, deferred: a.deferred + b.deferred, ignored: a.ignored + b.ignored,
    duplicates, rawEvents: a.rawEvents + b.rawEvents, outboxInserted: a.outboxInserted + b.outboxInserted, tasks: a.tasks + b.tasks,
  };
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
