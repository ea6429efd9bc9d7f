import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import { openStore } from '../../store/openStore.js';
import type { Store } from '../../store/store.js';
import type { InboxInput } from '../../store/types.js';
import { Q1, W1, at, sidOf } from '../derive/test-helpers/events.js';
import { InboxProcessor } from './inboxProcessor.js';
import { livePlanner } from './livePlanner.js';

/**
 * Webhooks arrive in any order: a survey posted before the interaction it rates waits for it (within maxDeferMs),
 * so its CSAT_SUBMITTED carries the interaction's channel, queue and agent whichever came first.
 */
const C = 'twilio-flex';
const cfg = TwilioFlexConfigSchema.parse({ lists: { support_contacts: 1 } });
const T1 = sidOf('WT', 1);
const LEASE = 1000;

let store: Store;
let dir: string;
let clock: number;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tajo-survey-order-'));
  store = await openStore({ dataDir: dir });
  clock = Date.now();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const processor = () =>
  new InboxProcessor({
    store, connectorId: C, logger: silentLogger(), leaseMs: LEASE, maxDeferMs: 60_000, now: () => clock,
    plan: livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock }),
  });

/** T1 as TaskRouter callbacks: an SMS from Jane, answered by W1 in Q1. */
const interaction = (): InboxInput[] => {
  const form = (n: number, type: string, s: number, extra: Record<string, string> = {}): InboxInput => ({
    key: sidOf('EV', n), source: 'taskrouter',
    payload: { Sid: sidOf('EV', n), EventType: type, TimestampMs: String(at(s)), TaskSid: T1, ...extra },
  });
  const attrs = JSON.stringify({ from: '+14155550100', name: 'Jane', channelType: 'sms' });
  return [
    form(1, 'task.created', 0, { TaskAttributes: attrs, TaskChannelUniqueName: 'default', TaskQueueSid: Q1[0], TaskQueueName: Q1[1] }),
    form(2, 'reservation.accepted', 10, { WorkerSid: W1[0], WorkerName: W1[1], TaskQueueSid: Q1[0], TaskQueueName: Q1[1] }),
    form(3, 'task.completed', 100),
  ];
};
/** A flat survey post (no identity of its own): what the survey route stores. */
const survey: InboxInput = { key: `survey:linked:${T1}`, source: 'survey', payload: { LinkedTaskSid: T1, Score: 2, ReceivedMs: at(200) } };

/** The CSAT events in the outbox (read from the file: a claim would hold events back until their contact is delivered). */
function csatEvents(): unknown[] {
  const db = new Database(join(dir, 'tajo.db'), { readonly: true });
  try {
    const rows = db.prepare("SELECT payload FROM outbox WHERE kind = 'event'").all() as { payload: string }[];
    return rows.map((r) => JSON.parse(r.payload) as { event_name: string; event_properties: unknown }).filter((p) => p.event_name === 'CSAT_SUBMITTED').map((p) => p.event_properties);
  } finally {
    db.close();
  }
}

/** Runs the processor until nothing is left to do, moving the clock past each lease. */
async function drain(p: InboxProcessor): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await p.runOnce();
    clock += LEASE + 1;
  }
}

describe('a survey and its interaction, in either order', () => {
  it('interaction first: the survey links at once', async () => {
    const p = processor();
    await store.ingest(interaction());
    await p.runOnce();
    await store.ingest([survey]);
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    expect(csatEvents()).toEqual([expect.objectContaining({ csat_score: 2, linked_task_sid: T1, channel: 'sms', queue: Q1[1], agent: W1[1], agent_sid: W1[0] })]);
  });

  it('survey first: it waits for the interaction, then gives the same CSAT event; no dead letter', async () => {
    const p = processor();
    await store.ingest([survey]);
    expect(await p.runOnce()).toMatchObject({ processed: 0, deferred: 1 });
    expect(await store.listDeadLetters()).toEqual([]);
    await store.ingest(interaction());
    await drain(p);
    expect(csatEvents()).toEqual([expect.objectContaining({ csat_score: 2, linked_task_sid: T1, channel: 'sms', queue: Q1[1], agent: W1[1], agent_sid: W1[0] })]);
    expect(await store.listDeadLetters()).toEqual([]);
  });

  it('an interaction that never comes: after maxDeferMs the survey is dead-lettered (it has no identity of its own)', async () => {
    const p = processor();
    await store.ingest([survey]);
    await p.runOnce();
    clock += 61_000;
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    expect((await store.listDeadLetters()).map((d) => d.reason)).toEqual(['survey_unlinked']);
    expect(csatEvents()).toEqual([]);
  });
});

/**
 * The interaction's row may be stored from part of its history: `task.completed` known, the `reservation.accepted`
 * that put its agent on it not yet (webhooks in any order; a sync that stores a window newest first, a page at a time,
 * killed between pages). A survey derived from that row would send CSAT_SUBMITTED without agent / agent_sid, never to
 * be sent again: while it may wait, it waits as it does for an unknown interaction.
 */
