/**
 * The TaskRouter life of one interaction: task.created → task-queue.entered → reservation.created →
 * (reservation.rejected | reservation.timeout → another reservation) → reservation.accepted → [transfer: another
 * task-queue.entered + reservation] → task.wrapup → task.completed; or task.canceled while queued (abandoned): the
 * customer left (`abandonReason`), or nobody took the task before its TTL ran out and TaskRouter canceled it with
 * "Task TTL Exceeded" (`TTL_EXCEEDED`, a timeout; docs/SEMANTICS.md §1).
 */
import { TICK_MS, tick } from './ids.js';
import { writeConversation } from './conversations.js';
import { scheduleSurvey } from './surveys.js';
import type { ReservationState, Sim, SimTask, SimWorker } from './timeline.js';

const MIN = 60_000;

/**
 * TaskRouter's `task_canceled_reason` when a task's Timeout (TTL) runs out: "On timeout, the `task.canceled` event
 * will fire with description `Task TTL Exceeded`" (TaskRouter Task resource, `Timeout` parameter).
 */
export const TTL_EXCEEDED = 'Task TTL Exceeded';

/** The TTL (Task `Timeout`) the generator gives an interaction task: 15 min for a call, 60 min for messaging. */
export function taskTtlMs(channel: string | null): number {
  return channel === 'voice' ? 15 * MIN : 60 * MIN;
}
/** Leaves room for the conversation to close (on a whole second) after task.wrapup and before task.completed. */
const MIN_WRAP_MS = 3_000;

export function installLifecycle(sim: Sim): void {
  sim.reserveHook = (task, w, t) => reserve(sim, task, w, t);
}

/** Runs at the task's creation time. */
export function arrive(sim: Sim, task: SimTask): void {
  const { writer, hardEndMs } = sim.ctx;
  const rng = task.rng;
  const created = sim.stamp(task, task.createdMs);
  writer.taskEvent('task.created', task, created, 'account', `Task ${task.sid} created`);
  task.queueEnteredMs = sim.stamp(task, created + TICK_MS);
  writer.taskEvent('task-queue.entered', task, task.queueEnteredMs, 'workflow', `Task ${task.sid} entered TaskQueue ${task.queue.name}`);
  if (task.abandon) {
    sim.at(created + task.patienceMs, () => cancel(sim, task));
    return;
  }
  const routing = rng.durationMs(3_000, 0.8, 500, 45_000);
  sim.at(task.queueEnteredMs + routing, () => {
    if (task.status === 'pending') sim.enqueue(task, sim.now);
  });
  const ttlEnd = created + taskTtlMs(task.channel);
  task.deadlineMs = Math.min(ttlEnd, hardEndMs - 5 * MIN);
  // the TTL ran out: TaskRouter cancels the task (a timeout). A task cut short by the end of the world before its TTL
  // is one whose customer gave up waiting (an abandonment), so no "TTL Exceeded" comes before the TTL.
  const timedOut = task.deadlineMs === ttlEnd;
  sim.at(Math.max(task.deadlineMs, task.queueEnteredMs + routing + TICK_MS), () => {
    if (task.status === 'pending' && task.answeredMs === null) {
      sim.dequeue(task);
      cancel(sim, task, timedOut);
    }
  });
}

function reserve(sim: Sim, task: SimTask, w: SimWorker, t: number): void {
  const { writer, sids } = sim.ctx;
  const rng = task.rng;
  const ms = sim.stamp(task, t);
  const res: ReservationState = { sid: sids.next('WR'), worker: w, status: 'pending', createdMs: ms, updatedMs: ms };
  task.reservation = res;
  task.reservations.push(res);
  task.status = 'reserved';
  w.state = 'reserved';
  writer.reservationEvent('reservation.created', task, res.sid, w, ms, 'workflow', `Reservation ${res.sid} created for Worker ${w.name}`);
  if (task.rejects > 0) {
    task.rejects--;
    const rejected = rng.chance(0.6);
    sim.at(ms + (rejected ? rng.int(20, 80) * TICK_MS : 30_000), () => refuse(sim, task, res, rejected ? 'rejected' : 'timeout'));
  } else {
    const ring = task.channel === 'voice' ? rng.durationMs(6_000, 0.5, 2_000, 20_000) : rng.durationMs(5_000, 0.6, 1_000, 25_000);
    sim.at(ms + ring, () => accept(sim, task, res));
  }
}

