import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isoSeconds } from '../../common/clock.js';
import type { Env } from '../env.js';
import { route, type RouteTable } from '../gate.js';
import { arrayPage, envelope, parsePaging, queryOf, type OrderCol } from '../paging.js';
import { selfPath } from '../env.js';
import { listResponse, notFoundError, params, parseBoolParam, requireWorkspace, trBase, TASKROUTER_MAX_PAGE } from './common.js';
import { compileExpression } from './expression.js';
import {
  renderActivity,
  renderChannel,
  renderQueue,
  renderWorker,
  renderWorkflow,
  wsUrl,
  type ActivityRow,
  type ChannelRow,
  type QueueRow,
  type WorkerRow,
  type WorkflowRow,
} from './render.js';
import { WORKER_SELECT } from './sql.js';

const byCreated = (alias: string): OrderCol[] => [
  { expr: `${alias}.date_created_ms`, key: 'date_created_ms', dir: 'asc' },
  { expr: `${alias}.sid`, key: 'sid', dir: 'asc' },
];

function renderWorkspace(env: Env, req: FastifyRequest): Record<string, unknown> {
  const base = trBase(req);
  const ws = wsUrl(base, env);
  const created = env.db.prepare('SELECT MIN(date_created_ms) AS m FROM activities').get() as { m: number | null };
  const offline = env.db.prepare("SELECT sid, friendly_name FROM activities WHERE available = 0 ORDER BY (friendly_name = 'Offline') DESC, date_created_ms LIMIT 1").get() as
    | { sid: string; friendly_name: string }
    | undefined;
  const dateCreated = isoSeconds(created.m ?? env.clock.startMs);
  return {
    account_sid: env.info.accountSid,
    date_created: dateCreated,
    date_updated: dateCreated,
    default_activity_name: offline?.friendly_name ?? null,
    default_activity_sid: offline?.sid ?? null,
    event_callback_url: null,
    events_filter: null,
    friendly_name: env.info.workspaceName,
    multi_task_enabled: true,
    sid: env.info.workspaceSid,
    timeout_activity_name: offline?.friendly_name ?? null,
    timeout_activity_sid: offline?.sid ?? null,
    prioritize_queue_order: 'FIFO',
    url: ws,
    links: {
      activities: `${ws}/Activities`,
      events: `${ws}/Events`,
      statistics: `${ws}/Statistics`,
      task_channels: `${ws}/TaskChannels`,
      task_queues: `${ws}/TaskQueues`,
      tasks: `${ws}/Tasks`,
      workers: `${ws}/Workers`,
      workflows: `${ws}/Workflows`,
      cumulative_statistics: `${ws}/CumulativeStatistics`,
      real_time_statistics: `${ws}/RealTimeStatistics`,
    },
  };
}

