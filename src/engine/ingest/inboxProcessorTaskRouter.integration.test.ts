/** The inbox processor and TaskRouter: reservations resolved, finished tasks read in full before they are derived. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { TajoError } from '../../core/errors.js';
import type { RawEvent } from '../../store/types.js';
import { livePlanner } from './livePlanner.js';
import { advance, attrs, C, callback, clock, dir, planned, processor, sid, store, T0, useInboxFixture } from './test-helpers/inboxFixture.js';

useInboxFixture();

/** A task's events as the Events API gives them. */
const pollOf = (wt: string) => (n: number, type: string, ms: number, data: Record<string, unknown> = {}): RawEvent =>
  ({ key: sid('EV', n), type, occurredMs: ms, taskSid: wt, via: 'poll', data: { task_sid: wt, ...data } });

/** Voice task n as the Events API gives it (its agent WK n, caller +141555501nn), and the config the live planner takes. */
function voiceTask(n: number) {
  const wt = sid('WT', n);
  const voice = { task_attributes: JSON.stringify({ from: `+141555501${String(n).padStart(2, '0')}` }), task_channel_unique_name: 'voice' };
  return { cfg: TwilioFlexConfigSchema.parse({ lists: { support_contacts: 1 } }), wt, agent: sid('WK', n), poll: pollOf(wt), voice };
}

/** TaskRouter unavailable until `up()`, then giving `full` as the history of `wt`. */
function outage(wt: string, full: RawEvent[]) {
  let down = true;
  return {
    up: () => {
      down = false;
    },
    taskRouter: {
      taskForReservation: async () => undefined,
      eventsForTask: async (t: string) => {
        if (down) throw new TajoError('TAJO_TWILIO_UNAVAILABLE', 'Twilio is unavailable (503)');
        return t === wt ? full : [];
      },
    },
  };
}

/** The outbox rows (key, payload) of a task's Brevo writes. */
function outboxOf(task: string): Array<{ key: string; payload: string }> {
  const db = new Database(join(dir, 'tajo.db'), { readonly: true });
  try {
    return db.prepare('SELECT key, payload FROM outbox WHERE key LIKE ?').all(`%${task}`) as Array<{ key: string; payload: string }>;
  } finally {
    db.close();
  }
}

/** The event_properties of a task's enqueued SUPPORT_RESOLVED. */
const resolvedOf = (task: string): unknown =>
  (JSON.parse(outboxOf(task).find((r) => r.key === `SUPPORT_RESOLVED:${task}`)?.payload ?? '{}') as { event_properties?: unknown }).event_properties;

