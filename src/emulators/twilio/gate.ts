import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultRule } from '../common/faults.js';
import type { Env } from './env.js';
import { codeForStatus, HttpError, messageForStatus, notFound, sendError } from './errors.js';
import { PRODUCT_PREFIX, type TwilioProduct } from './types.js';

const HOLD_MAX_REAL_MS = 10 * 60_000;

/** Form bodies (`application/x-www-form-urlencoded`): repeated keys become arrays. */
export type FormBody = Record<string, string | string[]>;

export function parseForm(raw: string): FormBody {
  const out: FormBody = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function credentialsOk(env: Env, header: string | undefined): boolean {
  // The auth scheme name is case-insensitive (RFC 7617): `basic …` is as good as `Basic …`.
  if (!header || !/^basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return false;
  const user = decoded.slice(0, i);
  const pass = decoded.slice(i + 1);
  const c = env.creds;
  return (user === c.accountSid && pass === c.authToken) || (user === c.apiKeySid && pass === c.apiKeySecret);
}

function instant(s: string | undefined, startMs: number, dflt: number): number {
  if (s === undefined) return dflt;
  if (/^\+\d+(\.\d+)?$/.test(s)) return startMs + Number(s.slice(1)) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? dflt : t;
}

/**
 * `flexDisabled` rules, checked here because rule paths are matched against the path without the product
 * prefix (`/v1/Configuration`), while FaultInjector.decide only recognises Flex by a `/flex-api` prefix.
 */
function flexDisabled(env: Env, method: string, sub: string, nowMs: number): boolean {
  return env.faults.current().rules.some(
    (r: FaultRule) =>
      r.flexDisabled === true &&
      (r.vendor === 'twilio' || r.vendor === 'any') &&
      (!r.method || r.method.toUpperCase() === method) &&
      (!r.path || new RegExp(r.path).test(sub) || new RegExp(r.path).test(PRODUCT_PREFIX.flex + sub)) &&
      nowMs >= instant(r.from, env.clock.startMs, -Infinity) &&
      nowMs <= instant(r.to, env.clock.startMs, Infinity),
  );
}

/** `GET /taskrouter/v1/Workspaces/{WorkspaceSid}/Tasks` */
export function endpointKey(req: FastifyRequest, product: TwilioProduct): string {
  const pattern = req.routeOptions.url;
  if (!pattern || pattern.endsWith('*')) return `${req.method} ${PRODUCT_PREFIX[product]} (unmatched)`;
  return `${req.method} ${pattern.replace(/:([A-Za-z]+)/g, '{$1}')}`;
}

/** A route pattern list, to answer 405 on a known path with an unsupported method. */
export class RouteTable {
  private readonly entries: { method: string; re: RegExp }[] = [];

  add(method: string, url: string): void {
    const re = new RegExp(`^${url.replace(/:[A-Za-z]+/g, '[^/]+')}/?$`);
    this.entries.push({ method, re });
  }

  methodsFor(path: string): string[] {
    return this.entries.filter((e) => e.re.test(path)).map((e) => e.method);
  }
}

/**
 * Installs, in a product's encapsulated scope: the form parser, the request pipeline (faults → auth →
 * Flex enabled → budget), counting, the Twilio-shaped error handler and 404/405 answers.
 */
export function route(
  scope: FastifyInstance,
  routes: RouteTable,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  handler: (req: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  routes.add(method, url);
  scope.route({ method, url, handler: async (req, reply) => handler(req, reply) });
}

export function installGate(scope: FastifyInstance, env: Env, product: TwilioProduct, routes: RouteTable): void {
  const prefix = PRODUCT_PREFIX[product];
  // Twilio reads POST parameters from form-encoded bodies only (the specs' request bodies are
  // application/x-www-form-urlencoded): a JSON or other body carries no parameters, so a required one is missing.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(typeof body === 'string' ? body : body.toString('utf8')));
  });
  scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) => done(null, {}));

  scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = endpointKey(req, product);
    env.log.request(key);
    const path = req.url.split('?')[0] ?? '';
    const sub = path.startsWith(prefix) ? path.slice(prefix.length) : path;
    const nowMs = env.clock.nowMs();
    const action = env.faults.decide('twilio', req.method, sub, nowMs);
    if (action.kind === 'timeout') {
      env.log.answer(key, 'timeout');
      reply.hijack();
      await new Promise<void>((resolve) => {
        const release = (): void => {
          env.held.delete(release);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(release, HOLD_MAX_REAL_MS);
        timer.unref();
        env.held.add(release);
        req.raw.socket.once('close', release);
      });
      reply.raw.destroy();
      return reply;
    }
    if (action.latencyMs > 0) await sleep(env.clock.toRealMs(action.latencyMs));
    if (action.kind === 'status') {
      if (action.status === 429) {
        if (action.retryAfterSeconds) void reply.header('Retry-After', String(action.retryAfterSeconds));
        return sendError(reply, 429, 20429, 'Too Many Requests');
      }
      if (action.status === 403 && action.reason === 'flex_disabled') return sendError(reply, 403, 20403, 'Flex is not enabled for this account');
      return sendError(reply, action.status, codeForStatus(action.status), messageForStatus(action.status));
    }
    if (!credentialsOk(env, req.headers.authorization)) {
      void reply.header('WWW-Authenticate', 'Basic realm="Twilio API"');
      return sendError(reply, 401, 20003, 'Authenticate');
    }
    if (product === 'flex' && flexDisabled(env, req.method, sub, nowMs)) {
      return sendError(reply, 403, 20403, 'Flex is not enabled for this account');
    }
    const budget = env.budgets.take(product, req.method, sub);
    if (!budget.allowed) {
      const ra = env.faults.retryAfterFor('twilio');
      if (ra !== undefined) void reply.header('Retry-After', String(ra));
      return sendError(reply, 429, 20429, 'Too Many Requests');
    }
    return undefined;
  });

  scope.addHook('onResponse', async (req, reply) => {
    env.log.answer(endpointKey(req, product), reply.statusCode);
  });

  scope.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.status, err.code, err.message);
    const status = (err as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(reply, status, 20001, (err as Error).message);
    }
    return sendError(reply, 500, 20500, 'Internal Server Error');
  });

  scope.setNotFoundHandler((req, reply) => {
    const path = (req.url.split('?')[0] ?? '').slice(prefix.length);
    const methods = routes.methodsFor(path);
    if (methods.length > 0 && !methods.includes(req.method)) {
      void reply.header('Allow', [...new Set(methods)].join(', '));
      return sendError(reply, 405, 20004, 'Method not allowed');
    }
    return notFound(reply, path);
  });
}
