/**
 * Agent metrics per (worker, UTC day). Definitions (same as the ground truth):
 * - tasks are attributed to the final agent (last accepted reservation) on the day of the interaction's created_at;
 *   tasks_handled = completed interactions, avg/p90 handle over handle time (ended − answered), avg_wrapup over
 *   wrap-up time (ended − wrapup) of those that had a wrap-up;
 * - avg_csat = mean score of completed surveys linked to those interactions;
 * - time_* = seconds in each activity within the day (activity.ts); occupancy = busy / (available + busy);
 * - ringing_abandoned / missed / rejected = reservation.canceled / .timeout / .rejected events on that day.
 * A row exists when the agent has activity time, a handled task or a reservation outcome that day.
 */
import type { ActivityGroup, AgentGroup, ReservationGroup } from '../store/analytics.js';
import { activityBucket, emptyTime, type ActivityTime } from './activity.js';
import { byString, durationStats, isoDay, meanScore, pct, secs1, upsert } from './stats.js';
import type { AgentRow, AgentTotal } from './types.js';

interface Acc {
  handle: number[];
  wrapupSum: number;
  wrapupCount: number;
  csatSum: number;
  csatCount: number;
  time: ActivityTime;
  ringing: { canceled: number; timeout: number; rejected: number };
}

const emptyAcc = (): Acc => ({ handle: [], wrapupSum: 0, wrapupCount: 0, csatSum: 0, csatCount: 0, time: emptyTime(), ringing: { canceled: 0, timeout: 0, rejected: 0 } });

function merge(into: Acc, a: Acc): void {
  for (const h of a.handle) into.handle.push(h);
  into.wrapupSum += a.wrapupSum;
  into.wrapupCount += a.wrapupCount;
  into.csatSum += a.csatSum;
  into.csatCount += a.csatCount;
  for (const k of Object.keys(a.time) as (keyof ActivityTime)[]) into.time[k] += a.time[k];
  into.ringing.canceled += a.ringing.canceled;
  into.ringing.timeout += a.ringing.timeout;
  into.ringing.rejected += a.ringing.rejected;
}

function metrics(a: Acc): Omit<AgentRow, 'worker_sid' | 'worker_name' | 'day'> {
  const handle = durationStats([...a.handle]);
  const t = a.time;
  return {
    tasks_handled: a.handle.length,
    avg_handle: handle.avg,
    p90_handle: handle.p90,
    avg_wrapup: a.wrapupCount === 0 ? null : secs1(a.wrapupSum / a.wrapupCount),
    time_available: secs1(t.available),
    time_busy: secs1(t.busy),
    time_break: secs1(t.break),
    time_offline: secs1(t.offline),
    avg_csat: meanScore(a.csatSum, a.csatCount),
    csat_count: a.csatCount,
    occupancy: pct(t.busy, t.available + t.busy),
    ringing_abandoned: a.ringing.canceled,
    missed: a.ringing.timeout,
    rejected: a.ringing.rejected,
  };
}

export interface AgentInput {
  tasks: readonly AgentGroup[];
  activity: readonly ActivityGroup[];
  reservations: readonly ReservationGroup[];
}

const RINGING = { 'reservation.canceled': 'canceled', 'reservation.timeout': 'timeout', 'reservation.rejected': 'rejected' } as const;

export function agentMetrics(input: AgentInput): { rows: AgentRow[]; totals: AgentTotal[] } {
  const accs = new Map<string, Acc>();
  const names = new Map<string, string>();
  const acc = (sid: string, dayMs: number): Acc => upsert(accs, `${sid}|${dayMs}`, emptyAcc);
  for (const g of input.activity) {
    if (g.workerName) names.set(g.workerSid, g.workerName);
    const bucket = activityBucket(g.activity);
    if (bucket !== null && g.ms > 0) acc(g.workerSid, g.dayMs).time[bucket] += g.ms;
  }
  for (const g of input.tasks) {
    if (g.workerName) names.set(g.workerSid, g.workerName);
    const a = acc(g.workerSid, g.dayMs);
    for (const h of g.handleMs) a.handle.push(h);
    a.wrapupSum += g.wrapupSumMs;
    a.wrapupCount += g.wrapupCount;
    a.csatSum += g.csatSum;
    a.csatCount += g.csatCount;
  }
  for (const g of input.reservations) acc(g.workerSid, g.dayMs).ringing[RINGING[g.type]] += g.count;

  const rows: AgentRow[] = [];
  const totals = new Map<string, { acc: Acc; days: number }>();
  for (const [key, a] of accs) {
    const [sid = '', dayMs = '0'] = key.split('|');
    rows.push({ worker_sid: sid, worker_name: names.get(sid) ?? sid, day: isoDay(Number(dayMs)), ...metrics(a) });
    const t = upsert(totals, sid, () => ({ acc: emptyAcc(), days: 0 }));
    merge(t.acc, a);
    t.days++;
  }
  rows.sort((a, b) => byString(a.day, b.day) || byString(a.worker_name, b.worker_name));
  const totalRows: AgentTotal[] = [...totals.entries()].map(([sid, t]) => ({ worker_sid: sid, worker_name: names.get(sid) ?? sid, days: t.days, ...metrics(t.acc) }));
  totalRows.sort((a, b) => b.tasks_handled - a.tasks_handled || byString(a.worker_name, b.worker_name));
  return { rows, totals: totalRows };
}
