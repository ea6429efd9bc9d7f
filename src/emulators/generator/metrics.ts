/**
 * Contact-center metrics from the model.
 *
 * Definitions (all days are UTC calendar days; seconds are rounded to 1 decimal):
 * - Only valid interactions count (dead letters are excluded); surveys are not interactions.
 * - Queue rows: one per (final queue of the interaction, day of created_at, channel). `entered` = interactions,
 *   `answered` = with an accepted reservation, `abandoned` = outcome abandoned by the customer, `timed_out` = outcome
 *   abandoned with a timeout cancel reason (SEMANTICS §1, truth.ts `isTimeoutReason`), `wait_*` over answered wait_seconds,
 *   `answered_within_sl` = answered with wait_seconds ≤ serviceLevelSeconds (default 20).
 * - Percentiles are nearest-rank: sort ascending, take the value at rank ceil(p/100 · n) (1-based); null when n = 0.
 * - Agent rows: one per (worker, day) with any activity time or handled task. Tasks are attributed to the final agent
 *   (last accepted reservation) on the day of the interaction's created_at: `tasks_handled` = completed interactions,
 *   `avg_handle`/`p90_handle` over handle_seconds, `avg_wrapup` over wrapup_seconds, `avg_csat` = mean score of completed
 *   surveys linked to those interactions. `time_*` = seconds spent in each activity within the day, from the worker's
 *   first worker.activity.update until now (`time_break` includes Unavailable).
 * - `channels`: valid interactions per channel. `csat`: completed surveys, mean overall score, count per score 1..5.
 */
import type Database from 'better-sqlite3';
import { rowToInteraction } from './model.js';
import type { Channel } from './scales.js';
import type { AgentMetric, GroundTruth, QueueMetric } from './truth.js';
import { DAY_MS, cancelReasonOf, emptyChannels, isoDay, isTimeoutReason, secs1 } from './truth.js';

export function nearestRank(sortedAsc: readonly number[], p: number): number | null {
  if (sortedAsc.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAsc.length));
  return sortedAsc[rank - 1] as number;
}

const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);
const meanSecs = (msList: readonly number[]): number | null => {
  const m = mean(msList);
  return m === null ? null : secs1(m);
};
const pctSecs = (msList: number[], p: number): number | null => {
  const v = nearestRank(msList.sort((a, b) => a - b), p);
  return v === null ? null : secs1(v);
};

interface AgentAcc {
  handle: number[];
  wrapup: number[];
  csat: number[];
  time: Record<'Available' | 'Busy' | 'Break' | 'Offline', number>;
}

