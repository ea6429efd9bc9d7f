import { describe, expect, it } from 'vitest';
import type { ActivityGroup, AgentGroup, CsatGroup, QueueGroup } from '../store/analytics.js';
import { activityBucket } from './activity.js';
import { agentMetrics } from './agents.js';
import { channelCounts, channelRows } from './channels.js';
import { csatReport, csatScaleOf } from './csat.js';
import { queueRows, queueTotals, summarise, timeline, waitHistogram } from './queues.js';
import { durationStats, meanScore, nearestRank, pct, secs1 } from './stats.js';

const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 2); // 2026-11-02
const group = (over: Partial<QueueGroup>): QueueGroup => ({
  queueSid: 'WQ1', queueName: 'Voice Support', channel: 'voice', periodMs: D0, entered: 0, answered: 0, abandoned: 0, timedOut: 0, waitsMs: [],
  handled: 0, handleSumMs: 0, handledWorkers: [], csatCount: 0, csatSum: 0, ...over,
});

describe('stats', () => {
  it('nearest-rank percentiles: rank ceil(p/100 · n), 1-based', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(xs, 50)).toBe(5);
    expect(nearestRank(xs, 90)).toBe(9);
    expect(nearestRank(xs, 91)).toBe(10);
    expect(nearestRank(xs, 100)).toBe(10);
    expect(nearestRank([7, 8, 9], 50)).toBe(8); // ceil(1.5) = 2
    expect(nearestRank([4], 90)).toBe(4);
    expect(nearestRank([], 50)).toBeNull();
  });

  it('seconds with 1 decimal, half up; means of scores as the truth rounds them; percentages', () => {
    expect(secs1(1250)).toBe(1.3);
    expect(secs1(1249)).toBe(1.2);
    expect(secs1(20_000)).toBe(20);
    expect(meanScore(14, 3)).toBe(4.7); // 4.666…
    expect(meanScore(0, 0)).toBeNull();
    expect(pct(1, 3)).toBe(33.3);
    expect(pct(2, 3)).toBe(66.7);
    expect(pct(1, 0)).toBeNull();
    // unsorted input: avg 11275 ms → 11.3; p50 = 2nd of 4 → 5000; p90 = 4th → 25000
    expect(durationStats([25_000, 100, 15_000, 5000])).toEqual({ avg: 11.3, p50: 5, p90: 25, max: 25 });
  });
});

