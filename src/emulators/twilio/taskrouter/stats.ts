import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Env } from '../env.js';
import { HttpError } from '../errors.js';
import { route, type RouteTable } from '../gate.js';
import { queryOf } from '../paging.js';
import { listResponse, notFoundError, params, requireWorkspace, trBase } from './common.js';
import { eventWindow } from './events.js';
import { wsUrl, type QueueRow } from './render.js';
import { activityStatistics, queueCumulative, queueRealtime, workerCumulative, type StatsScope } from './statsCompute.js';

function channelName(env: Env, raw: string | null): string | null {
  if (!raw) return null;
  if (!raw.startsWith('TC')) return raw;
  const row = env.db.prepare('SELECT unique_name FROM task_channels WHERE sid = ?').get(raw) as { unique_name: string } | undefined;
  return row?.unique_name ?? raw;
}

/** Statistics windows: StartDate/EndDate/Minutes (default: the last 15 minutes), like Events. */
function scopeOf(env: Env, req: FastifyRequest): StatsScope {
  const q = queryOf(req);
  const nowMs = env.clock.nowMs();
  return { db: env.db, window: eventWindow(q, nowMs, Number.MAX_SAFE_INTEGER / 2), channel: channelName(env, q.get('TaskChannel')) };
}

function splitBy(q: URLSearchParams): number[] | null {
  const raw = q.get('SplitByWaitTime');
  if (!raw) return null;
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isFinite(v) || v < 0)) throw new HttpError(400, 20001, `Invalid SplitByWaitTime: ${raw}`);
  return values;
}

function requireQueue(env: Env, req: FastifyRequest): string {
  const sid = params(req).TaskQueueSid ?? '';
  if (!env.db.prepare('SELECT 1 FROM task_queues WHERE sid = ?').get(sid)) throw notFoundError(req);
  return sid;
}

export function registerStats(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  const WS = '/v1/Workspaces/:WorkspaceSid';
  const common = (_req: FastifyRequest): Record<string, unknown> => ({ account_sid: env.info.accountSid, workspace_sid: env.info.workspaceSid });

  route(scope, routes, 'GET', `${WS}/Workers/:WorkerSid/Statistics`, (req) => {
    requireWorkspace(env, req);
    const wk = params(req).WorkerSid ?? '';
    if (!env.db.prepare('SELECT 1 FROM workers WHERE sid = ?').get(wk)) throw notFoundError(req);
    return {
      ...common(req),
      cumulative: workerCumulative(scopeOf(env, req), wk),
      worker_sid: wk,
      url: `${wsUrl(trBase(req), env)}/Workers/${wk}/Statistics`,
    };
  });

  route(scope, routes, 'GET', `${WS}/Workers/CumulativeStatistics`, (req) => {
    requireWorkspace(env, req);
    return { ...common(req), ...workerCumulative(scopeOf(env, req), null), url: `${wsUrl(trBase(req), env)}/Workers/CumulativeStatistics` };
  });

  route(scope, routes, 'GET', `${WS}/Workers/RealTimeStatistics`, (req) => {
    requireWorkspace(env, req);
    const acts = activityStatistics(env.db, null);
    return { ...common(req), activity_statistics: acts.stats, total_workers: acts.total, url: `${wsUrl(trBase(req), env)}/Workers/RealTimeStatistics` };
  });

  route(scope, routes, 'GET', `${WS}/TaskQueues/:TaskQueueSid/CumulativeStatistics`, (req) => {
    requireWorkspace(env, req);
    const wq = requireQueue(env, req);
    return {
      ...common(req),
      ...queueCumulative(scopeOf(env, req), wq, splitBy(queryOf(req))),
      task_queue_sid: wq,
      url: `${wsUrl(trBase(req), env)}/TaskQueues/${wq}/CumulativeStatistics`,
    };
  });

  route(scope, routes, 'GET', `${WS}/TaskQueues/:TaskQueueSid/RealTimeStatistics`, (req) => {
    requireWorkspace(env, req);
    const wq = requireQueue(env, req);
    const ch = channelName(env, queryOf(req).get('TaskChannel'));
    return {
      ...common(req),
      ...queueRealtime(env.db, wq, env.clock.nowMs(), env.taskRetentionMs, ch),
      task_queue_sid: wq,
      url: `${wsUrl(trBase(req), env)}/TaskQueues/${wq}/RealTimeStatistics`,
    };
  });

  route(scope, routes, 'GET', `${WS}/TaskQueues/:TaskQueueSid/Statistics`, (req) => {
    requireWorkspace(env, req);
    const wq = requireQueue(env, req);
    const s = scopeOf(env, req);
    return {
      ...common(req),
      cumulative: queueCumulative(s, wq, splitBy(queryOf(req))),
      realtime: queueRealtime(env.db, wq, env.clock.nowMs(), env.taskRetentionMs, s.channel),
      task_queue_sid: wq,
      url: `${wsUrl(trBase(req), env)}/TaskQueues/${wq}/Statistics`,
    };
  });

  route(scope, routes, 'GET', `${WS}/TaskQueues/Statistics`, (req) => {
    requireWorkspace(env, req);
    const q = queryOf(req);
    const s = scopeOf(env, req);
    const split = splitBy(q);
    const where: string[] = [];
    const p: unknown[] = [];
    const name = q.get('FriendlyName');
    if (name) {
      where.push('x.friendly_name = ?');
      p.push(name);
    }
    return listResponse<QueueRow>(
      env,
      req,
      'task_queues_statistics',
      {
        select: 'SELECT x.* FROM task_queues x',
        where,
        params: p,
        order: [
          { expr: 'x.date_created_ms', key: 'date_created_ms', dir: 'asc' },
          { expr: 'x.sid', key: 'sid', dir: 'asc' },
        ],
      },
      (r) => ({
        ...common(req),
        cumulative: queueCumulative(s, r.sid, split),
        realtime: queueRealtime(env.db, r.sid, env.clock.nowMs(), env.taskRetentionMs, s.channel),
        task_queue_sid: r.sid,
      }),
    );
  });
}
