/**
 * Why a queued task was canceled: the customer left (an abandonment) or TaskRouter gave up on it (a timeout, which
 * includes a routing failure).
 * One rule for the derivation (src/engine/derive) and the stores' analytics SQL (sqlite/ and postgres/analytics.ts),
 * both built from `TIMEOUT_REASON_PATTERNS`, so they cannot disagree (docs/SEMANTICS.md §1).
 *
 * Source followed: Twilio's TaskRouter API reference of the Task `Timeout` parameter (the text the twilio-node and
 * twilio-python helper libraries carry): "On timeout, the `task.canceled` event will fire with description
 * `Task TTL Exceeded`"; public TaskRouter event handlers also compare the reason with "Task TTL Exceeded or Max
 * assignment count exceeded". A workflow timeout that cancels a task is matched by "timeout" / "timed out".
 * "Max assignment count exceeded" (TaskRouter canceled the task after it was offered to workers the maximum number of
 * times without being accepted) is a routing failure, not the customer's decision: it counts with the timeouts. The
 * reason arrives as `TaskCanceledReason` (EventCallbackUrl), `task_canceled_reason` (Events API `event_data`, Event
 * Streams payload) or `reason` (the Task resource's and the payload's generic field).
 *
 * Rule: the reason, lower-cased, contains one of the patterns → timeout; any other reason, or none → abandonment.
 */

/** Lower-case substrings (no `%` or `_`: they are used as SQL LIKE patterns as they are). */
export const TIMEOUT_REASON_PATTERNS: readonly string[] = ['ttl exceeded', 'timeout', 'timed out', 'max assignment count exceeded'];

/** True when a cancel reason says TaskRouter gave up on the task (TTL exceeded, workflow timeout, max assignment count exceeded). */
export function isTimeoutReason(reason: string | null | undefined): boolean {
  if (reason == null || reason === '') return false;
  const r = reason.toLowerCase();
  return TIMEOUT_REASON_PATTERNS.some((p) => r.includes(p));
}

/** The same rule in SQL (SQLite and Postgres) over a text column: true for a timeout reason, false otherwise (never NULL). */
export function timeoutReasonSql(column: string): string {
  return `(${TIMEOUT_REASON_PATTERNS.map((p) => `lower(coalesce(${column}, '')) LIKE '%${p}%'`).join(' OR ')})`;
}
