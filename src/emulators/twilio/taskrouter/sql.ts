/**
 * SQL for the TaskRouter resources, "as of" the emulated now: rows the generator wrote with a future
 * `date_updated_ms` show the state their events had reached by now (a task completed in ten emulated
 * minutes is still `assigned` today). `now` values are integers produced by the clock, inlined as literals.
 */

const TASK_STATUS_BY_EVENT: Record<string, string> = {
  'task.created': 'pending',
  'reservation.created': 'reserved',
  'reservation.accepted': 'assigned',
  'reservation.rejected': 'pending',
  'reservation.timeout': 'pending',
  'reservation.rescinded': 'pending',
  'task.wrapup': 'wrapping',
  'reservation.wrapup': 'wrapping',
  'task.completed': 'completed',
  'task.canceled': 'canceled',
};

const RESERVATION_STATUS_BY_EVENT: Record<string, string> = {
  'reservation.created': 'pending',
  'reservation.accepted': 'accepted',
  'reservation.rejected': 'rejected',
  'reservation.timeout': 'timeout',
  'reservation.canceled': 'canceled',
  'reservation.rescinded': 'rescinded',
  'reservation.wrapup': 'wrapping',
  'reservation.completed': 'completed',
};

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function caseOf(map: Record<string, string>, col: string): string {
  return `CASE ${col} ${Object.entries(map).map(([k, v]) => `WHEN ${quote(k)} THEN ${quote(v)}`).join(' ')} END`;
}

function inList(map: Record<string, string>): string {
  return Object.keys(map).map(quote).join(', ');
}

const n = (x: number): string => String(Math.floor(x));

/** Effective task status as of now. */
export function taskStatusExpr(now: number): string {
  return `(CASE WHEN t.date_updated_ms <= ${n(now)} THEN t.assignment_status ELSE COALESCE((SELECT ${caseOf(TASK_STATUS_BY_EVENT, 'e.event_type')}
    FROM events e WHERE e.task_sid = t.sid AND e.event_date_ms <= ${n(now)} AND e.event_type IN (${inList(TASK_STATUS_BY_EVENT)})
    ORDER BY e.event_date_ms DESC, e.seq DESC LIMIT 1), 'pending') END)`;
}

export function taskSelect(now: number): string {
  return `SELECT t.*, ${taskStatusExpr(now)} AS eff_status,
    (CASE WHEN t.date_updated_ms <= ${n(now)} THEN t.date_updated_ms ELSE COALESCE((SELECT MAX(e.event_date_ms) FROM events e
      WHERE e.task_sid = t.sid AND e.event_date_ms <= ${n(now)}), t.date_created_ms) END) AS eff_updated_ms,
    q.friendly_name AS q_name, w.friendly_name AS wf_name, c.sid AS tc_sid
    FROM tasks t LEFT JOIN task_queues q ON q.sid = t.task_queue_sid LEFT JOIN workflows w ON w.sid = t.workflow_sid
    LEFT JOIN task_channels c ON c.unique_name = t.task_channel_unique_name`;
}

/** Tasks that exist now: created, and not yet purged `retentionMs` after they ended. */
export function taskVisible(now: number, retentionMs: number): string {
  return `t.date_created_ms <= ${n(now)} AND (t.ended_ms IS NULL OR t.ended_ms + ${n(retentionMs)} > ${n(now)})`;
}

export function reservationSelect(now: number): string {
  return `SELECT r.*, wk.friendly_name AS worker_name,
    (CASE WHEN r.date_updated_ms <= ${n(now)} THEN r.reservation_status ELSE COALESCE((SELECT ${caseOf(RESERVATION_STATUS_BY_EVENT, 'e.event_type')}
      FROM events e WHERE e.reservation_sid = r.sid AND e.event_date_ms <= ${n(now)} AND e.event_type IN (${inList(RESERVATION_STATUS_BY_EVENT)})
      ORDER BY e.event_date_ms DESC, e.seq DESC LIMIT 1), 'pending') END) AS eff_status
    FROM reservations r LEFT JOIN workers wk ON wk.sid = r.worker_sid`;
}

export const WORKER_SELECT = `SELECT wk.*, a.friendly_name AS activity_name, a.available AS available
  FROM workers wk LEFT JOIN activities a ON a.sid = wk.activity_sid`;