describe('InboxProcessor with TaskRouter', () => {
  it('resolves a reservation through TaskRouter and stores the task events it returns', async () => {
    const events: RawEvent[] = [
      { key: sid('EV', 9), type: 'task.created', occurredMs: T0, taskSid: sid('WT', 9), via: 'poll', data: { task_sid: sid('WT', 9), task_attributes: '{}' } },
      { key: sid('EV', 10), type: 'task.completed', occurredMs: T0 + 5000, taskSid: sid('WT', 9), via: 'poll', data: { task_sid: sid('WT', 9) } },
    ];
    const asked: string[] = [];
    const taskRouter = {
      taskForReservation: async (wr: string) => (asked.push(wr), wr === sid('WR', 9) ? sid('WT', 9) : undefined),
      eventsForTask: async (wt: string) => (asked.push(wt), wt === sid('WT', 9) ? events : []),
    };
    await store.ingest([{ key: `flex:task-complete:${sid('WR', 9)}`, source: 'flex-plugin', payload: { TaskSid: sid('WR', 9), ReceivedMs: T0 } }]);
    expect(await processor({ taskRouter }).runOnce()).toMatchObject({ processed: 1, rawEvents: 2 });
    expect(asked).toEqual([sid('WR', 9), sid('WT', 9)]);
    expect((await store.rawEventsForTasks(C, [sid('WT', 9)])).map((e) => e.key).sort()).toEqual([sid('EV', 9), sid('EV', 10)]);
  });

  it('a finished task is read in full from TaskRouter; its precise event times win over the callback seconds', async () => {
    const precise: RawEvent[] = [
      { key: sid('EV', 1), type: 'task.created', occurredMs: T0 + 300, taskSid: sid('WT', 1), via: 'poll', data: { task_sid: sid('WT', 1), task_attributes: attrs } },
      { key: sid('EV', 2), type: 'reservation.accepted', occurredMs: T0 + 9_300, taskSid: sid('WT', 1), via: 'poll', data: { task_sid: sid('WT', 1), worker_sid: sid('WK', 1) } },
      { key: sid('EV', 3), type: 'task.completed', occurredMs: T0 + 60_300, taskSid: sid('WT', 1), via: 'poll', data: { task_sid: sid('WT', 1) } },
    ];
    const asked: string[] = [];
    const taskRouter = { taskForReservation: async () => undefined, eventsForTask: async (wt: string) => (asked.push(wt), precise) };
    // the completion arrives first, shuffled ahead of the rest; callbacks carry whole seconds
    await store.ingest([callback(3, 'task.completed', T0 + 60_000)]);
    const r = await processor({ taskRouter }).runOnce();
    expect(r).toMatchObject({ processed: 1, rawEvents: 3 });
    expect(asked).toEqual([sid('WT', 1)]);
    const stored = await store.rawEventsForTasks(C, [sid('WT', 1)]);
    expect(stored.map((e) => [e.key, e.occurredMs]).sort()).toEqual([[sid('EV', 1), T0 + 300], [sid('EV', 2), T0 + 9_300], [sid('EV', 3), T0 + 60_300]]);
    expect(planned[0]?.rawEvents).toHaveLength(3);
  });

  it('a finished task TaskRouter cannot give now is not derived from half its history: it waits with its rows, then goes out whole', async () => {
    const { cfg, wt, agent, poll, voice } = voiceTask(6);
    const full = [poll(60, 'task.created', T0, voice), poll(61, 'reservation.accepted', T0 + 20_000, { worker_sid: agent, worker_name: 'Bea' }), poll(62, 'task.completed', T0 + 80_000)];
    const { taskRouter, up } = outage(wt, full);
    // the completion callback only (shuffled ahead of the rest); a task of another customer rides in the same batch
    await store.ingest([
      callback(62, 'task.completed', T0 + 80_000, { TaskSid: wt, TaskAttributes: voice.task_attributes, TaskChannelUniqueName: 'voice', ResourceSid: wt }),
      callback(63, 'task.created', T0, { TaskSid: sid('WT', 7), ResourceSid: sid('WT', 7) }),
    ]);
    const p = processor({ taskRouter, plan: livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock }) });
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 1 });
    // nothing of the task is enqueued while TaskRouter is down
    expect(outboxOf(wt)).toEqual([]);
    up();
    advance(5_000);
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    expect(resolvedOf(wt)).toMatchObject({ agent_sid: agent, wait_seconds: 20, handle_seconds: 60 });
  });

  it('a cycle that read a finished task in full but could not commit stored nothing: its retry reads the task again, and the task goes out whole', async () => {
    // Seen with three replicas on one Postgres: a cycle whose commit fails (a customer conflict, the store unavailable)
    // had already counted the task as read in full, so the retry derived it from its own rows' events alone.
    const { cfg, wt, agent, poll, voice } = voiceTask(4);
    const full = [poll(40, 'task.created', T0, voice), poll(41, 'reservation.accepted', T0 + 15_000, { worker_sid: agent, worker_name: 'Dee' }), poll(42, 'task.completed', T0 + 75_000)];
    const asked: string[] = [];
    const taskRouter = { taskForReservation: async () => undefined, eventsForTask: async (t: string) => (asked.push(t), t === wt ? full : []) };
    await store.ingest([callback(42, 'task.completed', T0 + 75_000, { TaskSid: wt, TaskAttributes: voice.task_attributes, TaskChannelUniqueName: 'voice', ResourceSid: wt })]);
    const live = livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock });
    let failures = 1;
    const p = processor({
      taskRouter,
      plan: async (input) => {
        if (failures-- > 0) throw new TajoError('TAJO_STORE_UNAVAILABLE', 'State store is unavailable (SQLITE_BUSY)');
        return live(input);
      },
    });
    expect(await p.runOnce()).toMatchObject({ processed: 0, deferred: 1 });
    expect(await store.rawEventsForTasks(C, [wt])).toEqual([]);
    advance(5_000);
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    expect(resolvedOf(wt)).toMatchObject({ agent_sid: agent, wait_seconds: 15, handle_seconds: 60 });
    expect(asked).toEqual([wt, wt]);
  });

  it('a task a sync stored finished but not whole (its window half read) is read in full before its Brevo events are built', async () => {
    // `tajo connectors sync` reads a window newest first and stores each page: the completion page is stored, the page
    // with reservation.accepted not yet, when a webhook of that task (no completion of its own) reaches `tajo serve`
    const { cfg, wt, agent, poll, voice } = voiceTask(5);
    const created = poll(50, 'task.created', T0, voice);
    const accepted = poll(51, 'reservation.accepted', T0 + 30_000, { worker_sid: agent, worker_name: 'Alice' });
    const wrapup = poll(52, 'task.wrapup', T0 + 90_000);
    const completed = poll(53, 'task.completed', T0 + 120_000);
    await store.commit(C, { rawEvents: [wrapup, completed] });
    const asked: string[] = [];
    const taskRouter = { taskForReservation: async () => undefined, eventsForTask: async (t: string) => (asked.push(t), t === wt ? [created, accepted, wrapup, completed] : []) };
    await store.ingest([callback(54, 'reservation.wrapup', T0 + 90_000, { TaskSid: wt, TaskAttributes: voice.task_attributes, TaskChannelUniqueName: 'voice', ResourceType: 'reservation', ResourceSid: sid('WR', 5), WorkerSid: agent })]);
    const p = processor({ taskRouter, plan: livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock }) });
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    expect(resolvedOf(wt)).toMatchObject({ agent_sid: agent, wait_seconds: 30, handle_seconds: 90 });
    expect(asked).toEqual([wt]);
    // read once: the task's next webhook is derived from the store
    await store.ingest([callback(55, 'task.updated', T0 + 130_000, { TaskSid: wt, TaskAttributes: voice.task_attributes, TaskChannelUniqueName: 'voice', ResourceSid: wt })]);
    expect(await p.runOnce()).toMatchObject({ processed: 1 });
    expect(asked).toEqual([wt]);
  });

  for (const ending of ['answers', 'stays down'] as const) {
    it(`that full read failing (TaskRouter down) holds only that task's rows, the rest of the batch goes on; TaskRouter ${ending === 'answers' ? 'answers again: the task goes out whole' : "stays down past the inbox's wait: the task goes out from what is stored"}`, async () => {
      const { cfg, wt, agent, poll, voice } = voiceTask(8);
      const full = [poll(80, 'task.created', T0, voice), poll(81, 'reservation.accepted', T0 + 10_000, { worker_sid: agent, worker_name: 'Cy' }), poll(82, 'task.completed', T0 + 70_000)];
      await store.commit(C, { rawEvents: [full[2]!] });
      const { taskRouter, up } = outage(wt, full);
      await store.ingest([
        callback(83, 'reservation.wrapup', T0 + 60_000, { TaskSid: wt, TaskAttributes: voice.task_attributes, TaskChannelUniqueName: 'voice', ResourceType: 'reservation', ResourceSid: sid('WR', 8), WorkerSid: agent }),
        callback(84, 'task.created', T0, { TaskSid: sid('WT', 9), ResourceSid: sid('WT', 9) }),
      ]);
      const p = processor({ taskRouter, plan: livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock }) });
      expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 1 });
      expect(outboxOf(wt)).toEqual([]);
      expect(outboxOf(sid('WT', 9))).not.toEqual([]);
      if (ending === 'answers') {
        up();
        advance(5_000);
        expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
      } else {
        // still down past the inbox's wait: derived from what is stored rather than held for ever
        const q = processor({ taskRouter, plan: livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock }), maxDeferMs: 60_000 });
        advance(61_000);
        expect(await q.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
      }
      expect(outboxOf(wt).map((r) => r.key)).toContain(`SUPPORT_RESOLVED:${wt}`);
    });
  }
});