function refuse(sim: Sim, task: SimTask, res: ReservationState, how: 'rejected' | 'timeout'): void {
  const ms = sim.stamp(task, sim.now);
  res.status = how;
  res.updatedMs = ms;
  task.status = 'pending';
  task.reservation = null;
  task.excluded.add(res.worker.sid);
  sim.ctx.writer.reservationEvent(`reservation.${how}`, task, res.sid, res.worker, ms, how === 'rejected' ? 'worker' : 'workspace',
    `Reservation ${res.sid} ${how === 'rejected' ? 'rejected by' : 'timed out for'} Worker ${res.worker.name}`);
  sim.release(res.worker, ms);
  sim.enqueue(task, ms, true);
}

function durations(sim: Sim, task: SimTask, fromMs: number): { handle: number; wrap: number } {
  const rng = task.rng;
  let handle = task.channel === 'voice' || task.channel === null
    ? rng.durationMs(240_000, 0.6, 30_000, 40 * MIN)
    : rng.durationMs(480_000, 0.6, MIN, 60 * MIN);
  let wrap = rng.durationMs(30_000, 0.7, 5_000, 5 * MIN);
  const budget = sim.ctx.hardEndMs - fromMs - 10_000;
  if (handle + wrap > budget) {
    const f = budget / (handle + wrap);
    handle = Math.max(20 * TICK_MS, tick(handle * f));
    wrap = Math.max(MIN_WRAP_MS, tick(wrap * f));
  }
  return { handle, wrap };
}

function accept(sim: Sim, task: SimTask, res: ReservationState): void {
  const { writer } = sim.ctx;
  const w = res.worker;
  const ms = sim.stamp(task, sim.now);
  res.status = 'accepted';
  res.updatedMs = ms;
  task.status = 'assigned';
  w.state = 'busy';
  task.answeredMs ??= ms;
  task.worker = w;
  task.agents.push({ identity: w.def.identity, joinedMs: ms });
  writer.reservationEvent('reservation.accepted', task, res.sid, w, ms, 'worker', `Reservation ${res.sid} accepted by Worker ${w.name}`);
  sim.setActivity(w, ms + TICK_MS, 'Busy');
  const { handle, wrap } = durations(sim, task, ms);
  if (task.transfer && sim.ctx.hardEndMs - ms > 60 * MIN && sim.ctx.refs.queues.length > 1) {
    task.transfer = false;
    sim.at(ms + tick(handle * 0.4), () => transfer(sim, task, res));
    return;
  }
  sim.at(ms + handle, () => wrapup(sim, task, res, wrap));
}

function transfer(sim: Sim, task: SimTask, res: ReservationState): void {
  const { writer, refs } = sim.ctx;
  const rng = task.rng;
  const w1 = res.worker;
  const w2 = sim.idleWorker(new Set([w1.sid]));
  if (w2 === undefined) {
    // nobody free to take it over: the first agent finishes the task
    const { handle, wrap } = durations(sim, task, sim.now);
    sim.at(sim.now + tick(handle * 0.6), () => wrapup(sim, task, res, wrap));
    return;
  }
  w2.state = 'reserved';
  const ms = sim.stamp(task, sim.now);
  writer.taskEvent('task.transfer-initiated', task, ms, 'worker', `Task ${task.sid} transfer initiated by Worker ${w1.name}`, { worker: w1.sid });
  const done = sim.stamp(task, ms + TICK_MS);
  res.status = 'completed';
  res.updatedMs = done;
  writer.reservationEvent('reservation.completed', task, res.sid, w1, done, 'worker', `Reservation ${res.sid} completed`);
  sim.release(w1, done + TICK_MS);
  const others = refs.queues.filter((q) => q.sid !== task.queue.sid);
  task.queue = rng.pick(others);
  task.status = 'pending';
  task.reservation = null;
  task.queueEnteredMs = sim.stamp(task, done + TICK_MS);
  writer.taskEvent('task-queue.entered', task, task.queueEnteredMs, 'workflow', `Task ${task.sid} entered TaskQueue ${task.queue.name}`);
  sim.at(task.queueEnteredMs + rng.int(10, 40) * TICK_MS, () => {
    w2.state = 'free';
    reserve(sim, task, w2, sim.now);
  });
}

function wrapup(sim: Sim, task: SimTask, res: ReservationState, wrap: number): void {
  const { writer } = sim.ctx;
  const w = res.worker;
  const ms = sim.stamp(task, sim.now);
  task.wrapupMs = ms;
  task.status = 'wrapping';
  writer.taskEvent('task.wrapup', task, ms, 'worker', `Task ${task.sid} wrapping up`, { worker: w.sid });
  res.status = 'wrapping';
  res.updatedMs = sim.stamp(task, ms + TICK_MS);
  writer.reservationEvent('reservation.wrapup', task, res.sid, w, res.updatedMs, 'worker', `Reservation ${res.sid} wrapping up`);
  sim.at(ms + Math.max(wrap, MIN_WRAP_MS), () => complete(sim, task, res));
}

