/**
 * CSAT figures. Surveys are normalised by the engine (src/engine/derive/survey.ts: score = conversation_measure_1,
 * scale = survey_scale, default 5) and stored when their task completes; this module only counts them:
 * - count / avg / distribution / trend: completed surveys by completion time in the range (avg as the truth rounds it),
 *   on one scale (`csatScaleOf`);
 * - low_score: score ≤ the configured threshold, on a 5-point scale (`isLowScore`, the CSAT_SUBMITTED rule too);
 * - late: completed more than LATE_SURVEY_MS after the linked interaction ended, i.e. after that interaction was
 *   synced and its events sent (the survey then arrives on its own, as CSAT_SUBMITTED + CSAT_SCORE update);
 * - absent: survey tasks created in the range that were canceled or are not completed, classified from their raw
 *   events by the engine's own derivation (deriveTask → survey, deriveSurvey → absent).
 */
import { DEFAULT_SURVEY_SCALE, deriveSurvey, deriveTask, isLowScore, readPath, scoreOn } from '../engine/derive/index.js';
import type { CsatGroup } from '../store/analytics.js';
import type { RawEvent } from '../store/types.js';
import type { Store } from '../store/store.js';
import { DAY_MS, isoDay, meanScore, pct, periodRange, upsert } from './stats.js';
import type { CsatReport } from './types.js';

/** A survey completed later than this after its interaction ended is "late". */
export const LATE_SURVEY_MS = 3_600_000;

/**
 * The scale a report's CSAT figures are on: the surveys' own when they share one (5 unless they say otherwise), else
 * the largest whole scale up to 100 among them (at least 5). A survey of another scale counts in proportion
 * (`scoreOn`): 8 of 10 is 4 of 5. The queue and agent averages are read on the same scale (AnalyticsQuery.csatScale).
 */
export function csatScaleOf(groups: readonly CsatGroup[]): number {
  let scale = DEFAULT_SURVEY_SCALE;
  for (const g of groups) if (Number.isInteger(g.scale) && g.scale > scale && g.scale <= 100) scale = g.scale;
  return scale;
}

export function csatReport(groups: readonly CsatGroup[], absent: number, threshold: number): CsatReport {
  const scale = csatScaleOf(groups);
  const distribution: Record<string, number> = {};
  for (let i = 1; i <= scale; i++) distribution[String(i)] = 0;
  const days = new Map<number, { n: number; total: number; low: number }>();
  let count = 0;
  let total = 0;
  let low = 0;
  let late = 0;
  for (const g of groups) {
    const score = scoreOn(g.score, g.scale, scale);
    const key = String(Math.round(score * 10) / 10);
    distribution[key] = (distribution[key] ?? 0) + g.count;
    count += g.count;
    total += score * g.count;
    const lows = isLowScore(g.score, g.scale, threshold) ? g.count : 0;
    low += lows;
    if (g.late) late += g.count;
    const d = upsert(days, g.dayMs, () => ({ n: 0, total: 0, low: 0 }));
    d.n += g.count;
    d.total += score * g.count;
    d.low += lows;
  }
  return {
    count,
    scale,
    avg: meanScore(total, count),
    distribution,
    low_score: low,
    low_score_threshold: threshold,
    late,
    absent,
    response_rate: pct(count, count + absent),
    trend: periodRange(days.keys(), DAY_MS).map((day) => {
      const d = days.get(day) ?? { n: 0, total: 0, low: 0 };
      return { day: isoDay(day), count: d.n, avg: meanScore(d.total, d.n), low_score: d.low };
    }),
  };
}

/** Tasks per read (bounded IN lists). */
const CHUNK = 500;

/**
 * Survey tasks created in the range that did not produce a completed survey, as the task SIDs of the interactions they
 * were linked to (null when unlinked). Reads only the tasks that have no interaction or survey row (a small set:
 * absent surveys, dead letters, tasks still open) and classifies them with the engine's derivation.
 */
export async function absentSurveys(
  store: Pick<Store, 'tasksWithoutRecords' | 'rawEventsForTasks'>,
  connectorId: string,
  range: { sinceMs?: number; untilMs?: number },
  defaultPhoneRegion = 'US',
): Promise<Array<string | null>> {
  const sids = await store.tasksWithoutRecords(connectorId, range);
  const out: Array<string | null> = [];
  for (let i = 0; i < sids.length; i += CHUNK) {
    const byTask = new Map<string, RawEvent[]>();
    for (const e of await store.rawEventsForTasks(connectorId, sids.slice(i, i + CHUNK))) {
      if (e.taskSid !== undefined) upsert(byTask, e.taskSid, () => []).push(e);
    }
    for (const [sid, events] of byTask) {
      const d = deriveTask(sid, events, undefined, { defaultPhoneRegion, conversationUnavailable: true });
      if (d.kind !== 'survey' || deriveSurvey(d.facts, d.attributes, undefined, defaultPhoneRegion).kind !== 'absent') continue;
      const linked = readPath(d.attributes, 'conversations.conversation_id');
      out.push(typeof linked === 'string' && linked !== '' ? linked : null);
    }
  }
  return out;
}
