/**
 * Builds the report from grouped range reads of the store (src/store/analytics.ts): the database scans only the
 * requested range through covering/partial indexes and returns one row per group (queue × channel × period, agent ×
 * day, …); percentiles are computed here from the exact duration lists. Cost follows the range, not the store's
 * history, and nothing is rescanned per figure (measured in bench/report.ts).
 */
import type { AnalyticsQuery, QueueGroup } from '../store/analytics.js';
import type { Store } from '../store/store.js';
import { agentMetrics } from './agents.js';
import { channelCounts, channelRows } from './channels.js';
import { absentSurveys, csatReport, csatScaleOf, LATE_SURVEY_MS } from './csat.js';
import { queueRows, queueTotals, summarise, timeline, waitHistogram } from './queues.js';
import { SECTIONS, type Report, type ReportOptions, type Section } from './types.js';

export type AnalyticsStore = Pick<
  Store,
  'queueGroups' | 'agentGroups' | 'activityGroups' | 'reservationGroups' | 'csatGroups' | 'analyticsQueues' | 'tasksWithoutRecords' | 'rawEventsForTasks' | 'getInteractions'
>;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** `--queue`: SIDs of the queues whose SID or name equals `queue` (case-insensitive); undefined = no filter. */
export async function resolveQueue(store: Pick<Store, 'analyticsQueues'>, connectorId: string, queue: string | undefined): Promise<string[] | undefined> {
  const q = queue?.trim().toLowerCase();
  if (!q) return undefined;
  return (await store.analyticsQueues(connectorId)).filter((r) => r.queueSid.toLowerCase() === q || r.queueName?.toLowerCase() === q).map((r) => r.queueSid);
}

export async function buildReport(store: AnalyticsStore, connectorId: string, opts: ReportOptions): Promise<Report> {
  const want = new Set<Section>(opts.sections ?? SECTIONS);
  const by = opts.by ?? 'day';
  const sl = opts.serviceLevelSeconds;
  const queueSids = await resolveQueue(store, connectorId, opts.queue);
  const q: AnalyticsQuery = {
    ...(opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {}),
    ...(opts.untilMs !== undefined ? { untilMs: opts.untilMs } : {}),
    ...(queueSids ? { queueSids } : {}),
  };
  const endMs = Math.min(opts.untilMs ?? Number.MAX_SAFE_INTEGER, opts.nowMs);

  const needGroups = want.has('summary') || want.has('timeline') || want.has('queues') || want.has('channels');
  // CSAT first: its scale is the one the queue and agent averages are read on
  const csat = needGroups || want.has('agents') || want.has('csat') ? await store.csatGroups(connectorId, { ...q, lateMs: LATE_SURVEY_MS }) : [];
  const csatScale = csatScaleOf(csat);
  const groups: QueueGroup[] = needGroups ? await store.queueGroups(connectorId, { ...q, by, csatScale }) : [];

  const report: Report = {
    generated_at: new Date(opts.nowMs).toISOString(),
    range: { since: iso(opts.sinceMs), until: iso(opts.untilMs) },
    filters: { queue: opts.queue ?? null },
    by,
    service_level_seconds: sl,
  };
  if (want.has('summary')) {
    const c = csatReport(csat, 0, opts.lowScoreThreshold);
    report.summary = { ...summarise(groups, sl), csat_count: c.count, csat_avg: c.avg };
  }
  if (want.has('timeline')) {
    report.timeline = timeline(groups, sl, by);
    report.wait_histogram = waitHistogram(groups);
  }
  if (want.has('queues')) {
    report.queues = queueRows(groups, sl, by);
    report.queue_totals = queueTotals(groups, sl);
  }
  if (want.has('agents')) {
    const span = { ...(opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {}), endMs };
    const [tasks, activity, reservations] = await Promise.all([store.agentGroups(connectorId, { ...q, csatScale }), store.activityGroups(connectorId, span), store.reservationGroups(connectorId, { ...span, ...(queueSids ? { queueSids } : {}) })]);
    const { rows, totals } = agentMetrics({ tasks, activity, reservations });
    report.agents = rows;
    report.agent_totals = totals;
  }
  if (want.has('channels')) {
    report.channels = channelCounts(groups);
    report.channel_rows = channelRows(groups, sl);
  }
  if (want.has('csat')) {
    let absent = await absentSurveys(store, connectorId, q, opts.defaultPhoneRegion);
    if (queueSids) {
      const inQueue = new Set(queueSids);
      const linked = await store.getInteractions(connectorId, absent.filter((s): s is string => s !== null));
      const ok = new Set(linked.filter((i) => i.queueSid !== null && inQueue.has(i.queueSid)).map((i) => i.taskSid));
      absent = absent.filter((s) => s !== null && ok.has(s));
    }
    report.csat = csatReport(csat, absent.length, opts.lowScoreThreshold);
  }
  return report;
}
