import type { Channel } from '../../config/defaults.js';
import type { Logger } from '../../core/logger.js';
import type { CommitBatch, DeadLetterReason, OutboxKind } from '../../store/types.js';
import type { CallMeter, TwilioClient } from '../../sources/twilio/client.js';
import { fetchTask } from '../../sources/twilio/readers.js';
import type { BodyTransform } from '../derive/messageBodies.js';
import type { ConversationSource } from './conversationSource.js';
import { customerRederiver, commitDerived, type CustomerRederive } from './customerCommit.js';
import { planCustomers, type PlannedBatch } from './customerPlan.js';
import type { DistinctCounter } from './keyCount.js';
import type { StoreAccess } from './storeAccess.js';
import { planTasks } from './taskPlan.js';
import type { ContactSample, StreamName, StreamProgress, StreamReport, SyncDeps, SyncOptions } from './types.js';
import type { RawEvent } from '../../store/types.js';

/** Lets timers and I/O run: the delivery worker shares this event loop, and the embedded store is synchronous. */
export const yieldToLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Everything a stream needs during one run. */
export interface SyncContext {
  deps: SyncDeps;
  opts: SyncOptions;
  connectorId: string;
  access: StoreAccess;
  client: TwilioClient;
  workspaceSid: string;
  conversationServiceSid: string | undefined;
  /** Twilio time the run syncs up to (fixed at start). */
  runNowMs: number;
  log: Logger;
  /** What this run reads and writes, after `sync.*` switches and `--resources`. */
  does: { tasks: boolean; contacts: boolean; csat: boolean; conversations: boolean; agentActivity: boolean };
  /**
   * `--channels` or `--resources` leave out part of what the config syncs: the run reads and writes what they select
   * but moves no cursor, since a cursor past a window would keep the left-out part from ever being read (the next
   * run without them reads the window again; writes already made are not repeated, their keys dedupe).
   */
  partial: boolean;
  channels: ReadonlySet<Channel>;
  conversations: ConversationSource | undefined;
  /** `message_bodies` other than `off`: the customer body transform of CONVERSATION_ENDED. */
  messageBody: BodyTransform | undefined;
  queueNames: Map<string, string>;
  totals: { outbox: Record<OutboxKind, number>; deadLetters: Partial<Record<DeadLetterReason, number>> };
  warnings: string[];
  samples: { max: number; out: ContactSample[] } | undefined;
  /** Contacts enqueued in this run (a contact written in several windows is coalesced in the outbox, counted once). */
  contactKeys: DistinctCounter;
  /** The mapping and lists the stored `pushedHash`es were computed with (dry-run diffs show the change against them). */
  previousContactConfig: ContactConfig | undefined;
}

/** What shapes a contact payload besides the data: recorded in the `taskrouter_events` cursor. */
export interface ContactConfig {
  fieldMapping: Record<string, string>;
  lists: { support_contacts?: number | undefined; csat_respondents?: number | undefined };
}

export function emptyStreamReport(): StreamReport {
  return { status: 'ok', pages: 0, records: 0, requests: 0, rateWaitMs: 0, cursor: null };
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('sync aborted', 'AbortError');
}

/** A stream's checkpoint with its optimistic version: every commit expects the version it read. */
export class Checkpointer {
  private constructor(
    private readonly ctx: SyncContext,
    readonly stream: StreamName,
    readonly partition: string,
    public value: unknown,
    private version: number,
  ) {}

  static async load(ctx: SyncContext, stream: StreamName, partition: string): Promise<Checkpointer> {
    const cp = await ctx.access.getCheckpoint(ctx.connectorId, stream, partition);
    return new Checkpointer(ctx, stream, partition, cp?.value, cp?.version ?? 0);
  }

