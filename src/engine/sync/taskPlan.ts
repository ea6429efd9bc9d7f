import type { Channel } from '../../config/defaults.js';
import { isTajoError } from '../../core/errors.js';
import { pickCopy } from '../../store/batch.js';
import { knowsLess } from '../../store/interactionStaleness.js';
import type { DeadLetterInput, InteractionRow, RawEvent, SurveyRow } from '../../store/types.js';
import { latestSnapshot, rawEventFromSnapshot, type ConversationSnapshot } from '../derive/conversation.js';
import { deriveTask, halfDerived, type Interaction, type TaskDerivation } from '../derive/interaction.js';
import { toInteractionRow } from '../derive/rows.js';
import { deriveSurvey, toSurveyRow, type Survey } from '../derive/survey.js';
import { rawEventFromFetchedTask, readTaskEvent, TASK_FETCHED, type FetchedTask } from '../derive/taskEvents.js';
import { mapLimit, type ConversationNeed, type ConversationSource } from './conversationSource.js';
import type { StoreReader } from './storeAccess.js';

/** What deriving a set of tasks produced, before customers are recomputed. */
export interface TaskPlan {
  /** New raw events to store (the page's own, fetched Tasks, Conversation snapshots). */
  rawEvents: RawEvent[];
  interactions: Interaction[];
  /**
   * `linked`: the row of the interaction the survey rates that it was derived from (the batch's own when the batch
   * derives that interaction and its row does not know less than the stored one, else the stored one), the row that
   * decided it need not wait: CSAT_SUBMITTED is built from it.
   */
  surveys: { survey: Survey; row: SurveyRow; linked: InteractionRow | undefined }[];
  deadLetters: DeadLetterInput[];
  /** Customer keys the tasks belonged to before (a changed identity affects the old customer too). */
  previousKeys: string[];
  /** Tasks not derived: a stored TaskRouter event of theirs lies after `throughMs` (see TaskPlanDeps.throughMs). */
  postponed: string[];
  /** Survey tasks left out because the interaction they rate is unknown or half-derived (see TaskPlanDeps.awaitLinks). */
  awaitingLink?: string[];
  /** Tasks left out because TaskRouter could not give their full history now (see TaskPlanDeps.taskHistory). */
  awaitingHistory?: string[];
}

export interface TaskPlanDeps {
  connectorId: string;
  reader: StoreReader;
  defaultPhoneRegion: string;
  channels: ReadonlySet<Channel>;
  csat: boolean;
  /** Undefined when Conversations are not read (sync.conversations off). */
  conversations: ConversationSource | undefined;
  /** Fetch one Task (attributes) when no event carried them; undefined on 404. */
  fetchTask: ((taskSid: string) => Promise<FetchedTask | undefined>) | undefined;
  /** Queue names from the TaskQueues stream, for events that lack `task_queue_name`. */
  queueNames: ReadonlyMap<string, string>;
  /** The time window the tasks were read from: lets many Conversations be listed by creation day instead of fetched. */
  conversationWindow?: [number, number] | undefined;
  /**
   * A sync reading window by window knows every TaskRouter event up to here. A task with a stored event after it (a
   * crashed run stored the newest page of a later window, or a webhook stored it) may lack events in between — its
   * `reservation.accepted` while its `task.completed` is stored — so it is postponed (TaskPlan.postponed) to the
   * window that reads that event, instead of being derived without its agent (an event once enqueued is never re-sent).
   */
  throughMs?: number | undefined;
  /**
   * Survey tasks that may wait for the interaction they rate (webhooks arrive in any order): while it is unknown, or
   * known only from part of its history (`halfDerived`: completed, its `reservation.accepted` not stored yet), such a
   * survey is not derived but listed in `awaitingLink`, to be derived again later (its CSAT_SUBMITTED takes channel,
   * queue and agent from that row, and is never re-sent once enqueued). Any other survey is derived at once from what is
   * stored: with an unknown interaction under its own identity or as a `survey_unlinked` dead letter, with a
   * half-derived one without its agent.
   */
  awaitLinks?: ReadonlySet<string> | undefined;
  /**
   * The live path's TaskRouter access. A task whose events include its TaskRouter completion is read in full (`read`)
   * before it is derived, unless the caller already read it in full (`known`): that completion may have been stored by
   * a sync still reading its window (newest first, a page at a time), whose `reservation.accepted` is in a page not
   * stored yet, and a task derived from it would be sent without its agent and times (never re-sent once enqueued).
   */
  taskHistory?: {
    known: (taskSid: string) => boolean;
    read: (taskSid: string) => Promise<RawEvent[]>;
    /**
     * Whether a task whose read fails with a retryable coded error (TaskRouter unavailable) may wait: it is then left
     * out and listed in `awaitingHistory` (its inbox rows retried) instead of failing the whole batch; one that may not
     * wait (its rows are past the inbox's wait) is derived from what is stored. Without it, such a failure fails the batch.
     */
    mayWait?: (taskSid: string) => boolean;
  } | undefined;
}

