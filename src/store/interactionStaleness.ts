/**
 * A task's interaction row only ever gains facts: its history in the store only grows (raw events are stored
 * idempotently and never pruned), and each of these times, once a history has the event that sets it, stays set in any
 * history that contains that one. A row that lacks one of them that the stored row has was derived from part of what
 * is stored now: another process (a replica, `tajo serve` beside `tajo connectors sync`) read the task's events before
 * a commit that added some, derived it and committed after that commit. Such a row never overwrites the stored one
 * (records' upserts, `STALE_INTERACTION_SQL`), and the engine does not build on it when the store knows more
 * (`knowsLess`): seen in the replicas test as completed rows with their agent replaced by open ones without, and a
 * CSAT_SUBMITTED sent without its agent.
 */
import type { InteractionFacts } from './types.js';

/** The times a task's history only ever adds, as fields and as columns. */
const GROWING = [
  ['createdMs', 'created_ms'],
  ['answeredMs', 'answered_ms'],
  ['wrapupMs', 'wrapup_ms'],
  ['endedMs', 'ended_ms'],
  ['conversationClosedMs', 'conversation_closed_ms'],
] as const;

type Growing = Pick<InteractionFacts, (typeof GROWING)[number][0]>;

/** `row` lacks a time `than` has: it was derived from less of the task's history. */
export function knowsLess(row: Growing, than: Growing): boolean {
  return GROWING.some(([field]) => than[field] !== null && row[field] === null);
}

/**
 * `knowsLess(excluded, stored)` in SQL, for `ON CONFLICT … DO UPDATE … WHERE NOT (…)` (the same in SQLite and
 * Postgres): `stored` is the table's name, `excluded` the proposed row.
 */
export function staleInteractionSql(stored: string, excluded: string): string {
  return GROWING.map(([, col]) => `(${stored}.${col} IS NOT NULL AND ${excluded}.${col} IS NULL)`).join(' OR ');
}