export function computeMetrics(db: Database.Database, nowMs: number, serviceLevelSeconds: number): GroundTruth['metrics'] {
  const queues = new Map<string, { q: Omit<QueueMetric, 'wait_p50' | 'wait_p90' | 'wait_max'>; waits: number[] }>();
  const agents = new Map<string, AgentAcc>();
  const names = new Map<string, string>();
  for (const w of db.prepare('SELECT sid, friendly_name FROM workers').iterate() as Iterable<{ sid: string; friendly_name: string }>) {
    names.set(w.sid, w.friendly_name);
  }
  const agent = (sid: string, day: string): AgentAcc => {
    const key = `${sid}|${day}`;
    let acc = agents.get(key);
    if (acc === undefined) {
      acc = { handle: [], wrapup: [], csat: [], time: { Available: 0, Busy: 0, Break: 0, Offline: 0 } };
      agents.set(key, acc);
    }
    return acc;
  };
  const channels = emptyChannels();
  const csatScores = new Map<string, number[]>();
  for (const s of db.prepare('SELECT task_sid, score FROM gen_surveys WHERE completed_ms IS NOT NULL').iterate() as Iterable<{ task_sid: string; score: number }>) {
    const l = csatScores.get(s.task_sid);
    if (l === undefined) csatScores.set(s.task_sid, [s.score]);
    else l.push(s.score);
  }

  for (const row of db.prepare("SELECT * FROM gen_interactions WHERE kind = 'ok'").iterate()) {
    const i = rowToInteraction(row as Record<string, unknown>);
    const ch = i.channel as Channel;
    channels[ch] += 1;
    const day = isoDay(i.createdMs);
    const key = `${i.queueSid}|${day}|${ch}`;
    let q = queues.get(key);
    if (q === undefined) {
      q = { q: { queue_sid: i.queueSid, queue_name: i.queueName, day, channel: ch, entered: 0, answered: 0, abandoned: 0, timed_out: 0, answered_within_sl: 0 }, waits: [] };
      queues.set(key, q);
    }
    q.q.entered++;
    if (i.outcome === 'abandoned') {
      if (isTimeoutReason(cancelReasonOf(i))) q.q.timed_out++;
      else q.q.abandoned++;
    }
    if (i.answeredMs !== null) {
      const wait = i.answeredMs - i.createdMs;
      q.q.answered++;
      q.waits.push(wait);
      if (wait <= serviceLevelSeconds * 1000) q.q.answered_within_sl++;
    }
    if (i.outcome === 'completed' && i.workerSid !== null && i.answeredMs !== null) {
      const acc = agent(i.workerSid, day);
      acc.handle.push(i.endedMs - i.answeredMs);
      if (i.wrapupMs !== null) acc.wrapup.push(i.endedMs - i.wrapupMs);
      acc.csat.push(...(csatScores.get(i.taskSid) ?? []));
    }
  }

  let prev: { sid: string; start: number; activity: string } | null = null;
  const flush = (sid: string, from: number, to: number, activity: string): void => {
    const bucket = activity === 'Unavailable' ? 'Break' : (activity as keyof AgentAcc['time']);
    for (let t = from; t < to; ) {
      const dayEnd = (Math.floor(t / DAY_MS) + 1) * DAY_MS;
      const end = Math.min(dayEnd, to);
      agent(sid, isoDay(t)).time[bucket] += end - t;
      t = end;
    }
  };
  const acts = db.prepare('SELECT worker_sid AS sid, start_ms AS start, activity FROM gen_activity ORDER BY worker_sid, start_ms, rowid').iterate();
  for (const a of acts as Iterable<{ sid: string; start: number; activity: string }>) {
    if (prev !== null) flush(prev.sid, prev.start, prev.sid === a.sid ? a.start : nowMs, prev.activity);
    prev = a;
  }
  if (prev !== null) flush(prev.sid, prev.start, nowMs, prev.activity);

  const queueRows: QueueMetric[] = [...queues.values()].map(({ q, waits }) => ({
    ...q,
    wait_p50: pctSecs(waits, 50),
    wait_p90: pctSecs(waits, 90),
    wait_max: pctSecs(waits, 100),
  }));
  queueRows.sort((a, b) => a.day.localeCompare(b.day) || a.queue_name.localeCompare(b.queue_name) || a.channel.localeCompare(b.channel));
  const agentRows: AgentMetric[] = [...agents.entries()].map(([key, acc]) => {
    const [sid = '', day = ''] = key.split('|');
    const csatSum = acc.csat.reduce((x, y) => x + y, 0);
    return {
      worker_sid: sid, worker_name: names.get(sid) ?? sid, day, tasks_handled: acc.handle.length,
      avg_handle: meanSecs(acc.handle), p90_handle: pctSecs(acc.handle, 90), avg_wrapup: meanSecs(acc.wrapup),
      time_available: secs1(acc.time.Available), time_busy: secs1(acc.time.Busy), time_break: secs1(acc.time.Break),
      time_offline: secs1(acc.time.Offline), avg_csat: acc.csat.length === 0 ? null : Math.round((csatSum * 10) / acc.csat.length) / 10,
    };
  });
  agentRows.sort((a, b) => a.day.localeCompare(b.day) || a.worker_name.localeCompare(b.worker_name));

  const dist: Record<string, number> = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  let count = 0;
  let sum = 0;
  for (const list of csatScores.values()) for (const s of list) {
    dist[String(s)] = (dist[String(s)] ?? 0) + 1;
    count++;
    sum += s;
  }
  return { queues: queueRows, agents: agentRows, channels, csat: { count, avg: count === 0 ? null : Math.round((sum * 10) / count) / 10, distribution: dist } };
}