const hasAttributes = (events: readonly RawEvent[]) => events.some((e) => readTaskEvent(e).taskAttributes !== undefined);
const isTaskRouter = (e: RawEvent) => !e.type.startsWith('tajo.');
/** A TaskRouter completion (not a plugin or survey post's stand-in, which TaskRouter may not know). */
const isCompletion = (e: RawEvent): boolean => {
  if (e.type !== 'task.completed' && e.type !== 'task.canceled') return false;
  const source = e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>).source : undefined;
  return source !== 'flex-plugin' && source !== 'survey';
};

/**
 * Derives every given task from ALL its stored events plus the new ones (so the result never depends on how events
 * were split into pages or in which order they came). Fetches a Task only when no event carried its attributes, and
 * a Conversation only for messaging tasks whose channel or close time depends on it and which were not read this run.
 */
export async function planTasks(deps: TaskPlanDeps, newEvents: readonly RawEvent[], extraTaskSids: readonly string[] = []): Promise<TaskPlan> {
  const fresh = new Map<string, RawEvent>();
  for (const e of newEvents) {
    const prev = fresh.get(e.key);
    fresh.set(e.key, prev ? pickCopy(prev, e) : e);
  }
  // tasks `tajo forget` erased stay erased: neither their events nor anything derived from them is kept
  const named = [...new Set([...[...fresh.values()].map((e) => e.taskSid).filter((s): s is string => s !== undefined), ...extraTaskSids])];
  const forgotten = new Set(await deps.reader.forgottenTasks(deps.connectorId, named));
  for (const [key, e] of fresh) if (e.taskSid !== undefined && forgotten.has(e.taskSid)) fresh.delete(key);
  const taskSids = named.filter((t) => !forgotten.has(t));
  const byTask = new Map<string, Map<string, RawEvent>>(taskSids.map((t) => [t, new Map()]));
  // a new copy of a stored event wins, unless it is a callback's whole-second copy of a time stored with milliseconds
  for (const e of [...(await deps.reader.rawEventsForTasks(deps.connectorId, taskSids)), ...fresh.values()]) {
    const events = e.taskSid !== undefined ? byTask.get(e.taskSid) : undefined;
    const prev = events?.get(e.key);
    events?.set(e.key, prev ? pickCopy(prev, e) : e);
  }
  const postponed: string[] = [];
  if (deps.throughMs !== undefined) {
    const through = deps.throughMs;
    for (const [t, evs] of byTask) {
      if (![...evs.values()].some((e) => isTaskRouter(e) && e.occurredMs > through)) continue;
      postponed.push(t);
      byTask.delete(t);
    }
  }
  const added: RawEvent[] = [...fresh.values()];
  const add = (e: RawEvent & { taskSid: string }) => {
    byTask.get(e.taskSid)?.set(e.key, e);
    added.push(e);
  };

  const awaitingHistory: string[] = [];
  if (deps.taskHistory) {
    const { known, read, mayWait } = deps.taskHistory;
    const unsure = [...byTask.keys()].filter((t) => !known(t) && [...(byTask.get(t)?.values() ?? [])].some(isCompletion));
    await mapLimit(unsure, 4, async (t) => {
      let history: RawEvent[];
      try {
        history = await read(t);
      } catch (err) {
        if (!(isTajoError(err) && err.retryable) || !mayWait) throw err;
        // its rows wait for another try; past the inbox's wait it is derived from what is stored, as the inbox
        // processor derives the tasks it could not read itself
        if (mayWait(t)) {
          byTask.delete(t);
          awaitingHistory.push(t);
        }
        return;
      }
      for (const e of history) {
        if (e.taskSid !== t) continue;
        const prev = byTask.get(t)?.get(e.key);
        add({ ...(prev ? pickCopy(prev, e) : e), taskSid: t });
      }
    });
  }

  // Attributes are null in lists and absent from some events: fetch the Task (a 404 is fine, Twilio deletes finished tasks).
  if (deps.fetchTask) {
    const fetchTask = deps.fetchTask;
    const missing = [...byTask.keys()].filter((t) => {
      const evs = [...(byTask.get(t)?.values() ?? [])];
      return evs.some(isTaskRouter) && !hasAttributes(evs) && !evs.some((e) => e.type === TASK_FETCHED);
    });
    await mapLimit(missing, 8, async (t) => {
      const task = await fetchTask(t);
      if (task) add({ ...rawEventFromFetchedTask(task, Math.max(...[...(byTask.get(t)?.values() ?? [])].map((e) => e.occurredMs))), taskSid: t });
    });
  }

  const events = (t: string) => [...(byTask.get(t)?.values() ?? [])];
  const region = deps.defaultPhoneRegion;
  const derive = (t: string, snap?: ConversationSnapshot, unavailable = false): TaskDerivation =>
    deriveTask(t, events(t), snap, { defaultPhoneRegion: region, conversationUnavailable: unavailable });

  const results = new Map<string, TaskDerivation>();
  const needs = new Map<string, string>();
  const reads = new Map<string, ConversationNeed>();
  // message_bodies not off: a closed snapshot stored without the customer bodies (a webhook's, or read before the
  // mode was switched on) is read once more for them.
  const wantBodies = deps.conversations?.messageBodies === true;
  const closedWithoutBodies = new Map<string, ConversationSnapshot>();
  for (const t of byTask.keys()) {
    if (!events(t).some(isTaskRouter)) continue;
    const d = derive(t);
    results.set(t, d);
    const conv = d.kind === 'needsConversation' ? d.conversationSid : d.kind === 'interaction' && d.interaction.channel !== 'voice' ? d.interaction.conversationSid : null;
    if (conv === null || !deps.conversations) continue;
    // A closed snapshot is final; otherwise read it (once per run: the source caches).
    if (d.kind !== 'needsConversation') {
      const stored = latestSnapshot(events(t));
      if (stored && stored.closedMs !== null) {
        if (!wantBodies || stored.bodies !== undefined || stored.sid !== conv) continue;
        closedWithoutBodies.set(t, stored);
      }
    }
    needs.set(t, conv);
    reads.set(conv, mergeNeeds(reads.get(conv), conversationNeed(d)));
  }
  const snaps = deps.conversations
    ? await deps.conversations.snapshots(reads, deps.conversationWindow ? { createdWithin: deps.conversationWindow } : {})
    : new Map<string, ConversationSnapshot | null>();
  for (const [t, conv] of needs) {
    const snap = snaps.get(conv) ?? null;
    const stored = closedWithoutBodies.get(t);
    if (stored) {
      // Only the bodies are new: the stored snapshot (e.g. a webhook's exact close time) stays what it was.
      if (snap?.bodies !== undefined) add(rawEventFromSnapshot(t, { ...stored, bodies: snap.bodies }) as RawEvent & { taskSid: string });
      results.set(t, derive(t));
      continue;
    }
    if (snap) add(rawEventFromSnapshot(t, snap) as RawEvent & { taskSid: string });
    results.set(t, derive(t, undefined, snap === null));
  }
  for (const [t, d] of results) if (d.kind === 'needsConversation') results.set(t, derive(t, undefined, true));

  const plan: TaskPlan = { rawEvents: dedupe(added), interactions: [], surveys: [], deadLetters: [], previousKeys: [], postponed, ...(awaitingHistory.length ? { awaitingHistory } : {}) };
  const surveyTasks: Extract<TaskDerivation, { kind: 'survey' }>[] = [];
  for (const d of results.values()) {
    if (d.kind === 'interaction') {
      const i = d.interaction;
      if (!deps.channels.has(i.channel)) continue;
      if (i.queueSid !== null && i.queueName === null) i.queueName = deps.queueNames.get(i.queueSid) ?? null;
      if (i.createdQueueSid !== null && i.createdQueueName === null) i.createdQueueName = deps.queueNames.get(i.createdQueueSid) ?? null;
      plan.interactions.push(i);
    } else if (d.kind === 'deadLetter') plan.deadLetters.push(d.deadLetter);
    else if (d.kind === 'survey') surveyTasks.push(d);
  }
  const prev = await deps.reader.getInteractions(deps.connectorId, plan.interactions.map((i) => i.taskSid));
  const newKey = new Map(plan.interactions.map((i) => [i.taskSid, i.customer.extId]));
  plan.previousKeys = prev.filter((p) => p.customerKey !== null && p.customerKey !== newKey.get(p.taskSid)).map((p) => p.customerKey as string);

  if (deps.csat && surveyTasks.length > 0) await planSurveys(deps, plan, surveyTasks);
  return plan;
}

