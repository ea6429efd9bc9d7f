/** Drives the simulation: feeds planned arrivals one at a time, schedules shifts day by day, commits per day. */
import type Database from 'better-sqlite3';
import { buildAttributes } from './attributes.js';
import { Rng, TICK_MS } from './ids.js';
import { arrive, installLifecycle } from './lifecycle.js';
import type { Kind } from './model.js';
import type { Customer, Plan } from './population.js';
import { KIND_MALFORMED, KIND_UNKNOWN_CHANNEL } from './population.js';
import type { Channel } from './scales.js';
import { CHANNELS } from './scales.js';
import type { QueueDef } from './setup.js';
import { Sim } from './timeline.js';
import type { SimContext, SimTask, SimWorker } from './timeline.js';
import type { ActivityName, WorkerDef } from './workers.js';
import { DAY_MS, shiftPlan } from './workers.js';

export interface RunInput {
  ctx: SimContext;
  db: Database.Database;
  plan: Plan;
  /** Indexed by `plan.customer`. */
  customers: readonly Customer[];
  /** Customers (by idx) who already had an interaction before this run. */
  seen: Set<number>;
  workers: SimWorker[];
  startMs: number;
  /** Follow shift plans (generateWorld) or keep every agent available (generateMore). */
  shifts: boolean;
  /** Distinguishes the random streams of generateMore batches. */
  batch: number;
}

export function simWorker(def: WorkerDef, activity: ActivityName, since: number): SimWorker {
  return { ...def, def, activity, since, lastMs: since, state: 'free', pending: null, idleSince: since };
}

export function routeQueue(rng: Rng, queues: readonly QueueDef[], channel: Channel | null, tier: string | null): QueueDef {
  const vip = queues.find((q) => q.name === 'VIP Care');
  if (vip !== undefined && tier === 'gold' && rng.chance(0.5)) return vip;
  const primaryName = channel === 'voice' || channel === null ? 'Voice Support' : 'Messaging Support';
  const primary = queues.find((q) => q.name === primaryName) ?? queues[0];
  if (primary === undefined) throw new Error('no queues');
  if (rng.chance(0.6)) return primary;
  const others = queues.filter((q) => q !== vip);
  return others.length > 0 ? rng.pick(others) : primary;
}

function makeTask(input: RunInput, i: number): SimTask {
  const { ctx, plan, customers } = input;
  const { opts, sids, refs } = ctx;
  const rng = Rng.derive(ctx.seed, `task:${input.batch}`, i);
  const c = customers[plan.customer[i] as number] as Customer;
  const code = plan.kind[i];
  const kind: Kind = code === KIND_MALFORMED ? 'malformed_attributes' : code === KIND_UNKNOWN_CHANNEL ? 'unknown_channel' : 'ok';
  const planned = CHANNELS[plan.channel[i] as number] as Channel;
  const channel: Channel | null = kind === 'ok' ? planned : kind === 'malformed_attributes' ? 'voice' : null;
  const returning = input.seen.has(c.idx);
  input.seen.add(c.idx);
  const sid = sids.next('WT');
  const messaging = kind === 'ok' && channel !== 'voice';
  const conversationSid = messaging ? sids.next('CH') : null;
  const callSid = channel === 'voice' ? `CA${rng.hex(32)}` : null;
  const built = buildAttributes(rng, { customer: c, channel: planned, kind, latest: plan.latest[i] === 1, returning, conversationSid, callSid });
  const createdMs = plan.times[i] as number;
  const queue = routeQueue(rng, refs.queues, channel, built.values.tier);
  const openConversation = messaging && rng.chance(opts.openConversationShare);
  const optOut = (channel === 'sms' || channel === 'whatsapp') && !openConversation && rng.chance(opts.stopShare);
  return {
    sid, attributes: built.json, createdMs, channelName: built.channelName, queue, queueEnteredMs: createdMs,
    workflowSid: refs.workflowSid, workflowName: refs.workflowName, status: 'pending',
    priority: built.values.tier === 'gold' ? 10 : 0,
    customer: c, channel, kind, rng, values: built.values, initialQueue: queue, lastMs: createdMs - TICK_MS,
    abandon: rng.chance(opts.abandonShare),
    patienceMs: rng.durationMs(40_000, 0.7, 5_000, 300_000),
    rejects: rng.chance(opts.rejectShare) ? (rng.chance(0.15) ? 2 : 1) : 0,
    transfer: rng.chance(opts.transferShare),
    openConversation,
    consent: optOut ? 'stop' : messaging && rng.chance(0.01) ? 'decoy' : null,
    survey: rng.chance(opts.surveyShare),
    excluded: new Set(), reservation: null, reservations: [], answeredMs: null, worker: null, wrapupMs: null, agents: [],
    conversationSid, conversationCreatedMs: Math.max(input.startMs, createdMs - rng.int(20, 200) * TICK_MS), deadlineMs: createdMs, cancelReason: null,
  };
}

function scheduleShifts(sim: Sim, input: RunInput): void {
  const { ctx, startMs } = input;
  const firstDay = Math.floor(startMs / DAY_MS);
  // the state each worker is in at the start (a shift may have begun before the window)
  for (const w of input.workers) {
    let state: ActivityName = 'Offline';
    for (const d of [firstDay - 1, firstDay]) for (const p of shiftPlan(ctx.seed, w.def, d)) if (p.t <= startMs) state = p.activity;
    if (state !== 'Offline') sim.setActivity(w, startMs + w.def.idx * TICK_MS, state);
  }
  const scheduleDay = (d: number): void => {
    for (const w of input.workers) {
      for (const p of shiftPlan(ctx.seed, w.def, d)) {
        if (p.t > startMs + input.workers.length * TICK_MS && p.t <= ctx.hardEndMs) sim.at(p.t, () => sim.plan(w, p.t, p.activity));
      }
    }
  };
  scheduleDay(firstDay - 1);
  const midnight = (d: number): void => {
    scheduleDay(d);
    if ((d + 1) * DAY_MS <= ctx.hardEndMs) sim.at((d + 1) * DAY_MS, () => midnight(d + 1));
  };
  midnight(firstDay);
}

/** Runs the whole plan inside transactions committed at each UTC day boundary. */
export function runSimulation(input: RunInput): void {
  const { ctx, plan, db } = input;
  const sim = new Sim(ctx, input.startMs, input.workers);
  installLifecycle(sim);
  db.exec('BEGIN');
  try {
    if (input.shifts) scheduleShifts(sim, input);
    else input.workers.forEach((w, k) => sim.setActivity(w, input.startMs + k * TICK_MS, 'Available'));
    const feed = (i: number): void => {
      arrive(sim, makeTask(input, i));
      if (i + 1 < plan.count) sim.at(plan.times[i + 1] as number, () => feed(i + 1));
    };
    if (plan.count > 0) sim.at(plan.times[0] as number, () => feed(0));
    sim.run(() => {
      db.exec('COMMIT');
      db.exec('BEGIN');
    });
    ctx.writer.flush();
    for (const w of input.workers) {
      ctx.writer.workerState(w.sid, w.activity, w.since);
      db.prepare('UPDATE gen_workers SET activity = ?, since_ms = ? WHERE sid = ?').run(w.activity, w.since, w.sid);
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}
