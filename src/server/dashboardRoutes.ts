/**
 * The support dashboard: the built front end (dashboard/ → dist/dashboard) at `/`, and its read-only JSON API
 * `GET /api/dashboard/{summary,queues,agents,csat,channels,health}?since=&until=&queue=&by=` (figures from
 * src/analytics, the same as `tajo report --json`). When the server is bound to anything but a loopback address, the
 * API requires `server.dashboard_token` (Bearer or `?token=`); without a configured token it refuses every call.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SwrCache } from '../analytics/cache.js';
import { flexBaseUrlOf, readVendorClock, VendorClock } from '../analytics/clock.js';
import { BudgetHistory, syncHealth } from '../analytics/health.js';
import { buildReport } from '../analytics/report.js';
import { parseRange } from '../analytics/time.js';
import type { Report, Section } from '../analytics/types.js';
import type { TajoConfig } from '../config/schema.js';
import { TajoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BudgetSnapshot } from '../engine/budget.js';
import type { Store } from '../store/store.js';
import { installErrorHandling, replyError } from './httpErrors.js';
import { bearerKey } from './keys.js';

export interface DashboardDeps {
  store: Store;
  config: TajoConfig;
  logger?: Logger;
  connectorId?: string;
  /** Vendor rate budgets, sampled every `budgetSampleMs` for the health view. */
  budgets?: () => BudgetSnapshot[];
  /** Built front end (default: dist/dashboard of this package). */
  dashboardDir?: string;
  /**
   * The clock of the figures' "now" and relative ranges (`since=7d`). Default: the vendors' clock, as the sync reads
   * it (an emulator's world clock for a connector installed with --emulator; src/analytics/clock.ts), read once and
   * again at most every `clockRefreshMs`.
   */
  now?: () => number;
  clockRefreshMs?: number;
  /** How long a computed figure is served without recomputing (stale-while-revalidate; 0 = compute every call). */
  freshMs?: number;
  budgetSampleMs?: number;
}

const SECTIONS: Record<string, Section[]> = {
  summary: ['summary', 'timeline'],
  queues: ['queues'],
  agents: ['agents'],
  csat: ['csat'],
  channels: ['channels'],
};

const Query = z.object({
  since: z.string().max(64).optional(),
  until: z.string().max(64).optional(),
  queue: z.string().max(200).optional(),
  by: z.enum(['day', 'hour']).optional(),
  token: z.string().max(512).optional(),
});

/** Content types of the built dashboard's files (also under `/dashboard/`, ./dashboard.ts). */
export const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.map': 'application/json',
};