  /**
   * Commits the batch; with `value` the checkpoint moves in the same transaction. Customers another process re-derived
   * meanwhile (`tajo serve`) are derived again and the batch committed again (customerCommit.ts).
   */
  async commit(batch: Omit<CommitBatch, 'checkpoint'>, value?: unknown): Promise<void> {
    const full: CommitBatch = { ...batch };
    const persist = value !== undefined && !this.ctx.partial;
    if (persist) full.checkpoint = { stream: this.stream, partition: this.partition, value, expectedVersion: this.version };
    const { result: res, batch: committed } = await commitDerived(this.ctx.access, this.ctx.connectorId, full, syncRederiver(this.ctx));
    const contacts = (committed.outbox ?? []).filter((o) => o.kind === 'contact');
    if (persist) {
      this.version = res.checkpointVersion ?? this.version + 1;
      this.value = value;
    }
    // Contact writes always land (insert or coalesce), so the events inserted are the rest.
    for (const c of contacts) this.ctx.contactKeys.add(c.key);
    this.ctx.totals.outbox.contact = this.ctx.contactKeys.size;
    this.ctx.totals.outbox.event += Math.max(0, res.outboxInserted - contacts.length);
  }
}

/** How a sync run derives a customer again after a version conflict (the contact side of `planBatch`). */
function syncRederiver(ctx: SyncContext): CustomerRederive {
  return customerRederiver(() => ({
    connectorId: ctx.connectorId, reader: ctx.access, config: ctx.deps.config, lists: ctx.deps.listIds, nowMs: ctx.runNowMs, priority: 1,
    emit: { contacts: ctx.does.contacts, events: ctx.does.tasks, csat: ctx.does.csat },
  }));
}

/**
 * Derives the given tasks (all their events: stored + new) and their customers into one commit batch. With
 * `throughMs`, tasks with a stored TaskRouter event after it are left out and listed in `postponed` (TaskPlanDeps).
 */
export async function planBatch(
  ctx: SyncContext,
  newEvents: readonly RawEvent[],
  extraTaskSids: readonly string[],
  client: TwilioClient,
  window?: [number, number],
  throughMs?: number,
): Promise<PlannedBatch & { postponed: string[] }> {
  const cfg = ctx.deps.config;
  const plan = await planTasks(
    {
      connectorId: ctx.connectorId,
      reader: ctx.access,
      defaultPhoneRegion: cfg.default_phone_region,
      channels: ctx.channels,
      csat: ctx.does.csat,
      conversations: ctx.conversations,
      fetchTask: (sid) => fetchTask(client, ctx.workspaceSid, sid),
      queueNames: ctx.queueNames,
      conversationWindow: window,
      throughMs,
    },
    newEvents,
    extraTaskSids,
  );
  // Deriving the tasks and then their customers each hold the (synchronous) store for tens of ms: let timers and
  // sockets in between (the delivery worker's Brevo calls share this loop).
  await yieldToLoop();
  const planned = await planCustomers(
    {
      connectorId: ctx.connectorId,
      reader: ctx.access,
      config: cfg,
      lists: ctx.deps.listIds,
      nowMs: ctx.runNowMs,
      priority: 1,
      emit: { contacts: ctx.does.contacts, events: ctx.does.tasks, csat: ctx.does.csat },
      samples: ctx.samples,
      previous: ctx.previousContactConfig,
      messageBody: ctx.messageBody,
    },
    plan,
  );
  for (const [reason, n] of Object.entries(planned.deadLetters) as [DeadLetterReason, number][]) ctx.totals.deadLetters[reason] = (ctx.totals.deadLetters[reason] ?? 0) + n;
  return { ...planned, postponed: plan.postponed };
}

export function progress(ctx: SyncContext, p: StreamProgress): void {
  try {
    ctx.deps.onProgress?.(p);
  } catch (err) {
    ctx.log.debug({ err }, 'progress callback failed');
  }
}

export function meterInto(report: StreamReport): CallMeter {
  return {
    get requests() {
      return report.requests;
    },
    set requests(v: number) {
      report.requests = v;
    },
    get rateWaitMs() {
      return report.rateWaitMs;
    },
    set rateWaitMs(v: number) {
      report.rateWaitMs = v;
    },
  };
}
