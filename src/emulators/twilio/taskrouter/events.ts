import type { FastifyInstance } from 'fastify';
import type { Env } from '../env.js';
import { HttpError } from '../errors.js';
import { route, type RouteTable } from '../gate.js';
import { parsePaging, queryOf } from '../paging.js';
import { listResponse, notFoundError, params, parseDateParam, parseIntParam, requireWorkspace, trBase, TASKROUTER_MAX_PAGE } from './common.js';
import { renderEvent, type EventRow } from './render.js';

export const DAY_MS = 86_400_000;
export const DEFAULT_EVENT_RETENTION_MS = 30 * DAY_MS;

/**
 * The time window of an Events read. Spec: `Minutes` "Returns only Events that occurred since this many
 * minutes in the past. The default is 15 minutes"; StartDate/EndDate bound it explicitly. With only an
 * EndDate, the window is the `Minutes` before it. Always clipped to the 30-day retention and to now.
 */
export function eventWindow(q: URLSearchParams, nowMs: number, retentionMs: number): [number, number] {
  let start = parseDateParam('StartDate', q.get('StartDate'));
  let end = parseDateParam('EndDate', q.get('EndDate'));
  const minutes = parseIntParam('Minutes', q.get('Minutes')) ?? 15;
  if (minutes < 0) throw new HttpError(400, 20001, 'Invalid Minutes');
  if (end === null) end = nowMs;
  if (start === null) start = end - minutes * 60_000;
  return [Math.max(start, nowMs - retentionMs), Math.min(end, nowMs)];
}

const FILTERS: [string, string][] = [
  ['EventType', 'e.event_type'],
  ['TaskSid', 'e.task_sid'],
  ['WorkerSid', 'e.worker_sid'],
  ['TaskQueueSid', 'e.task_queue_sid'],
  ['WorkflowSid', 'e.workflow_sid'],
  ['ReservationSid', 'e.reservation_sid'],
  ['Sid', 'e.sid'],
];

export function registerEvents(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  const WS = '/v1/Workspaces/:WorkspaceSid';

  route(scope, routes, 'GET', `${WS}/Events`, (req) => {
    requireWorkspace(env, req);
    const q = queryOf(req);
    const page = parsePaging(q, TASKROUTER_MAX_PAGE);
    const nowMs = env.clock.nowMs();
    // The window is frozen into the page token, so following next_page_url reads the same window.
    const frozen = page.cursor?.x;
    const window: [number, number] =
      Array.isArray(frozen) && frozen.length === 2 ? [Number(frozen[0]), Number(frozen[1])] : eventWindow(q, nowMs, env.eventRetentionMs);
    const where = ['e.event_date_ms >= ?', 'e.event_date_ms <= ?', 'e.event_date_ms >= ?'];
    const p: unknown[] = [window[0], window[1], nowMs - env.eventRetentionMs];
    for (const [name, col] of FILTERS) {
      const v = q.get(name);
      if (v) {
        where.push(`${col} = ?`);
        p.push(v);
      }
    }
    const channel = q.get('TaskChannel');
    if (channel) {
      const unique = channel.startsWith('TC')
        ? ((env.db.prepare('SELECT unique_name FROM task_channels WHERE sid = ?').get(channel) as { unique_name: string } | undefined)?.unique_name ?? channel)
        : channel;
      where.push('e.task_channel = ?');
      p.push(unique);
    }
    const base = trBase(req);
    // Newest first (see specs/OVERRIDES.md: the order is not documented); (event_date_ms, sid) is the events_date index.
    return listResponse<EventRow>(
      env,
      req,
      'events',
      {
        select: 'SELECT e.* FROM events e',
        where,
        params: p,
        order: [
          { expr: 'e.event_date_ms', key: 'event_date_ms', dir: 'desc' },
          { expr: 'e.sid', key: 'sid', dir: 'desc' },
        ],
      },
      (r) => renderEvent(r, base, env),
      TASKROUTER_MAX_PAGE,
      page,
      window,
    );
  });

  route(scope, routes, 'GET', `${WS}/Events/:Sid`, (req) => {
    requireWorkspace(env, req);
    const nowMs = env.clock.nowMs();
    const row = env.db
      .prepare('SELECT * FROM events WHERE sid = ? AND event_date_ms <= ? AND event_date_ms >= ?')
      .get(params(req).Sid, nowMs, nowMs - env.eventRetentionMs) as EventRow | undefined;
    if (!row) throw notFoundError(req);
    return renderEvent(row, trBase(req), env);
  });
}
