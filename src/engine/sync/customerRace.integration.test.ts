import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../config/defaults.js';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import { PostgresStore } from '../../store/postgres/postgresStore.js';
import { createTestDatabase, postgresAvailable, truncateAll } from '../../store/postgres/test-helpers/testDatabase.js';
import { SqliteStore } from '../../store/sqlite/sqliteStore.js';
import type { Store } from '../../store/store.js';
import type { InboxInput, RawEvent } from '../../store/types.js';
import type { ContactPayload } from '../derive/contact.js';
import { Q1, W1, at, ev, sidOf } from '../derive/test-helpers/events.js';
import { InboxProcessor, type TaskPlanner } from '../ingest/inboxProcessor.js';
import { liveRederiver } from '../ingest/live.js';
import { livePlanner, type LivePlannerDeps } from '../ingest/livePlanner.js';
import { commitDerived, customerRederiver } from './customerCommit.js';
import { planCustomers, type CustomerPlanDeps } from './customerPlan.js';
import { planTasks } from './taskPlan.js';

/**
 * `tajo serve` (the inbox processor) and `tajo connectors sync` on one database, each through its own store handle,
 * derive the same customer at once from reads that miss the other's new interaction. Whichever commits last, the
 * contact payload left in the outbox must count both interactions (the customer row's version catches the stale read).
 */
const C = 'twilio-flex';
const JANE = '+14155550100';
const cfg = TwilioFlexConfigSchema.parse({ lists: { support_contacts: 1 } });
const NOW = at(20_000);
const [T1, T2] = [sidOf('WT', 1), sidOf('WT', 2)];

/** T1 as TaskRouter EventCallbackUrl deliveries (what `tajo serve` stores in its inbox). */
function webhookItems(): InboxInput[] {
  const form = (n: number, type: string, s: number, extra: Record<string, string> = {}): InboxInput => ({
    key: sidOf('EV', 100 + n), source: 'taskrouter',
    payload: { Sid: sidOf('EV', 100 + n), EventType: type, TimestampMs: String(at(s)), TaskSid: T1, ...extra },
  });
  const attrs = JSON.stringify({ from: JANE, name: 'Jane' });
  return [
    form(1, 'task.created', 0, { TaskAttributes: attrs, TaskChannelUniqueName: 'voice', TaskQueueSid: Q1[0], TaskQueueName: Q1[1] }),
    form(2, 'reservation.accepted', 10, { WorkerSid: W1[0], WorkerName: W1[1], TaskQueueSid: Q1[0], TaskQueueName: Q1[1] }),
    form(3, 'task.completed', 100),
  ];
}

/** T2 as the Events API pages the sync reads. */
function polledEvents(): RawEvent[] {
  const attrs = { from: JANE, name: 'Jane' };
  return [
    ev(T2, 'task.created', { at: 5000, attrs, channel: 'voice', queue: Q1 }),
    ev(T2, 'reservation.accepted', { at: 5020, worker: W1, queue: Q1 }),
    ev(T2, 'task.completed', { at: 5200 }),
  ];
}

/** The sync engine's derivation of a page (planBatch without Twilio reads), not committed yet. */
async function syncPlan(store: Store) {
  const deps: CustomerPlanDeps = { connectorId: C, reader: store, config: cfg, lists: cfg.lists, nowMs: NOW, priority: 1, emit: { contacts: true, events: true, csat: true } };
  const plan = await planTasks(
    { connectorId: C, reader: store, defaultPhoneRegion: 'US', channels: new Set(CHANNELS), csat: true, conversations: undefined, fetchTask: undefined, queueNames: new Map() },
    polledEvents(),
  );
  const planned = await planCustomers(deps, plan);
  return { batch: planned.batch, commit: () => commitDerived(store, C, planned.batch, customerRederiver(() => deps)) };
}

/** The inbox processor `createInboxProcessor` builds (no Twilio client), its planner optionally held after planning. */
function serve(store: Store, hold?: { planned: () => void; until: Promise<void> }): InboxProcessor {
  const deps: LivePlannerDeps = { store, connectorId: C, config: cfg, lists: cfg.lists, now: () => NOW };
  const live = livePlanner(deps);
  const plan: TaskPlanner = async (input) => {
    const batch = await live(input);
    hold?.planned();
    await hold?.until;
    return batch;
  };
  return new InboxProcessor({ store, connectorId: C, logger: silentLogger(), plan, rederive: liveRederiver(deps), leaseMs: 60_000 });
}

async function finalContact(store: Store): Promise<ContactPayload | undefined> {
  const items = await store.claimOutbox({ workerId: 'check', kinds: ['contact'], limit: 100, leaseMs: 60_000, nowMs: Date.now() });
  const contacts = items.filter((o) => o.key === `contact:${JANE}`);
  expect(contacts).toHaveLength(1);
  return contacts[0]?.payload as ContactPayload | undefined;
}

type Handles = { a: Store; b: Store; close: () => Promise<void> };

function raceSuite(name: string, open: () => Promise<Handles>): void {
  describe(`one customer derived by serve and sync at once (${name})`, () => {
    it('serve plans, sync commits, serve commits: the contact counts both interactions', async () => {
      const { a, b, close } = await open();
      try {
        await a.ingest(webhookItems());
        let planned!: () => void;
        const servePlanned = new Promise<void>((r) => (planned = r));
        let release!: () => void;
        const processor = serve(a, { planned, until: new Promise<void>((r) => (release = r)) });
        const run = processor.runOnce();
        await servePlanned;
        await (await syncPlan(b)).commit();
        release();
        expect(await run).toMatchObject({ processed: 3 });
        expect((await finalContact(a))?.attributes).toMatchObject({ SUPPORT_TICKET_COUNT: 2 });
        // two writes landed (sync, then serve after deriving again): the refused one left nothing
        expect((await b.getCustomers(C, [JANE]))[0]?.version).toBe(2);
      } finally {
        await close();
      }
    });

    it('sync plans, serve commits, sync commits: the contact counts both interactions', async () => {
      const { a, b, close } = await open();
      try {
        await a.ingest(webhookItems());
        const sync = await syncPlan(b);
        expect(await serve(a).runOnce()).toMatchObject({ processed: 3 });
        const { batch } = await sync.commit();
        expect((await finalContact(b))?.attributes).toMatchObject({ SUPPORT_TICKET_COUNT: 2 });
        // derived again from the row serve wrote
        expect(batch.customers?.[0]?.version).toBe(1);
        expect((await a.getInteractions(C, [T1, T2])).map((i) => i.customerKey)).toEqual([JANE, JANE]);
      } finally {
        await close();
      }
    });
  });
}

raceSuite('sqlite, two connections to one file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tajo-race-'));
  const file = join(dir, 'tajo.db');
  const a = await SqliteStore.open(file);
  const b = await SqliteStore.open(file);
  return { a, b, close: async () => (await a.close(), await b.close(), rmSync(dir, { recursive: true, force: true })) };
});

const pgAvailable = await postgresAvailable();
describe.runIf(pgAvailable)('postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  raceSuite('postgres, two pools on one database', async () => {
    await truncateAll(db.url);
    const a = await PostgresStore.open(db.url, { max: 2 });
    const b = await PostgresStore.open(db.url, { max: 2 });
    return { a, b, close: async () => (await a.close(), await b.close()) };
  });
});