describe('queues', () => {
  const groups = [
    group({ entered: 5, answered: 4, abandoned: 1, waitsMs: [25_000, 100, 15_000, 20_000], handledWorkers: ['WK1', 'WK2'], handled: 3, handleSumMs: 3 * 120_000, csatCount: 2, csatSum: 9 }),
    group({ channel: 'sms', queueSid: 'WQ2', queueName: 'Messaging Support', entered: 2, answered: 1, abandoned: 1, waitsMs: [40_000], handled: 1, handleSumMs: 600_000 }),
    group({ periodMs: D0 + DAY, entered: 1, answered: 1, waitsMs: [3000], handledWorkers: ['WK1'], handled: 1, handleSumMs: 60_000, csatCount: 1, csatSum: 1 }),
  ];

  it('one row per group with counts, nearest-rank waits, service level (wait ≤ SL) and abandonment', () => {
    const rows = queueRows(groups, 20);
    expect(rows[0]).toEqual({
      queue_sid: 'WQ2', queue_name: 'Messaging Support', day: '2026-11-02', channel: 'sms', entered: 2, answered: 1, abandoned: 1,
      wait_p50: 40, wait_p90: 40, wait_max: 40, answered_within_sl: 0, wait_avg: 40, abandon_rate: 50, service_level: 0, timed_out: 0,
    });
    // waits 0.1, 15, 20, 25 s: 20 s is within a 20 s service level (≤)
    expect(rows[1]).toMatchObject({ queue_sid: 'WQ1', day: '2026-11-02', channel: 'voice', wait_p50: 15, wait_p90: 25, wait_max: 25, answered_within_sl: 3, service_level: 75, abandon_rate: 20, wait_avg: 15 });
    expect(rows.map((r) => r.day)).toEqual(['2026-11-02', '2026-11-02', '2026-11-03']);
    expect(queueRows(groups, 20, 'hour')[0]).toMatchObject({ hour: '2026-11-02T00:00Z', day: '2026-11-02' });
  });

  it('names the row of interactions without a queue instead of leaving it blank', () => {
    const rows = queueTotals([group({ queueSid: null, queueName: null, entered: 2 })], 20);
    expect(rows.map((q) => [q.queue_sid, q.queue_name])).toEqual([['', '(no queue)']]);
    expect(queueRows([group({ queueSid: null, queueName: null, entered: 2 })], 20)[0]?.queue_name).toBe('(no queue)');
  });

  it('totals merge days and channels (percentiles over the merged lists), with a daily series', () => {
    const [voice] = queueTotals(groups, 20);
    expect(voice).toMatchObject({ queue_sid: 'WQ1', entered: 6, answered: 5, abandoned: 1, wait_p50: 15, wait_p90: 25, answered_within_sl: 4, service_level: 80, by_channel: { voice: 6 } });
    expect(voice?.daily).toEqual([
      { day: '2026-11-02', entered: 5, abandoned: 1, timed_out: 0, service_level: 75, wait_p50: 15 },
      { day: '2026-11-03', entered: 1, abandoned: 0, timed_out: 0, service_level: 100, wait_p50: 3 },
    ]);
    expect(timeline(groups, 20).map((t) => [t.period, t.entered, t.abandon_rate])).toEqual([['2026-11-02', 7, 28.6], ['2026-11-03', 1, 0]]);
    const s = summarise(groups, 20);
    expect(s).toMatchObject({ interactions: 8, answered: 6, abandoned: 2, answered_within_sl: 4, tasks_handled: 5, avg_handle: 204, agents: 2, queues: 2 });
    // 6 waits sorted: 0.1 3 15 20 25 40 → p50 = 3rd = 15, p90 = 6th = 40
    expect([s.wait_p50, s.wait_p90, s.wait_max]).toEqual([15, 40, 40]);
  });

  it('a period without interactions between two with some is a row of zeros (sparklines and charts keep their time axis)', () => {
    const gap = [group({ entered: 2, answered: 2, waitsMs: [1000, 2000] }), group({ periodMs: D0 + 2 * DAY, entered: 1, abandoned: 1 })];
    expect(timeline(gap, 20)).toEqual([
      { period: '2026-11-02', entered: 2, answered: 2, abandoned: 0, abandon_rate: 0, answered_within_sl: 2, service_level: 100, wait_p50: 1, wait_p90: 2, timed_out: 0 },
      { period: '2026-11-03', entered: 0, answered: 0, abandoned: 0, abandon_rate: null, answered_within_sl: 0, service_level: null, wait_p50: null, wait_p90: null, timed_out: 0 },
      { period: '2026-11-04', entered: 1, answered: 0, abandoned: 1, abandon_rate: 100, answered_within_sl: 0, service_level: null, wait_p50: null, wait_p90: null, timed_out: 0 },
    ]);
    expect(timeline([group({ periodMs: D0 + 3_600_000, entered: 1 }), group({ periodMs: D0 + 3 * 3_600_000, entered: 1 })], 20, 'hour').map((t) => [t.period, t.entered]))
      .toEqual([['2026-11-02T01:00Z', 1], ['2026-11-02T02:00Z', 0], ['2026-11-02T03:00Z', 1]]);
    // every queue's daily series spans the same days, so the sparklines of the queue table line up
    const totals = queueTotals([...gap, group({ queueSid: 'WQ2', queueName: 'Messaging Support', channel: 'sms', periodMs: D0 + DAY, entered: 4 })], 20);
    expect(totals.map((q) => [q.queue_sid, q.daily.map((d) => [d.day, d.entered])])).toEqual([
      ['WQ2', [['2026-11-02', 0], ['2026-11-03', 4], ['2026-11-04', 0]]],
      ['WQ1', [['2026-11-02', 2], ['2026-11-03', 0], ['2026-11-04', 1]]],
    ]);
    expect(totals[1]?.daily[1]).toEqual({ day: '2026-11-03', entered: 0, abandoned: 0, timed_out: 0, service_level: null, wait_p50: null });
  });

  it('timed out tasks are counted apart: not in abandoned nor in abandon_rate, in every breakdown', () => {
    // 4 entered: 2 answered, 1 customer abandonment, 1 TaskRouter timeout
    const g = [group({ entered: 4, answered: 2, abandoned: 1, timedOut: 1, waitsMs: [1000, 2000] })];
    expect(queueRows(g, 20)[0]).toMatchObject({ abandoned: 1, timed_out: 1, abandon_rate: 25 });
    expect(queueTotals(g, 20)[0]).toMatchObject({ abandoned: 1, timed_out: 1, abandon_rate: 25 });
    expect(queueTotals(g, 20)[0]?.daily[0]).toMatchObject({ abandoned: 1, timed_out: 1 });
    expect(timeline(g, 20)[0]).toMatchObject({ abandoned: 1, timed_out: 1, abandon_rate: 25 });
    expect(summarise(g, 20)).toMatchObject({ abandoned: 1, timed_out: 1, abandon_rate: 25 });
    expect(channelRows(g, 20)[0]).toMatchObject({ abandoned: 1, timed_out: 1, abandon_rate: 25 });
  });

  it('wait histogram buckets are [from, to) in seconds', () => {
    const h = waitHistogram([group({ waitsMs: [0, 9999, 10_000, 20_000, 299_999, 300_000, 3_600_000] })]);
    expect(h.filter((b) => b.count > 0).map((b) => [b.from, b.to, b.count])).toEqual([[0, 10, 2], [10, 20, 1], [20, 30, 1], [180, 300, 1], [300, null, 2]]);
  });

  it('channel mix and per-channel figures', () => {
    expect(channelCounts(groups)).toEqual({ voice: 6, sms: 2, whatsapp: 0, webchat: 0 });
    const [voice, sms] = channelRows(groups, 20);
    expect(voice).toMatchObject({ channel: 'voice', entered: 6, share: 75, avg_handle: 105, csat_count: 3, csat_avg: 3.3 });
    expect(sms).toMatchObject({ channel: 'sms', entered: 2, share: 25, abandon_rate: 50, avg_handle: 600, csat_count: 0, csat_avg: null });
  });
});