/** Sent with every dashboard file, wherever it is mounted. */
export const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** dist/dashboard next to the compiled server (dist/server), or from the sources (src/server → ../../dist/dashboard). */
export function defaultDashboardDir(): string | undefined {
  for (const rel of ['../dashboard/', '../../dist/dashboard/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whether the server listens only on loopback (not listening = in-process `inject`). */
function loopbackOnly(app: FastifyInstance): boolean {
  const a = app.server.address();
  if (a === null || typeof a === 'string') return true;
  return a.address.startsWith('127.') || a.address === '::1' || a.address.startsWith('::ffff:127.');
}

function checkToken(app: FastifyInstance, config: TajoConfig, req: FastifyRequest, queryToken: string | undefined): void {
  if (loopbackOnly(app)) return;
  const expected = config.server.dashboard_token;
  if (!expected) throw new TajoError('TAJO_DASHBOARD_TOKEN', 'The dashboard API is disabled on a non-localhost address until server.dashboard_token is set');
  const given = bearerKey(req.headers.authorization) ?? queryToken;
  if (!given || !timingSafeEqual(digest(given), digest(expected))) throw new TajoError('TAJO_DASHBOARD_TOKEN');
}

async function sendFile(reply: FastifyReply, root: string, rel: string, immutable: boolean): Promise<FastifyReply> {
  const file = resolve(join(root, rel));
  if (!file.startsWith(root + sep) && file !== root) return replyError(reply, 'TAJO_ROUTE_NOT_FOUND');
  try {
    if (!(await stat(file)).isFile()) return replyError(reply, 'TAJO_ROUTE_NOT_FOUND');
    const body = await readFile(file);
    return reply
      .type(TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .headers(PAGE_HEADERS)
      .send(body);
  } catch {
    return replyError(reply, 'TAJO_ROUTE_NOT_FOUND');
  }
}

const NOT_BUILT = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tajo dashboard</title></head><body><main><h1>Tajo dashboard</h1>'
  + '<p>The dashboard front end is not built. Run <code>npm run build</code> (it builds <code>dashboard/</code> into <code>dist/dashboard</code>).</p>'
  + '<p>The JSON API is available at <code>/api/dashboard/summary</code>.</p></main></body></html>';

/** Registers `/`, `/assets/*` and `/api/dashboard/*` on `app`. */
export function registerDashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const connectorId = deps.connectorId ?? 'twilio-flex';
  const now = deps.now ?? Date.now;
  const vendorClock = deps.now
    ? undefined
    : new VendorClock(async () => readVendorClock(await flexBaseUrlOf(deps.store, deps.config, connectorId)), {
      ...(deps.clockRefreshMs !== undefined ? { refreshMs: deps.clockRefreshMs } : {}),
      onWarning: (message) => deps.logger?.warn(message),
    });
  /** "now" of the figures and of health's cursor lag (health's outbox ages and budget pauses stay wall-clock: real waits). */
  const figuresNow = async (): Promise<() => number> => {
    if (!vendorClock) return now;
    await vendorClock.ready();
    return () => vendorClock.now();
  };
  const cfg = deps.config.connectors.twilio_flex;
  const cache = new SwrCache<unknown>({ freshMs: deps.freshMs ?? 2000, now, onError: (err) => deps.logger?.warn({ err }, 'dashboard refresh failed') });
  const history = deps.budgets ? new BudgetHistory(deps.budgets) : undefined;
  if (history) {
    // rates are per wall-clock second, whatever clock the figures use
    history.sample(Date.now());
    const timer = setInterval(() => history.sample(Date.now()), deps.budgetSampleMs ?? 10_000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }

  const dir = deps.dashboardDir ?? defaultDashboardDir();
  const root = dir ? resolve(dir) : undefined;
  app.get('/', async (_req, reply) =>
    root ? sendFile(reply, root, 'index.html', false) : reply.code(503).type('text/html; charset=utf-8').headers(PAGE_HEADERS).send(NOT_BUILT));
  app.get('/assets/*', async (req, reply) => {
    if (!root) return replyError(reply, 'TAJO_ROUTE_NOT_FOUND');
    return sendFile(reply, root, join('assets', (req.params as { '*'?: string })['*'] ?? ''), true);
  });

  app.get('/api/dashboard/:section', async (req, reply) => {
    const parsed = Query.safeParse(req.query ?? {});
    if (!parsed.success) throw new TajoError('TAJO_WEBHOOK_MALFORMED', 'invalid query: since, until, queue, by (day|hour), token');
    const q = parsed.data;
    checkToken(app, deps.config, req, q.token);
    const section = (req.params as { section: string }).section;
    reply.header('cache-control', 'no-store');
    if (section === 'health') {
      const vendorNow = await figuresNow();
      return cache.get('health', () => syncHealth(deps.store, connectorId, now(), history, vendorNow()));
    }
    const sections = SECTIONS[section];
    if (!sections) return replyError(reply, 'TAJO_ROUTE_NOT_FOUND', `No dashboard section ${section.slice(0, 40)}: summary, queues, agents, csat, channels, health`);
    const reportNow = await figuresNow();
    const range = parseRange(q.since, q.until, reportNow());
    const key = JSON.stringify([section, q.since ?? null, q.until ?? null, q.queue ?? null, q.by ?? 'day']);
    return cache.get(key, async (): Promise<Report> => {
      const report = await buildReport(deps.store, connectorId, {
        ...range, nowMs: reportNow(), ...(q.queue ? { queue: q.queue } : {}), by: q.by ?? 'day', sections,
        serviceLevelSeconds: cfg.service_level_seconds, lowScoreThreshold: cfg.csat_low_score_threshold, defaultPhoneRegion: cfg.default_phone_region,
      });
      if (section === 'agents') delete report.agents;
      return report;
    });
  });
}

export interface DashboardServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** `tajo dashboard`: a server with only the dashboard and its read API (plus /healthz). */
export async function startDashboardServer(deps: DashboardDeps & { host?: string; port?: number; logger: Logger }): Promise<DashboardServer> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), routerOptions: { ignoreTrailingSlash: true } });
  installErrorHandling(app, deps.logger, undefined, true);
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerDashboardRoutes(app, deps);
  const host = deps.host ?? deps.config.server.host;
  await app.listen({ host, port: deps.port ?? deps.config.server.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  if (!loopbackOnly(app) && !deps.config.server.dashboard_token) deps.logger.warn('dashboard bound to a non-localhost address without server.dashboard_token: the API refuses every call');
  return { app, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => app.close() };
}
