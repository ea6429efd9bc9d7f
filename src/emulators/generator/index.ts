/**
 * Seeded contact-center generator: fills the emulated Twilio world (src/emulators/world/schema.ts) and returns the
 * ground truth a correct connector must produce in Brevo (docs/SEMANTICS.md).
 */
import type Database from 'better-sqlite3';
import { WORLD_DDL } from '../world/schema.js';
import { computeTruth } from './compute.js';
import { Rng, SidFactory, TICK_MS } from './ids.js';
import { GEN_DDL, ModelWriter, getState, setState } from './model.js';
import type { Customer, Uniques } from './population.js';
import { makeCustomers, planInteractions } from './population.js';
import { runSimulation, simWorker } from './run.js';
import type { GeneratorOptions, Scale } from './scales.js';
import { resolveOptions } from './scales.js';
import type { WorldRefs } from './setup.js';
import { createStaticWorld } from './setup.js';
import type { GroundTruth } from './truth.js';
import { DAY_MS } from './truth.js';
import type { ActivityName, WorkerDef } from './workers.js';
import { WorldWriter } from './writer.js';

export type { GroundTruth, TruthContact, TruthEvent, QueueMetric, AgentMetric, ListKey } from './truth.js';
export { streamTruthEvents } from './truth.js';
export { computeTruth } from './compute.js';
export type { TruthOptions } from './compute.js';
export type { GeneratorOptions, Scale, Channel } from './scales.js';
export { SCALES, resolveOptions } from './scales.js';

export interface GenerateWorldOptions {
  seed: number;
  scale: Scale;
  nowMs: number;
  options?: Partial<GeneratorOptions>;
}

export interface GenerateMoreOptions {
  seed: number;
  /** The world's new now: every new row is dated before it (the batch has played out by then). */
  nowMs: number;
  count: number;
  /**
   * The moment the world was last exposed (the emulated now of the call): no new row is dated at or before it, so a
   * reader that already read up to it never misses one (Twilio never back-dates an event). Default: the world's
   * latest activity only.
   */
  fromMs?: number;
}

/** Secondary indexes dropped during a fresh bulk generation and rebuilt at the end (much faster than live upkeep). */
const BULK_INDEXES = ['events_date', 'events_task', 'events_reservation', 'tasks_created', 'reservations_task',
  'conversations_created', 'participants_conv', 'messages_conv', 'gen_interactions_customer', 'gen_surveys_task', 'gen_activity_worker'];

const floorTick = (ms: number): number => Math.floor(ms / TICK_MS) * TICK_MS;

/**
 * For the bulk run only: no fsync per daily commit and a 64 MB page cache (random SID index inserts), then the
 * connection's own settings come back. A crash mid-generation may leave a file database unusable: generate again.
 */
function withBulkPragmas(db: Database.Database, fn: () => void): void {
  const sync = db.pragma('synchronous', { simple: true }) as number;
  const cache = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -65536');
  try {
    fn();
  } finally {
    db.pragma(`synchronous = ${sync}`);
    db.pragma(`cache_size = ${cache}`);
  }
}

function saveCustomers(db: Database.Database, customers: readonly Customer[]): void {
  const ins = db.prepare('INSERT INTO gen_customers (idx, ext_id, data) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const c of customers) ins.run(c.idx, c.extId, JSON.stringify(c));
  })();
}

function truthOf(db: Database.Database, nowMs: number, o: GeneratorOptions): GroundTruth {
  return computeTruth(db, nowMs, { truthEvents: o.truthEvents, serviceLevelSeconds: o.serviceLevelSeconds, queues: o.queues });
}