describe('agents', () => {
  const task = (over: Partial<AgentGroup>): AgentGroup => ({ workerSid: 'WK1', workerName: 'alice', dayMs: D0, handleMs: [], wrapupSumMs: 0, wrapupCount: 0, csatCount: 0, csatSum: 0, ...over });
  const act = (activity: string, ms: number, dayMs = D0): ActivityGroup => ({ workerSid: 'WK1', workerName: 'alice', dayMs, activity, ms });

  it('maps activity names to buckets', () => {
    expect(['Available', 'available - chat', 'Busy', 'Offline', 'Break', 'Unavailable', 'Lunch', '', null].map(activityBucket))
      .toEqual(['available', 'available', 'busy', 'offline', 'break', 'break', 'break', null, null]);
  });

  it('per day: handle mean/p90, wrap-up mean, activity seconds, occupancy, CSAT, reservation outcomes', () => {
    const { rows, totals } = agentMetrics({
      tasks: [
        task({ handleMs: [60_000, 180_000, 120_000], wrapupSumMs: 90_000, wrapupCount: 2, csatCount: 3, csatSum: 14 }),
        task({ dayMs: D0 + DAY, handleMs: [30_000] }),
      ],
      activity: [act('Available', 3 * 3_600_000), act('Busy', 3_600_000), act('Unavailable', 900_000), act('Break', 900_000), act('Offline', 60_000, D0 + DAY)],
      reservations: [{ workerSid: 'WK1', dayMs: D0, type: 'reservation.canceled', count: 2 }, { workerSid: 'WK1', dayMs: D0, type: 'reservation.timeout', count: 1 }],
    });
    expect(rows[0]).toEqual({
      worker_sid: 'WK1', worker_name: 'alice', day: '2026-11-02', tasks_handled: 3, avg_handle: 120, p90_handle: 180, avg_wrapup: 45,
      time_available: 10_800, time_busy: 3600, time_break: 1800, time_offline: 0, avg_csat: 4.7, csat_count: 3, occupancy: 25,
      ringing_abandoned: 2, missed: 1, rejected: 0,
    });
    expect(rows[1]).toMatchObject({ day: '2026-11-03', tasks_handled: 1, avg_handle: 30, avg_wrapup: null, time_offline: 60, occupancy: null, avg_csat: null });
    expect(totals[0]).toMatchObject({ worker_sid: 'WK1', days: 2, tasks_handled: 4, avg_handle: 97.5, p90_handle: 180, time_available: 10_800 });
  });

  it('a worker known only from activity still gets a row, named from the activity events', () => {
    const { rows } = agentMetrics({ tasks: [], activity: [{ workerSid: 'WK9', workerName: 'bob', dayMs: D0, activity: 'Offline', ms: DAY }], reservations: [] });
    expect(rows).toEqual([expect.objectContaining({ worker_sid: 'WK9', worker_name: 'bob', tasks_handled: 0, avg_handle: null, time_offline: 86_400 })]);
  });
});

