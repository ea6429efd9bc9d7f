/** Assembles the full GroundTruth from the model tables. */
import type Database from 'better-sqlite3';
import { computeMetrics } from './metrics.js';
import type { GroundTruth, TruthContact, TruthEvent } from './truth.js';
import { contactOf, customerGroups, eventsOf, loadCompletedSurveys } from './truth.js';

export interface TruthOptions {
  truthEvents: boolean;
  serviceLevelSeconds: number;
  queues: number;
}

const count = (db: Database.Database, sql: string): number => Number((db.prepare(sql).get() as { n: number }).n);

export function computeTruth(db: Database.Database, nowMs: number, opts: TruthOptions): GroundTruth {
  const surveys = loadCompletedSurveys(db);
  const contacts: TruthContact[] = [];
  const events: TruthEvent[] = [];
  let eventCount = 0;
  for (const g of customerGroups(db, surveys)) {
    const contact = contactOf(g, nowMs);
    contacts.push(contact);
    for (const e of eventsOf(g, contact)) {
      eventCount++;
      if (opts.truthEvents) events.push(e);
    }
  }
  contacts.sort((a, b) => (a.ext_id < b.ext_id ? -1 : a.ext_id > b.ext_id ? 1 : 0));
  events.sort((a, b) => (a.event_date < b.event_date ? -1 : a.event_date > b.event_date ? 1
    : a.source_sid < b.source_sid ? -1 : a.source_sid > b.source_sid ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const deadLetters = (db.prepare("SELECT task_sid, kind FROM gen_interactions WHERE kind != 'ok' ORDER BY created_ms, task_sid").all() as Array<{ task_sid: string; kind: string }>)
    .map((r) => ({ source_sid: r.task_sid, reason: r.kind }));
  return {
    nowMs,
    counts: {
      interactions: count(db, 'SELECT COUNT(*) AS n FROM gen_interactions'),
      customers: count(db, 'SELECT COUNT(DISTINCT customer_idx) AS n FROM gen_interactions'),
      agents: count(db, 'SELECT COUNT(*) AS n FROM gen_workers'),
      queues: opts.queues,
      events: eventCount,
      surveys: count(db, 'SELECT COUNT(*) AS n FROM gen_surveys'),
      surveysLate: count(db, "SELECT COUNT(*) AS n FROM gen_surveys WHERE status = 'late'"),
      surveysAbsent: count(db, "SELECT COUNT(*) AS n FROM gen_surveys WHERE status = 'absent'"),
      deadLetters: deadLetters.length,
      taskrouterEvents: count(db, 'SELECT COUNT(*) AS n FROM events'),
    },
    contacts,
    events,
    deadLetters,
    metrics: computeMetrics(db, nowMs, opts.serviceLevelSeconds),
  };
}
