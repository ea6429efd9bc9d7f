import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../config/defaults.js';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { openStore } from '../../store/openStore.js';
import type { Store } from '../../store/store.js';
import type { RawEvent } from '../../store/types.js';
import type { BrevoEventItem } from '../derive/events.js';
import { Q1, W1, ev, sidOf } from '../derive/test-helpers/events.js';
import { planCustomers } from './customerPlan.js';
import { planTasks, type TaskPlan, type TaskPlanDeps } from './taskPlan.js';

/**
 * The interaction a survey rates, stored from part of its history (its `task.completed` without the
 * `reservation.accepted` before it: a sync stores a window newest first, a page at a time, and may be killed between
 * pages). A survey derived from that row would send CSAT_SUBMITTED without agent / agent_sid, never to be re-sent.
 */
const C = 'twilio-flex';
const cfg = TwilioFlexConfigSchema.parse({ lists: { support_contacts: 1, csat_respondents: 2 } });
const [L, S] = [sidOf('WT', 1), sidOf('WT', 2)];
const created = ev(L, 'task.created', { at: 0, attrs: { from: '+14155550100', name: 'Ann' }, channel: 'voice', queue: Q1 });
const accepted = ev(L, 'reservation.accepted', { at: 10, worker: W1, queue: Q1 });
const completed = ev(L, 'task.completed', { at: 100, queue: Q1 });
const survey = [
  ev(S, 'task.created', { at: 200, attrs: { from: '+14155550100', conversations: { kind: 'Survey', conversation_id: L } }, channel: 'voice' }),
  ev(S, 'task.updated', { at: 260, attrs: { from: '+14155550100', conversations: { kind: 'Survey', conversation_id: L, conversation_measure_1: 4, conversation_label_1: 'Overall' } } }),
  ev(S, 'task.completed', { at: 261 }),
];

let store: Store;
let dir: string;
let deps: TaskPlanDeps;
const patient: Partial<TaskPlanDeps> = { awaitLinks: new Set([S]) };
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tajo-survey-link-'));
  store = await openStore({ dataDir: dir });
  deps = { connectorId: C, reader: store, defaultPhoneRegion: 'US', channels: new Set(CHANNELS), csat: true, conversations: undefined, fetchTask: undefined, queueNames: new Map() };
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const customers = (plan: TaskPlan) =>
  planCustomers({ connectorId: C, reader: store, config: cfg, lists: cfg.lists, nowMs: Date.now(), priority: 1, emit: { contacts: true, events: true, csat: true } }, plan);
/** Derives `events` (with the stored ones) and commits the result, as one sync page does. */
async function commitPage(events: RawEvent[]): Promise<TaskPlan> {
  const plan = await planTasks(deps, events);
  await store.commit(C, (await customers(plan)).batch);
  return plan;
}
const csat = async (plan: TaskPlan) =>
  ((await customers(plan)).batch.outbox ?? []).map((o) => o.payload as BrevoEventItem).filter((p) => p.event_name === 'CSAT_SUBMITTED').map((p) => p.event_properties);

describe('a survey whose linked interaction is stored half-derived (completed, no agent)', () => {
  it('waits while it may; once the interaction is derived again with its reservation.accepted, the CSAT carries the agent', async () => {
    await commitPage([created, completed]);
    expect(await store.getInteractions(C, [L])).toEqual([expect.objectContaining({ outcome: 'completed', queueName: Q1[1], workerSid: null, answeredMs: null })]);

    const waiting = await planTasks({ ...deps, ...patient }, survey);
    expect(waiting.awaitingLink).toEqual([S]);
    expect(waiting.surveys).toEqual([]);
    expect(await csat(waiting)).toEqual([]);

    // the sync's next page: the accepted event, and the interaction derived again from its whole history
    await commitPage([accepted]);
    expect(await store.getInteractions(C, [L])).toEqual([expect.objectContaining({ outcome: 'completed', workerSid: W1[0], workerName: W1[1] })]);

    const linked = await planTasks({ ...deps, ...patient }, survey);
    expect(linked.awaitingLink).toBeUndefined();
    expect(await csat(linked)).toEqual([expect.objectContaining({ csat_score: 4, linked_task_sid: L, channel: 'voice', queue: Q1[1], agent: W1[1], agent_sid: W1[0] })]);
  });

  it('the batch\'s own half-derived row of the interaction makes the survey wait too', async () => {
    const plan = await planTasks({ ...deps, ...patient }, [created, completed, ...survey]);
    expect(plan.interactions).toEqual([expect.objectContaining({ taskSid: L, outcome: 'completed', workerSid: null })]);
    expect(plan.awaitingLink).toEqual([S]);
    expect(plan.surveys).toEqual([]);
  });

  it('a survey that may not wait (a sync\'s, or past the inbox wait) is derived from the row as stored: nothing is lost', async () => {
    await commitPage([created, completed]);
    const plan = await planTasks(deps, survey);
    expect(plan.awaitingLink).toBeUndefined();
    const [props] = await csat(plan);
    expect(props).toMatchObject({ csat_score: 4, linked_task_sid: L, channel: 'voice', queue: Q1[1] });
    expect(props).not.toHaveProperty('agent_sid');
  });

  it('an abandoned interaction (no agent ever accepted it) does not make the survey wait', async () => {
    await commitPage([created, ev(L, 'task.canceled', { at: 40 })]);
    const plan = await planTasks({ ...deps, ...patient }, survey);
    expect(plan.awaitingLink).toBeUndefined();
    expect(await csat(plan)).toEqual([expect.objectContaining({ csat_score: 4, linked_task_sid: L, channel: 'voice', queue: Q1[1] })]);
  });

  it("a batch that derived the interaction from less of its history than the store has now (another process committed more since it read) links the survey to the stored row, and derives the customer from it", async () => {
    await commitPage([created, accepted, completed]);
    // this batch read the interaction's events before that commit: created and completed came with it, the accepted not
    const before = Object.assign(Object.create(store) as Store, { rawEventsForTasks: async () => [] });
    const plan = await planTasks({ ...deps, reader: before, ...patient }, [created, completed, ...survey]);
    expect(plan.interactions).toEqual([expect.objectContaining({ taskSid: L, outcome: 'completed', workerSid: null })]);
    expect(plan.awaitingLink).toBeUndefined();
    expect(plan.surveys.map((s) => s.linked?.workerSid)).toEqual([W1[0]]);
    expect(await csat(plan)).toEqual([expect.objectContaining({ csat_score: 4, linked_task_sid: L, agent: W1[1], agent_sid: W1[0] })]);
    const { batch } = await customers(plan);
    await store.commit(C, batch);
    expect(await store.getInteractions(C, [L])).toEqual([expect.objectContaining({ outcome: 'completed', workerSid: W1[0], answeredMs: expect.any(Number) as unknown })]);
  });

  it('planCustomers builds the CSAT from the linked row the survey was planned with, not from another row of that task', async () => {
    const half = await planTasks(deps, [created, completed]);
    await commitPage([created, accepted, completed]);
    const plan = await planTasks({ ...deps, ...patient }, survey);
    expect(plan.surveys.map((s) => s.linked?.workerSid)).toEqual([W1[0]]);
    // not a plan planTasks makes (it links a survey to the batch's own row when it has one): the row that decided the
    // survey need not wait is the one its event is built from
    plan.interactions.push(...half.interactions);
    expect(await csat(plan)).toEqual([expect.objectContaining({ agent: W1[1], agent_sid: W1[0] })]);
  });
});