function complete(sim: Sim, task: SimTask, res: ReservationState): void {
  const { writer } = sim.ctx;
  const w = res.worker;
  const ms = sim.stamp(task, sim.now);
  task.status = 'completed';
  writer.taskEvent('task.completed', task, ms, 'worker', `Task ${task.sid} completed`, { completedReason: 'Task completed', worker: w.sid });
  res.status = 'completed';
  res.updatedMs = sim.stamp(task, ms + TICK_MS);
  writer.reservationEvent('reservation.completed', task, res.sid, w, res.updatedMs, 'worker', `Reservation ${res.sid} completed`);
  sim.release(w, res.updatedMs + TICK_MS);
  finalize(sim, task, ms);
  if (task.survey && task.kind === 'ok') scheduleSurvey(sim, task, ms);
}

/**
 * The `task_canceled_reason` of a customer abandonment: the customer left. (A task whose TTL ran out is canceled with
 * `TTL_EXCEEDED` instead.) The ground truth's SUPPORT_ABANDONED carries the reason sent as `cancel_reason` (truth.ts).
 */
export function abandonReason(channel: string | null): string {
  return channel === 'voice' || channel === null ? 'Caller hung up' : 'Customer left the conversation';
}

function cancel(sim: Sim, task: SimTask, timedOut = false): void {
  if (task.status !== 'pending') return;
  const ms = sim.stamp(task, sim.now);
  task.status = 'canceled';
  task.cancelReason = timedOut ? TTL_EXCEEDED : abandonReason(task.channel);
  // a timeout is TaskRouter's own doing (actor: the workspace, as for a survey task's TTL); a hang-up reaches it through Flex
  sim.ctx.writer.taskEvent('task.canceled', task, ms, timedOut ? 'workspace' : 'account', `Task ${task.sid} canceled`,
    { canceledReason: task.cancelReason });
  finalize(sim, task, ms);
}

function finalize(sim: Sim, task: SimTask, endedMs: number): void {
  const { writer, model } = sim.ctx;
  const completed = task.status === 'completed';
  let closedMs: number | null = null;
  let stopped = false;
  if (task.conversationSid !== null) {
    const endMs = completed ? (task.wrapupMs ?? endedMs) : endedMs;
    // whole seconds: the Conversations API renders timers.date_closed with second precision
    closedMs = completed && task.openConversation ? null : Math.ceil((endMs + task.rng.int(2, 15) * TICK_MS) / 1000) * 1000;
    if (closedMs !== null && completed && closedMs >= endedMs) throw new Error('conversation would close after the task completed');
    stopped = writeConversation(sim.ctx, task.rng, task, { endMs, closedMs });
  }
  for (const r of task.reservations) writer.reservation(r.sid, task.sid, r.worker.sid, r.status, r.createdMs, r.updatedMs);
  writer.task({ sid: task.sid, attributes: task.attributes, status: task.status, channelName: task.channelName,
    queueSid: task.queue.sid, workflowSid: task.workflowSid, priority: task.priority,
    reason: completed ? 'Task completed' : task.cancelReason === TTL_EXCEEDED ? TTL_EXCEEDED : 'hangup',
    timeoutSeconds: taskTtlMs(task.channel) / 1000, createdMs: task.createdMs, updatedMs: endedMs,
    queueEnteredMs: task.queueEnteredMs, endedMs });
  const w = task.worker;
  const v = task.values;
  model.interaction({
    taskSid: task.sid, customerIdx: task.customer.idx, kind: task.kind, channel: task.channel,
    queue0Name: task.initialQueue.name, queueSid: task.queue.sid, queueName: task.queue.name,
    workerSid: w?.sid ?? null, workerName: w?.name ?? null, createdMs: task.createdMs, answeredMs: task.answeredMs,
    wrapupMs: completed ? task.wrapupMs : null, endedMs, outcome: completed ? 'completed' : 'abandoned',
    cancelReason: completed ? null : task.cancelReason,
    conversationSid: task.conversationSid,
    convEndMs: !completed ? null : task.channel === 'voice' ? task.wrapupMs : closedMs,
    name: v.name, email: v.email, phone: v.phone, whatsapp: v.whatsapp, tier: v.tier, accountId: v.accountId,
    stopSms: stopped && task.channel === 'sms', stopWhatsapp: stopped && task.channel === 'whatsapp',
  });
}