/** The batch's row over the stored one, unless it knows less of the task. */
function newest(batch: InteractionRow | undefined, stored: InteractionRow | undefined): InteractionRow | undefined {
  if (batch === undefined || stored === undefined) return batch ?? stored;
  return knowsLess(batch, stored) ? stored : batch;
}

async function planSurveys(deps: TaskPlanDeps, plan: TaskPlan, surveyTasks: Extract<TaskDerivation, { kind: 'survey' }>[]): Promise<void> {
  const inBatch = new Map(plan.interactions.map((i) => [i.taskSid, toInteractionRow(i, '')]));
  const linkedSids = surveyTasks.map((s) => s.attributes).map((a) => (a.conversations as Record<string, unknown> | undefined)?.conversation_id).filter((x): x is string => typeof x === 'string');
  const stored = new Map((await deps.reader.getInteractions(deps.connectorId, linkedSids)).map((r) => [r.taskSid, r]));
  const forgotten = new Set(await deps.reader.forgottenTasks(deps.connectorId, linkedSids));
  for (const s of surveyTasks) {
    const linkedSid = (s.attributes.conversations as Record<string, unknown> | undefined)?.conversation_id;
    if (typeof linkedSid === 'string' && forgotten.has(linkedSid)) {
      // it rates an interaction `tajo forget` erased: nothing of it is kept either
      plan.rawEvents = plan.rawEvents.filter((e) => e.taskSid !== s.facts.taskSid);
      continue;
    }
    // the batch's own row of that interaction, unless it knows less than the stored one (another process committed more
    // of the task's history since this batch read it: the batch's row will not be committed, store/interactionStaleness.ts)
    const linked = typeof linkedSid === 'string' ? newest(inBatch.get(linkedSid), stored.get(linkedSid)) : undefined;
    // A half-derived row waits like an unknown one (the live path: `awaitLinks` holds the surveys whose inbox rows may
    // still wait; past that wait they are derived from what is stored, as an unknown link is). A sync passes no
    // `awaitLinks`: its surveys are derived at once. It needs no wait for the rows it derives (a task is derived only
    // once every event up to the window's end is stored and none after it, `throughMs`; a survey starts after the
    // interaction it rates ended, so that interaction is derived in the same chunk or an earlier one), and it has no
    // way to wait: a survey put off has no inbox row to retry, and no event of its own after the window to bring it
    // back after a crash (as a postponed task has), so it would be lost. A half row stored by another path is used as is.
    if (typeof linkedSid === 'string' && (!linked || halfDerived(linked)) && deps.awaitLinks?.has(s.facts.taskSid)) {
      (plan.awaitingLink ??= []).push(s.facts.taskSid);
      continue;
    }
    const r = deriveSurvey(s.facts, s.attributes, linked, deps.defaultPhoneRegion);
    if (r.kind === 'deadLetter') plan.deadLetters.push(r.deadLetter);
    if (r.kind !== 'survey') continue;
    const key = linked?.customerKey ?? r.survey.ownIdentity?.extId ?? null;
    plan.surveys.push({ survey: r.survey, row: toSurveyRow(r.survey, key), linked });
  }
}

/**
 * Participants only when the channel depends on the binding; Messages only where STOP matters (sms, whatsapp, or a
 * channel not known yet); the close time comes with the Conversation itself. (A source reading message bodies also
 * reads the Messages of closed Conversations.)
 */
function conversationNeed(d: TaskDerivation): ConversationNeed {
  if (d.kind !== 'interaction') return { participants: true, messages: true };
  const i = d.interaction;
  const from = typeof i.attributes.from === 'string' ? i.attributes.from : undefined;
  return { participants: false, messages: i.channel === 'sms' || i.channel === 'whatsapp', customerAddress: from };
}

function mergeNeeds(a: ConversationNeed | undefined, b: ConversationNeed): ConversationNeed {
  if (!a) return b;
  return { participants: a.participants || b.participants, messages: a.messages || b.messages, customerAddress: a.customerAddress ?? b.customerAddress };
}

function dedupe(events: RawEvent[]): RawEvent[] {
  return [...new Map(events.map((e) => [e.key, e])).values()];
}