export function registerResources(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  const WS = '/v1/Workspaces/:WorkspaceSid';

  route(scope, routes, 'GET', '/v1/Workspaces', (req) => {
    const q = queryOf(req);
    const page = parsePaging(q, TASKROUTER_MAX_PAGE);
    const name = q.get('FriendlyName');
    const all = name && name !== env.info.workspaceName ? [] : [renderWorkspace(env, req)];
    const res = arrayPage(all, page);
    return envelope('workspaces', res.rows, selfPath(req), q, page, res);
  });
  route(scope, routes, 'GET', '/v1/Workspaces/:WorkspaceSid', (req) => {
    requireWorkspace(env, req);
    return renderWorkspace(env, req);
  });

  const simple = <T extends Record<string, unknown>>(
    path: string,
    table: string,
    key: string,
    render: (r: T, base: string) => unknown,
    filters: [string, string][] = [],
  ): void => {
    route(scope, routes, 'GET', `${WS}/${path}`, (req) => {
      requireWorkspace(env, req);
      const q = queryOf(req);
      const where: string[] = [];
      const p: unknown[] = [];
      for (const [name, col] of filters) {
        const v = q.get(name);
        if (v === null || v === '') continue;
        where.push(`${col} = ?`);
        p.push(col.endsWith('available') ? (parseBoolParam(v) ? 1 : 0) : v);
      }
      const base = trBase(req);
      return listResponse<T>(env, req, key, { select: `SELECT x.* FROM ${table} x`, where, params: p, order: byCreated('x') }, (r) => render(r, base));
    });
    route(scope, routes, 'GET', `${WS}/${path}/:Sid`, (req) => {
      requireWorkspace(env, req);
      const row = env.db.prepare(`SELECT * FROM ${table} WHERE sid = ?`).get(params(req).Sid) as T | undefined;
      if (!row) throw notFoundError(req);
      return render(row, trBase(req));
    });
  };

  simple<ActivityRow>('Activities', 'activities', 'activities', (r, b) => renderActivity(r, b, env), [
    ['FriendlyName', 'x.friendly_name'],
    ['Available', 'x.available'],
  ]);
  simple<ChannelRow>('TaskChannels', 'task_channels', 'channels', (r, b) => renderChannel(r, b, env));
  const defaultQueue = (): string | null =>
    (env.db.prepare('SELECT sid FROM task_queues ORDER BY date_created_ms, sid LIMIT 1').get() as { sid: string } | undefined)?.sid ?? null;
  simple<WorkflowRow>('Workflows', 'workflows', 'workflows', (r, b) => renderWorkflow(r, b, env, defaultQueue()), [['FriendlyName', 'x.friendly_name']]);
  simple<QueueRow>('TaskQueues', 'task_queues', 'task_queues', (r, b) => renderQueue(r, b, env), [['FriendlyName', 'x.friendly_name']]);

  route(scope, routes, 'GET', `${WS}/Workers`, (req) => {
    requireWorkspace(env, req);
    const q = queryOf(req);
    const where: string[] = [];
    const p: unknown[] = [];
    const eq: [string, string][] = [
      ['ActivitySid', 'wk.activity_sid'],
      ['ActivityName', 'a.friendly_name'],
      ['FriendlyName', 'wk.friendly_name'],
    ];
    for (const [name, col] of eq) {
      const v = q.get(name);
      if (v) {
        where.push(`${col} = ?`);
        p.push(v);
      }
    }
    const available = parseBoolParam(q.get('Available'));
    if (available !== null) where.push(available ? 'a.available = 1' : 'COALESCE(a.available, 0) = 0');
    const target = q.get('TargetWorkersExpression');
    if (target) {
      const c = compileExpression(target, 'wk.attributes');
      where.push(c.sql);
      p.push(...c.params);
    }
    // Workers eligible for a queue: the queue's target_workers expression, evaluated on worker attributes.
    const queueSid = q.get('TaskQueueSid');
    const queueName = q.get('TaskQueueName');
    if (queueSid || queueName) {
      const queue = env.db
        .prepare(`SELECT target_workers FROM task_queues WHERE ${queueSid ? 'sid' : 'friendly_name'} = ?`)
        .get(queueSid ?? queueName) as { target_workers: string } | undefined;
      if (!queue) where.push('0');
      else {
        try {
          const c = compileExpression(queue.target_workers || '1==1', 'wk.attributes');
          where.push(c.sql);
          p.push(...c.params);
        } catch {
          // An expression outside the supported subset: every worker counts as eligible.
        }
      }
    }
    const base = trBase(req);
    return listResponse<WorkerRow>(env, req, 'workers', { select: WORKER_SELECT, where, params: p, order: byCreated('wk') }, (r) =>
      renderWorker(r, base, env, false),
    );
  });

  route(scope, routes, 'GET', `${WS}/Workers/:Sid`, (req) => {
    requireWorkspace(env, req);
    const row = env.db.prepare(`${WORKER_SELECT} WHERE wk.sid = ?`).get(params(req).Sid) as WorkerRow | undefined;
    if (!row) throw notFoundError(req);
    return renderWorker(row, trBase(req), env, true);
  });
}
