import type { FastifyInstance } from 'fastify';
import type { Env } from '../env.js';
import { HttpError } from '../errors.js';
import { route, type RouteTable } from '../gate.js';
import { queryOf, type OrderCol } from '../paging.js';
import { listResponse, notFoundError, params, parseBoolParam, parseIntParam, requireWorkspace, trBase } from './common.js';
import { renderReservation, renderTask, type ReservationRow, type TaskRow } from './render.js';
import { reservationSelect, taskSelect, taskStatusExpr, taskVisible } from './sql.js';
import { compileExpression } from './expression.js';

const ORDER_FIELDS: Record<string, string> = {
  DateCreated: 't.date_created_ms',
  VirtualStartTime: 't.date_created_ms',
  Priority: 't.priority',
};

/** `Ordering=Priority:desc,DateCreated:asc` (default ascending DateCreated); the SID breaks ties. */
function taskOrdering(raw: string | null): OrderCol[] {
  const cols: OrderCol[] = [];
  if (raw) {
    const seen = new Set<string>();
    for (const part of raw.split(',')) {
      const [attr = '', dir = 'asc'] = part.trim().split(':');
      const expr = ORDER_FIELDS[attr];
      const d = dir.toLowerCase();
      if (!expr || (d !== 'asc' && d !== 'desc')) throw new HttpError(400, 20001, `Invalid Ordering: ${raw}`);
      if (seen.has(expr)) throw new HttpError(400, 20001, 'DateCreated and VirtualStartTime cannot be combined');
      seen.add(expr);
      cols.push({ expr, key: expr.slice(2), dir: d });
    }
  }
  if (!cols.some((c) => c.expr === 't.date_created_ms')) cols.push({ expr: 't.date_created_ms', key: 'date_created_ms', dir: 'asc' });
  cols.push({ expr: 't.sid', key: 'sid', dir: 'asc' });
  return cols;
}

export function registerTasks(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  const WS = '/v1/Workspaces/:WorkspaceSid';

  route(scope, routes, 'GET', `${WS}/Tasks`, (req) => {
    requireWorkspace(env, req);
    const q = queryOf(req);
    const now = env.clock.nowMs();
    const where = [taskVisible(now, env.taskRetentionMs)];
    const p: unknown[] = [];
    const priority = parseIntParam('Priority', q.get('Priority'));
    if (priority !== null) {
      where.push('t.priority = ?');
      p.push(priority);
    }
    const statuses = q.getAll('AssignmentStatus').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    if (statuses.length) {
      where.push(`${taskStatusExpr(now)} IN (${statuses.map(() => '?').join(', ')})`);
      p.push(...statuses);
    }
    const eq: [string, string][] = [
      ['WorkflowSid', 't.workflow_sid'],
      ['WorkflowName', 'w.friendly_name'],
      ['TaskQueueSid', 't.task_queue_sid'],
      ['TaskQueueName', 'q.friendly_name'],
    ];
    for (const [name, col] of eq) {
      const v = q.get(name);
      if (v) {
        where.push(`${col} = ?`);
        p.push(v);
      }
    }
    const expr = q.get('EvaluateTaskAttributes');
    if (expr) {
      const c = compileExpression(expr, 't.attributes');
      where.push(c.sql);
      p.push(...c.params);
    }
    // Emulated tasks carry no add-ons: HasAddons=true matches nothing.
    if (parseBoolParam(q.get('HasAddons')) === true) where.push('0');
    const base = trBase(req);
    return listResponse<TaskRow>(
      env,
      req,
      'tasks',
      { select: taskSelect(now), where, params: p, order: taskOrdering(q.get('Ordering')) },
      (r) => renderTask(r, base, env, false),
    );
  });

  route(scope, routes, 'GET', `${WS}/Tasks/:Sid`, (req) => {
    requireWorkspace(env, req);
    const now = env.clock.nowMs();
    const row = env.db
      .prepare(`${taskSelect(now)} WHERE t.sid = ? AND ${taskVisible(now, env.taskRetentionMs)}`)
      .get(params(req).Sid) as TaskRow | undefined;
    if (!row) throw notFoundError(req);
    return renderTask(row, trBase(req), env, true);
  });

  const taskExists = (sid: string | undefined): boolean => {
    const now = env.clock.nowMs();
    return env.db.prepare(`SELECT 1 FROM tasks t WHERE t.sid = ? AND ${taskVisible(now, env.taskRetentionMs)}`).get(sid) !== undefined;
  };

  route(scope, routes, 'GET', `${WS}/Tasks/:TaskSid/Reservations`, (req) => {
    requireWorkspace(env, req);
    const { TaskSid } = params(req);
    if (!taskExists(TaskSid)) throw notFoundError(req);
    return reservationList(env, req, 'r.task_sid = ?', TaskSid ?? '');
  });

  route(scope, routes, 'GET', `${WS}/Tasks/:TaskSid/Reservations/:Sid`, (req) => {
    requireWorkspace(env, req);
    const { TaskSid, Sid } = params(req);
    if (!taskExists(TaskSid)) throw notFoundError(req);
    const row = env.db
      .prepare(`${reservationSelect(env.clock.nowMs())} WHERE r.task_sid = ? AND r.sid = ? AND r.date_created_ms <= ?`)
      .get(TaskSid, Sid, env.clock.nowMs()) as ReservationRow | undefined;
    if (!row) throw notFoundError(req);
    return renderReservation(row, trBase(req), env);
  });

  route(scope, routes, 'GET', `${WS}/Workers/:WorkerSid/Reservations`, (req) => {
    requireWorkspace(env, req);
    const { WorkerSid } = params(req);
    if (!env.db.prepare('SELECT 1 FROM workers WHERE sid = ?').get(WorkerSid)) throw notFoundError(req);
    return reservationList(env, req, 'r.worker_sid = ?', WorkerSid ?? '', true);
  });

  route(scope, routes, 'GET', `${WS}/Workers/:WorkerSid/Reservations/:Sid`, (req) => {
    requireWorkspace(env, req);
    const { WorkerSid, Sid } = params(req);
    const row = env.db
      .prepare(`${reservationSelect(env.clock.nowMs())} WHERE r.worker_sid = ? AND r.sid = ? AND r.date_created_ms <= ?`)
      .get(WorkerSid, Sid, env.clock.nowMs()) as ReservationRow | undefined;
    if (!row) throw notFoundError(req);
    return renderReservation(row, trBase(req), env, true);
  });
}

function reservationList(env: Env, req: Parameters<typeof queryOf>[0], cond: string, value: string, viaWorker = false): unknown {
  const q = queryOf(req);
  const now = env.clock.nowMs();
  const where = [cond, `r.date_created_ms <= ${Math.floor(now)}`];
  const p: unknown[] = [value];
  const status = q.get('ReservationStatus');
  if (status) {
    where.push(`(CASE WHEN r.date_updated_ms <= ${Math.floor(now)} THEN r.reservation_status ELSE 'pending' END) = ?`);
    p.push(status);
  }
  const worker = q.get('WorkerSid');
  if (worker) {
    where.push('r.worker_sid = ?');
    p.push(worker);
  }
  const base = trBase(req);
  return listResponse<ReservationRow>(
    env,
    req,
    'reservations',
    {
      select: reservationSelect(now),
      where,
      params: p,
      order: [
        { expr: 'r.date_created_ms', key: 'date_created_ms', dir: 'asc' },
        { expr: 'r.sid', key: 'sid', dir: 'asc' },
      ],
    },
    (r) => renderReservation(r, base, env, viaWorker),
  );
}