describe('a survey whose interaction is stored half-derived', () => {
  const [created, accepted, completed] = interaction() as [InboxInput, InboxInput, InboxInput];
  const full = expect.objectContaining({ csat_score: 2, linked_task_sid: T1, channel: 'sms', queue: Q1[1], agent: W1[1], agent_sid: W1[0] });

  it('waits while the row lacks the agent, then carries the agent once the task is derived from its full history', async () => {
    const p = processor();
    await store.ingest([created, completed]);
    await p.runOnce();
    expect(await store.getInteractions(C, [T1])).toEqual([expect.objectContaining({ outcome: 'completed', channel: 'sms', queueName: Q1[1], workerSid: null, answeredMs: null })]);
    await store.ingest([survey]);
    expect(await p.runOnce()).toMatchObject({ processed: 0, deferred: 1 });
    expect(csatEvents()).toEqual([]);
    clock += LEASE + 1;
    expect(await p.runOnce()).toMatchObject({ processed: 0, deferred: 1 }); // still half: still waiting
    expect(csatEvents()).toEqual([]);
    await store.ingest([accepted]);
    await drain(p);
    expect(await store.getInteractions(C, [T1])).toEqual([expect.objectContaining({ outcome: 'completed', workerSid: W1[0], workerName: W1[1] })]);
    expect(csatEvents()).toEqual([full]);
    expect(await store.listDeadLetters()).toEqual([]);
  });

  it('past the inbox wait, the survey is derived from the row as stored: nothing is lost', async () => {
    const p = processor();
    await store.ingest([created, completed]);
    await p.runOnce();
    await store.ingest([survey]);
    expect(await p.runOnce()).toMatchObject({ processed: 0, deferred: 1 });
    clock += 61_000;
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    const [csat] = csatEvents() as Record<string, unknown>[];
    expect(csat).toMatchObject({ csat_score: 2, linked_task_sid: T1, channel: 'sms', queue: Q1[1] });
    expect(csat).not.toHaveProperty('agent');
    expect(csat).not.toHaveProperty('agent_sid');
    expect(await store.listDeadLetters()).toEqual([]);
  });

  it("a completion posted by the Flex plugin with its agent, for a task TaskRouter gives no history of: the survey goes at once, with that agent", async () => {
    const p = processor();
    const plugin: InboxInput = {
      key: `flex:task-complete:${T1}`, source: 'flex-plugin',
      payload: { TaskSid: T1, TaskAttributes: { from: '+14155550100', name: 'Jane', channelType: 'sms' }, TaskChannelUniqueName: 'sms', Age: 100, TaskQueueFriendlyName: Q1[1], WorkerSid: W1[0], WorkerName: W1[1], ReceivedMs: at(100) },
    };
    await store.ingest([plugin]);
    await p.runOnce();
    expect(await store.getInteractions(C, [T1])).toEqual([expect.objectContaining({ outcome: 'completed', workerSid: W1[0], workerName: W1[1], answeredMs: null })]);
    await store.ingest([survey]);
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    expect(csatEvents()).toEqual([expect.objectContaining({ csat_score: 2, linked_task_sid: T1, agent: W1[1], agent_sid: W1[0] })]);
  });

  // An interaction canceled before any agent accepted it (abandoned by the customer, or timed out) has no agent to wait
  // for; one canceled after an agent accepted it has its agent.
  const canceled = (n: number, s: number, reason?: string): InboxInput => ({
    key: sidOf('EV', n), source: 'taskrouter',
    payload: { Sid: sidOf('EV', n), EventType: 'task.canceled', TimestampMs: String(at(s)), TaskSid: T1, ...(reason ? { TaskCanceledReason: reason } : {}) },
  });
  it.each([
    ['abandoned by the customer', [created, canceled(4, 40, 'hangup')], 'abandoned', false],
    ['timed out', [created, canceled(4, 40, 'Task TTL Exceeded')], 'abandoned', false],
    ['canceled after an agent accepted it', [created, accepted, canceled(4, 40)], 'canceled', true],
  ] as const)('%s: the survey does not wait', async (_name, events, outcome, withAgent) => {
    const p = processor();
    await store.ingest([...events]);
    await p.runOnce();
    expect(await store.getInteractions(C, [T1])).toEqual([expect.objectContaining({ outcome })]);
    await store.ingest([survey]);
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    const [csat] = csatEvents() as Record<string, unknown>[];
    expect(csat).toMatchObject({ csat_score: 2, linked_task_sid: T1, channel: 'sms', queue: Q1[1] });
    if (withAgent) expect(csat).toMatchObject({ agent: W1[1], agent_sid: W1[0] });
    else expect(csat).not.toHaveProperty('agent_sid');
    expect(await store.listDeadLetters()).toEqual([]);
  });
});