describe('csat', () => {
  const g = (score: number, count: number, over: Partial<CsatGroup> = {}): CsatGroup => ({ dayMs: D0, score, scale: 5, channel: 'voice', queueSid: 'WQ1', late: false, count, ...over });

  it('count, mean, distribution 1..5, low scores, late, absent and response rate, daily trend', () => {
    const r = csatReport([g(5, 3), g(1, 1), g(2, 1, { late: true }), g(4, 2, { dayMs: D0 + DAY })], 3, 2);
    expect(r).toEqual({
      count: 7, scale: 5, avg: 3.7, distribution: { '1': 1, '2': 1, '3': 0, '4': 2, '5': 3 }, low_score: 2, low_score_threshold: 2, late: 1, absent: 3,
      response_rate: 70,
      trend: [{ day: '2026-11-02', count: 5, avg: 3.6, low_score: 2 }, { day: '2026-11-03', count: 2, avg: 4, low_score: 0 }],
    });
    expect(csatReport([], 0, 2)).toMatchObject({ count: 0, avg: null, response_rate: null, distribution: { '1': 0, '5': 0 } });
    // a day without surveys between two with some
    expect(csatReport([g(5, 1), g(3, 1, { dayMs: D0 + 2 * DAY })], 0, 2).trend).toEqual([
      { day: '2026-11-02', count: 1, avg: 5, low_score: 0 }, { day: '2026-11-03', count: 0, avg: null, low_score: 0 }, { day: '2026-11-04', count: 1, avg: 3, low_score: 0 },
    ]);
  });

  it('surveys of two scales: figures on the larger one, the others in proportion; low scores on a 5-point basis', () => {
    // 5-point: 2 (low) and 4; 10-point: 8, 9 and 4 (low: 2 of 5)
    const r = csatReport([g(2, 1), g(4, 1), g(8, 1, { scale: 10 }), g(9, 1, { scale: 10 }), g(4, 1, { scale: 10 })], 0, 2);
    expect(r).toMatchObject({ count: 5, scale: 10, avg: 6.6, low_score: 2 });
    // 2 of 5 = 4 of 10, 4 of 5 = 8 of 10; every score 1..10 present
    expect(r.distribution).toEqual({ '1': 0, '2': 0, '3': 0, '4': 2, '5': 0, '6': 0, '7': 0, '8': 2, '9': 1, '10': 0 });
    expect(r.trend).toEqual([{ day: '2026-11-02', count: 5, avg: 6.6, low_score: 2 }]);
    // a 10-point 5 is not low (2.5 of 5 > 2), a 10-point 4 is
    expect(csatReport([g(5, 1, { scale: 10 })], 0, 2).low_score).toBe(0);
    expect(csatScaleOf([g(3, 1, { scale: 7 }), g(1, 1, { scale: 3 })])).toBe(7);
    expect(csatScaleOf([g(3, 1, { scale: 3 })])).toBe(5);
  });
});