export function generateWorld(db: Database.Database, opts: GenerateWorldOptions): GroundTruth {
  const { seed, scale, nowMs } = opts;
  const o = resolveOptions(scale, opts.options);
  db.exec(WORLD_DDL);
  db.exec(GEN_DDL);
  if (getState(db, 'seed') !== undefined) throw new Error('this database already holds a generated world; use generateMore');
  const sids = new SidFactory(seed);
  const refs = db.transaction(() => createStaticWorld(db, { seed, scale, nowMs, queues: o.queues, agents: o.agents, sids }))();

  const uniques: Uniques = { phones: new Set(), emails: new Set() };
  const customers = makeCustomers(Rng.derive(seed, 'customers'), o.customers, 0, o, uniques);
  saveCustomers(db, customers);
  const startMs = floorTick(nowMs - o.days * DAY_MS + o.marginMs);
  const plan = planInteractions(Rng.derive(seed, 'plan'), {
    n: o.interactions,
    startMs,
    endMs: nowMs - 30 * 60_000,
    customers,
    required: customers.length,
    pickExtra: (rng) => Math.floor(customers.length * rng.float() ** 2),
    malformedShare: o.malformedShare,
    profile: true,
  });
  const hardEndMs = floorTick(nowMs - 60_000);
  const ctx = { seed, refs, writer: new WorldWriter(db, refs, sids), model: new ModelWriter(db), sids, opts: o, hardEndMs };
  const created = nowMs - 400 * DAY_MS;
  const workers = refs.workers.map((w) => simWorker(w, 'Offline', created));
  for (const name of BULK_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
  withBulkPragmas(db, () => {
    runSimulation({ ctx, db, plan, customers, seen: new Set(), workers, startMs, shifts: true, batch: 0 });
    db.exec(WORLD_DDL);
    db.exec(GEN_DDL);
  });

  db.transaction(() => {
    setState(db, 'seed', String(seed));
    setState(db, 'scale', scale);
    setState(db, 'options', JSON.stringify(o));
    setState(db, 'refs', JSON.stringify({ ...refs, workers: [] }));
    setState(db, 'sids', JSON.stringify(sids.snapshot()));
    setState(db, 'batch', '0');
    setState(db, 'customers', String(customers.length));
    setState(db, 'now_ms', String(nowMs));
  })();
  return truthOf(db, nowMs, o);
}

/** The latest moment anything happened in the world (events, messages, conversation closes). */
function latestActivityMs(db: Database.Database): number {
  const q = (sql: string): number => Number((db.prepare(sql).get() as { m: number | null }).m ?? 0);
  return Math.max(
    q('SELECT MAX(event_date_ms) AS m FROM events'),
    q('SELECT MAX(date_created_ms) AS m FROM messages'),
    q('SELECT MAX(date_updated_ms) AS m FROM conversations'),
  );
}

export function generateMore(db: Database.Database, opts: GenerateMoreOptions): GroundTruth {
  const hasModel = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gen_state'").get() !== undefined;
  const state = (key: string): string | undefined => (hasModel ? getState(db, key) : undefined);
  const worldSeed = state('seed');
  const optionsJson = state('options');
  const refsJson = state('refs');
  const sidsJson = state('sids');
  if (worldSeed === undefined || optionsJson === undefined || refsJson === undefined || sidsJson === undefined) {
    throw new Error('no generated world in this database; call generateWorld first');
  }
  const o = JSON.parse(optionsJson) as GeneratorOptions;
  const batch = Number(getState(db, 'batch') ?? '0') + 1;
  const { nowMs, count } = opts;
  const t0 = floorTick(Math.max(latestActivityMs(db), opts.fromMs ?? 0)) + 1000;
  const windowMs = nowMs - t0;
  if (windowMs < 5 * 60_000) throw new RangeError('generateMore needs at least 5 minutes between the latest event (or fromMs) and nowMs');
  if (!(count >= 1)) throw new RangeError('count must be ≥ 1');

  const sids = new SidFactory(Number(worldSeed), JSON.parse(sidsJson) as Record<string, number>);
  const workerRows = db.prepare('SELECT data, activity, since_ms FROM gen_workers ORDER BY idx').all() as Array<{ data: string; activity: string; since_ms: number }>;
  const workerDefs = workerRows.map((r) => JSON.parse(r.data) as WorkerDef);
  const refs: WorldRefs = { ...(JSON.parse(refsJson) as WorldRefs), workers: workerDefs };
  const workers = workerRows.map((r, k) => simWorker(workerDefs[k] as WorkerDef, r.activity as ActivityName, r.since_ms));

  const rng = Rng.derive(opts.seed, 'more', batch);
  const existing = Number(getState(db, 'customers') ?? '0');
  const uniques: Uniques = { phones: new Set(), emails: new Set() };
  for (const r of db.prepare('SELECT data FROM gen_customers').iterate() as Iterable<{ data: string }>) {
    const c = JSON.parse(r.data) as Customer;
    if (c.phone !== null) uniques.phones.add(c.phone);
    if (c.email !== null) uniques.emails.add(c.email.toLowerCase());
  }
  const nNew = Math.min(count, Math.max(existing === 0 ? count : 0, Math.round(count * 0.6)));
  const fresh = makeCustomers(rng, nNew, existing, o, uniques);
  saveCustomers(db, fresh);
  const byIdx = db.prepare('SELECT data FROM gen_customers WHERE idx = ?');
  const pool: Customer[] = [];
  for (let k = 0; k < Math.min(existing, count); k++) {
    const row = byIdx.get(rng.int(0, existing - 1)) as { data: string };
    pool.push(JSON.parse(row.data) as Customer);
  }
  const customers = [...fresh, ...pool];
  const seen = new Set(pool.map((c) => c.idx));
  const plan = planInteractions(rng, {
    n: count,
    startMs: t0 + windowMs * 0.05,
    endMs: t0 + windowMs * 0.5,
    customers,
    required: fresh.length,
    pickExtra: (r) => (pool.length > 0 ? fresh.length + r.int(0, pool.length - 1) : r.int(0, fresh.length - 1)),
    malformedShare: o.malformedShare,
    profile: false,
  });
  const hardEndMs = floorTick(nowMs - Math.min(60_000, windowMs / 10));
  const ctx = { seed: Number(worldSeed), refs, writer: new WorldWriter(db, refs, sids), model: new ModelWriter(db), sids, opts: o, hardEndMs };
  runSimulation({ ctx, db, plan, customers, seen, workers, startMs: t0, shifts: false, batch });

  db.transaction(() => {
    setState(db, 'sids', JSON.stringify(sids.snapshot()));
    setState(db, 'batch', String(batch));
    setState(db, 'customers', String(existing + fresh.length));
    setState(db, 'now_ms', String(nowMs));
    db.prepare("UPDATE meta SET value = ? WHERE key = 'now_ms'").run(String(nowMs));
  })();
  return truthOf(db, nowMs, o);
}
