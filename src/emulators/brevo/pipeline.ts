import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorClock } from '../common/clock.js';
import type { FaultInjector } from '../common/faults.js';
import type { LimitDecision } from '../common/rateLimit.js';
import { checkApiKey } from './auth.js';
import { BrevoHttpError, type BrevoErrorBody } from './errors.js';
import { bucketFor, type BrevoBucket, type BrevoLimits } from './limits.js';
import type { RequestLog } from './requestLog.js';
import type { BrevoSpec } from './spec.js';
import { check, parseJsonBody } from './validation.js';

export interface BrevoRequest {
  method: string;
  /** Spec path template, e.g. `/contacts/{identifier}`. */
  template: string;
  /** `METHOD template`, the request-log key. */
  endpoint: string;
  /** Path and query parameters, coerced to the spec's types. */
  params: Record<string, unknown>;
  body: unknown;
  rawBody: string;
}

export interface BrevoReply {
  status: number;
  body?: unknown;
}

export type BrevoHandler = (req: BrevoRequest) => BrevoReply | Promise<BrevoReply>;

export interface PipelineDeps {
  apiKey: string;
  clock: EmulatorClock;
  faults: FaultInjector | undefined;
  limits: BrevoLimits;
  log: RequestLog;
  spec: BrevoSpec;
  specValidation: boolean;
  prefix: string;
  /** Real milliseconds a "timeout" fault holds the socket before dropping it. */
  timeoutHoldMs: number;
  held: Set<() => void>;
}

const TOO_MANY: BrevoErrorBody = { code: 'too_many_requests', message: 'The expected rate limit is exceeded.' };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function relativePath(url: string, prefix: string): string {
  const path = url.split('?')[0] ?? '';
  return path.startsWith(prefix) ? path.slice(prefix.length) || '/' : path;
}

function send(deps: PipelineDeps, reply: FastifyReply, endpoint: string, d: LimitDecision, r: BrevoReply, retryAfter?: number): FastifyReply {
  deps.log.record(endpoint, r.status);
  reply.header('x-sib-ratelimit-limit', String(d.limit));
  reply.header('x-sib-ratelimit-remaining', String(Math.max(0, d.remaining)));
  reply.header('x-sib-ratelimit-reset', String(d.resetSeconds));
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  reply.code(r.status);
  if (r.body === undefined || r.status === 204) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(r.body));
}

/** "Timeout" fault: never answer; drop the socket when the client gives up or after `timeoutHoldMs`. */
function hold(deps: PipelineDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.hijack();
  return new Promise((resolve) => {
    const socket = request.raw.socket;
    const release = () => {
      clearTimeout(timer);
      deps.held.delete(release);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(release, deps.timeoutHoldMs);
    deps.held.add(release);
    socket.once('close', release);
  });
}

/**
 * One request through the emulated Brevo edge, in this order: fault injection (outages answer before auth), api-key
 * auth (401s spend no budget), rate-limit budget, JSON parsing, spec validation of parameters and body, handler.
 * Every answer carries `x-sib-ratelimit-*`; 429s carry no Retry-After unless a fault rule sets `retryAfterSeconds`.
 */
export async function runPipeline(
  deps: PipelineDeps,
  method: string,
  template: string | undefined,
  handler: BrevoHandler,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | void> {
  const rel = relativePath(request.url, deps.prefix);
  const endpoint = template ? `${method} ${template}` : `${method} (unknown path)`;
  const bucket: BrevoBucket = bucketFor(method, rel);
  if (deps.faults) {
    const a = deps.faults.decide('brevo', method, `/v3${rel}`, deps.clock.nowMs());
    if (a.kind === 'timeout') {
      deps.log.fault('timeout');
      deps.log.record(endpoint, 'timeout');
      return hold(deps, request, reply);
    }
    if (a.latencyMs > 0) await sleep(deps.clock.toRealMs(a.latencyMs));
    if (a.kind === 'status') {
      deps.log.fault(a.reason);
      const body: BrevoErrorBody =
        a.status === 429
          ? TOO_MANY
          : a.status >= 500
            ? { code: 'internal_error', message: a.reason === 'outage' ? 'Service unavailable' : 'Internal server error' }
            : { code: 'permission_denied', message: 'Request refused' };
      return send(deps, reply, endpoint, deps.limits.peek(bucket), { status: a.status, body }, a.status === 429 ? a.retryAfterSeconds : undefined);
    }
  }
  try {
    checkApiKey(request.headers['api-key'], deps.apiKey);
  } catch (e) {
    return send(deps, reply, endpoint, deps.limits.peek(bucket), { status: 401, body: (e as BrevoHttpError).body });
  }
  const decision = deps.limits.take(bucket);
  if (!decision.allowed) {
    deps.log.rateLimited(bucket);
    return send(deps, reply, endpoint, decision, { status: 429, body: TOO_MANY }, deps.faults?.retryAfterFor('brevo'));
  }
  let result: BrevoReply;
  try {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const params: Record<string, unknown> = { ...(request.query as Record<string, unknown>), ...(request.params as Record<string, unknown>) };
    if (template) {
      for (const name of deps.spec.arrayParams(method, template)) {
        const v = params[name];
        if (typeof v === 'string') params[name] = v.split(',').filter(Boolean);
      }
      const pv = deps.spec.paramsValidator(method, template);
      // the coercing validator also converts path/query strings to the spec's types
      if (pv && !pv(params) && deps.specValidation) check(pv, params);
    }
    const body = parseJsonBody(rawBody);
    if (template && deps.specValidation) check(deps.spec.requestValidator(method, template), body ?? {});
    result = await handler({ method, template: template ?? rel, endpoint, params, body, rawBody });
  } catch (e) {
    if (!(e instanceof BrevoHttpError)) throw e;
    result = { status: e.status, body: e.body };
  }
  return send(deps, reply, endpoint, decision, result);
}

export function fastifyPath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, ':$1');
}

/** Register one spec operation on the encapsulated (prefixed) instance. */
export function registerRoute(app: FastifyInstance, deps: PipelineDeps, method: string, template: string, handler: BrevoHandler): void {
  app.route({ method, url: fastifyPath(template), handler: (req, reply) => runPipeline(deps, method, template, handler, req, reply) });
}

/** Unknown paths → 404, known path with another method → 405 (errorModel bodies). */
export function registerFallbacks(app: FastifyInstance, deps: PipelineDeps, templates: () => { method: string; template: string }[]): void {
  const patterns = () =>
    templates().map((t) => ({ ...t, re: new RegExp(`^${t.template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}/?$`) }));
  app.setNotFoundHandler((request, reply) => {
    const method = request.method.toUpperCase();
    const rel = relativePath(request.url, deps.prefix);
    const known = patterns().some((p) => p.re.test(rel));
    return runPipeline(deps, method, undefined, () => {
      if (known) throw new BrevoHttpError(405, { code: 'method_not_allowed', message: `${method} Method is not allowed on this path` });
      throw new BrevoHttpError(404, { code: 'document_not_found', message: 'Invalid route' });
    }, request, reply);
  });
  // framework-level failures (body over the parser limit, …): still Brevo-shaped, still with budget headers
  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const body: BrevoErrorBody = status >= 500 ? { code: 'internal_error', message: 'Internal server error' } : { code: 'invalid_parameter', message: error.message ?? 'Invalid request' };
    const d = deps.limits.peek(bucketFor(request.method, relativePath(request.url, deps.prefix)));
    return send(deps, reply, `${request.method.toUpperCase()} (error)`, d, { status, body });
  });
}
