import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isoMillis, isoSeconds } from '../common/clock.js';
import { productBase, selfPath, type Env } from './env.js';
import { HttpError } from './errors.js';
import { EVENT_TYPES } from './eventTypes.js';
import { formOf, newSid, required, str } from './flex.js';
import { route, type RouteTable } from './gate.js';
import { arrayPage, envelope, parsePaging, queryOf } from './paging.js';
import { jsonDelivery, send } from './push/deliver.js';
import { listResponse, params, parseBoolParam } from './taskrouter/common.js';

const EVENTS_MAX_PAGE = 1000;
const TYPES_EPOCH_MS = Date.UTC(2020, 7, 13, 13, 28, 20);

export interface SinkRow { sid: string; description: string; sink_type: string; sink_configuration: string; status: string; date_created_ms: number; date_updated_ms: number; [k: string]: unknown }
export interface SubscriptionRow { sid: string; sink_sid: string; description: string; types: string; date_created_ms: number; date_updated_ms: number; [k: string]: unknown }

export interface SubscribedType { type: string; schema_version: number }

export function parseTypes(raw: string): SubscribedType[] {
  try {
    return JSON.parse(raw) as SubscribedType[];
  } catch {
    return [];
  }
}

/** A type `GET /v1/Types` lists; anything else is refused, as Twilio refuses a subscription to an unknown type. */
function knownType(type: string): string {
  if (!EVENT_TYPES.some((t) => t.type === type)) throw new HttpError(400, 20001, `Invalid event type: ${type}`);
  return type;
}

const notFound = (req: FastifyRequest): HttpError => new HttpError(404, 20404, `The requested resource ${req.url.split('?')[0] ?? ''} was not found`);

/** Event Streams (`https://events.twilio.com/v1/…`): Sinks (with the Test/Validate handshake), Subscriptions, Types. */
export function registerEventStreams(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  const base = (req: FastifyRequest): string => `${productBase(req, 'events')}/v1`;
  /** Pending sink tests: sink SID → test id sent to the sink. */
  const tests = new Map<string, string>();

  const renderSink = (r: SinkRow, b: string): Record<string, unknown> => {
    let cfg: unknown = null;
    try {
      cfg = JSON.parse(r.sink_configuration) as unknown;
    } catch {
      cfg = null;
    }
    return {
      date_created: isoSeconds(r.date_created_ms),
      date_updated: isoSeconds(r.date_updated_ms),
      description: r.description,
      sid: r.sid,
      sink_configuration: cfg,
      sink_type: r.sink_type,
      status: r.status,
      url: `${b}/Sinks/${r.sid}`,
      links: { sink_test: `${b}/Sinks/${r.sid}/Test`, sink_validate: `${b}/Sinks/${r.sid}/Validate` },
    };
  };
  const findSink = (req: FastifyRequest): SinkRow => {
    const row = env.db.prepare('SELECT * FROM sinks WHERE sid = ?').get(params(req).Sid) as SinkRow | undefined;
    if (!row) throw notFound(req);
    return row;
  };

  route(scope, routes, 'POST', '/v1/Sinks', (req, reply: FastifyReply) => {
    const p = required(formOf(req), ['Description', 'SinkConfiguration', 'SinkType']);
    if (!['kinesis', 'webhook', 'segment', 'email'].includes(p.SinkType ?? '')) throw new HttpError(400, 20001, `Invalid SinkType: ${p.SinkType ?? ''}`);
    let cfg: unknown;
    try {
      cfg = JSON.parse(p.SinkConfiguration ?? '') as unknown;
    } catch {
      throw new HttpError(400, 20001, 'SinkConfiguration must be JSON');
    }
    // "The information required for Twilio to connect to the provided Sink encoded as JSON": an object (arn, destination, write_key…).
    if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new HttpError(400, 20001, 'SinkConfiguration must be a JSON object');
    const destination = (cfg as { destination?: unknown }).destination;
    if (p.SinkType === 'webhook' && (typeof destination !== 'string' || !/^https?:\/\//.test(destination))) {
      throw new HttpError(400, 20001, 'SinkConfiguration.destination must be an http(s) URL');
    }
    const nowMs = env.clock.nowMs();
    const row: SinkRow = { sid: newSid('DG'), description: p.Description ?? '', sink_type: p.SinkType ?? '', sink_configuration: JSON.stringify(cfg), status: 'initialized', date_created_ms: nowMs, date_updated_ms: nowMs };
    env.db
      .prepare('INSERT INTO sinks (sid, description, sink_type, sink_configuration, status, date_created_ms, date_updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(row.sid, row.description, row.sink_type, row.sink_configuration, row.status, row.date_created_ms, row.date_updated_ms);
    return reply.code(201).send(renderSink(row, base(req)));
  });

  route(scope, routes, 'GET', '/v1/Sinks', (req) => {
    const q = queryOf(req);
    const where: string[] = [];
    const p: unknown[] = [];
    const status = q.get('Status');
    if (status) {
      where.push('s.status = ?');
      p.push(status);
    }
    const inUse = parseBoolParam(q.get('InUse'));
    if (inUse !== null) where.push(`${inUse ? '' : 'NOT '}EXISTS (SELECT 1 FROM subscriptions x WHERE x.sink_sid = s.sid)`);
    const b = base(req);
    return listResponse<SinkRow>(env, req, 'sinks', { select: 'SELECT s.* FROM sinks s', where, params: p, order: [{ expr: 's.date_created_ms', key: 'date_created_ms', dir: 'asc' }, { expr: 's.sid', key: 'sid', dir: 'asc' }] }, (r) => renderSink(r, b), EVENTS_MAX_PAGE);
  });

  route(scope, routes, 'GET', '/v1/Sinks/:Sid', (req) => renderSink(findSink(req), base(req)));

  route(scope, routes, 'POST', '/v1/Sinks/:Sid', (req) => {
    const sink = findSink(req);
    const description = required(formOf(req), ['Description']).Description ?? '';
    env.db.prepare('UPDATE sinks SET description = ?, date_updated_ms = ? WHERE sid = ?').run(description, env.clock.nowMs(), sink.sid);
    return renderSink(findSink(req), base(req));
  });

  route(scope, routes, 'DELETE', '/v1/Sinks/:Sid', (req, reply: FastifyReply) => {
    const sink = findSink(req);
    if (env.db.prepare('SELECT 1 FROM subscriptions WHERE sink_sid = ?').get(sink.sid)) throw new HttpError(400, 20001, 'Sink is in use by a subscription');
    env.db.prepare('DELETE FROM sinks WHERE sid = ?').run(sink.sid);
    return reply.code(204).send();
  });

  // Test: sends `com.twilio.eventstreams.test-event` with a fresh `test_id` to a webhook sink (signed like any delivery).
  route(scope, routes, 'POST', '/v1/Sinks/:Sid/Test', async (req, reply: FastifyReply) => {
    const sink = findSink(req);
    const testId = randomUUID();
    tests.set(sink.sid, testId);
    env.db.prepare("UPDATE sinks SET status = 'validating', date_updated_ms = ? WHERE sid = ?").run(env.clock.nowMs(), sink.sid);
    const cfg = JSON.parse(sink.sink_configuration) as { destination?: string };
    if (sink.sink_type === 'webhook' && cfg.destination) {
      const event = {
        specversion: '1.0',
        type: 'com.twilio.eventstreams.test-event',
        source: 'Sink',
        id: env.info.accountSid,
        dataschema: 'https://events-schemas.twilio.com/EventStreams.TestSink/1.json',
        datacontenttype: 'application/json',
        time: isoMillis(env.clock.nowMs()),
        data: { test_id: testId },
      };
      void send(jsonDelivery(env.creds.authToken, cfg.destination, [event]), { timeoutMs: 5000, maxRetries: 2, backoffMs: 100 });
    }
    return reply.code(201).send({ result: 'submitted' });
  });

  route(scope, routes, 'POST', '/v1/Sinks/:Sid/Validate', (req, reply: FastifyReply) => {
    const sink = findSink(req);
    const testId = required(formOf(req), ['TestId']).TestId;
    const valid = tests.get(sink.sid) === testId;
    env.db.prepare('UPDATE sinks SET status = ?, date_updated_ms = ? WHERE sid = ?').run(valid ? 'active' : 'failed', env.clock.nowMs(), sink.sid);
    if (valid) tests.delete(sink.sid);
    return reply.code(201).send({ result: valid ? 'valid' : 'invalid' });
  });

  const renderSub = (r: SubscriptionRow, b: string): Record<string, unknown> => ({
    account_sid: env.info.accountSid,
    sid: r.sid,
    date_created: isoSeconds(r.date_created_ms),
    date_updated: isoSeconds(r.date_updated_ms),
    description: r.description,
    sink_sid: r.sink_sid,
    url: `${b}/Subscriptions/${r.sid}`,
    links: { subscribed_events: `${b}/Subscriptions/${r.sid}/SubscribedEvents` },
  });
  const findSub = (req: FastifyRequest, key = 'Sid'): SubscriptionRow => {
    const row = env.db.prepare('SELECT * FROM subscriptions WHERE sid = ?').get(params(req)[key]) as SubscriptionRow | undefined;
    if (!row) throw notFound(req);
    return row;
  };

  route(scope, routes, 'POST', '/v1/Subscriptions', (req, reply: FastifyReply) => {
    const form = formOf(req);
    const p = required(form, ['Description', 'SinkSid']);
    const rawTypes = form.Types;
    const list = rawTypes === undefined ? [] : Array.isArray(rawTypes) ? rawTypes : [rawTypes];
    if (list.length === 0) throw new HttpError(400, 20001, 'Missing required parameter Types in the post body');
    const types: SubscribedType[] = list.map((t) => {
      let o: { type?: unknown; schema_version?: unknown } | null;
      try {
        o = JSON.parse(t) as { type?: unknown; schema_version?: unknown } | null;
      } catch {
        throw new HttpError(400, 20001, `Invalid Types entry: ${t}`);
      }
      if (typeof o !== 'object' || o === null || typeof o.type !== 'string') throw new HttpError(400, 20001, `Invalid Types entry: ${t}`);
      return { type: knownType(o.type), schema_version: typeof o.schema_version === 'number' ? o.schema_version : 1 };
    });
    const sink = env.db.prepare('SELECT * FROM sinks WHERE sid = ?').get(p.SinkSid) as SinkRow | undefined;
    if (!sink) throw new HttpError(400, 20001, `Sink ${p.SinkSid ?? ''} not found`);
    // Spec: "Sink must be active for the subscription to be created."
    if (sink.status !== 'active') throw new HttpError(400, 20001, `Sink ${sink.sid} is not active`);
    const nowMs = env.clock.nowMs();
    const row: SubscriptionRow = { sid: newSid('DF'), sink_sid: sink.sid, description: p.Description ?? '', types: JSON.stringify(types), date_created_ms: nowMs, date_updated_ms: nowMs };
    env.db
      .prepare('INSERT INTO subscriptions (sid, sink_sid, description, types, date_created_ms, date_updated_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.sid, row.sink_sid, row.description, row.types, row.date_created_ms, row.date_updated_ms);
    return reply.code(201).send(renderSub(row, base(req)));
  });

  route(scope, routes, 'GET', '/v1/Subscriptions', (req) => {
    const sinkSid = queryOf(req).get('SinkSid');
    const b = base(req);
    return listResponse<SubscriptionRow>(
      env,
      req,
      'subscriptions',
      { select: 'SELECT s.* FROM subscriptions s', where: sinkSid ? ['s.sink_sid = ?'] : [], params: sinkSid ? [sinkSid] : [], order: [{ expr: 's.date_created_ms', key: 'date_created_ms', dir: 'asc' }, { expr: 's.sid', key: 'sid', dir: 'asc' }] },
      (r) => renderSub(r, b),
      EVENTS_MAX_PAGE,
    );
  });
  route(scope, routes, 'GET', '/v1/Subscriptions/:Sid', (req) => renderSub(findSub(req), base(req)));
  route(scope, routes, 'POST', '/v1/Subscriptions/:Sid', (req) => {
    const sub = findSub(req);
    const description = str(formOf(req), 'Description');
    if (description !== undefined) env.db.prepare('UPDATE subscriptions SET description = ?, date_updated_ms = ? WHERE sid = ?').run(description, env.clock.nowMs(), sub.sid);
    return renderSub(findSub(req), base(req));
  });
  route(scope, routes, 'DELETE', '/v1/Subscriptions/:Sid', (req, reply: FastifyReply) => {
    env.db.prepare('DELETE FROM subscriptions WHERE sid = ?').run(findSub(req).sid);
    return reply.code(204).send();
  });
  const renderSubscribed = (sub: SubscriptionRow, t: SubscribedType, b: string): Record<string, unknown> => ({
    account_sid: env.info.accountSid,
    type: t.type,
    schema_version: t.schema_version,
    subscription_sid: sub.sid,
    url: `${b}/Subscriptions/${sub.sid}/SubscribedEvents/${t.type}`,
  });
  const saveTypes = (sub: SubscriptionRow, types: SubscribedType[]): void => {
    env.db.prepare('UPDATE subscriptions SET types = ?, date_updated_ms = ? WHERE sid = ?').run(JSON.stringify(types), env.clock.nowMs(), sub.sid);
  };
  const schemaVersionOf = (form: ReturnType<typeof formOf>): number | undefined => {
    const raw = str(form, 'SchemaVersion');
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new HttpError(400, 20001, `Invalid SchemaVersion: ${raw}`);
    return n;
  };
  route(scope, routes, 'GET', '/v1/Subscriptions/:SubscriptionSid/SubscribedEvents', (req) => {
    const sub = findSub(req, 'SubscriptionSid');
    const q = queryOf(req);
    const page = parsePaging(q, EVENTS_MAX_PAGE);
    const b = base(req);
    const all = parseTypes(sub.types).map((t) => renderSubscribed(sub, t, b));
    const res = arrayPage(all, page);
    return envelope('types', res.rows, selfPath(req), q, page, res);
  });
  // Spec: CreateSubscribedEvent answers 201 (added) or 200; here 200 when the type was already subscribed (its schema
  // version updated when one is given).
  route(scope, routes, 'POST', '/v1/Subscriptions/:SubscriptionSid/SubscribedEvents', (req, reply: FastifyReply) => {
    const sub = findSub(req, 'SubscriptionSid');
    const form = formOf(req);
    const type = knownType(required(form, ['Type']).Type ?? '');
    const version = schemaVersionOf(form);
    const types = parseTypes(sub.types);
    const existing = types.find((t) => t.type === type);
    if (existing && version !== undefined) existing.schema_version = version;
    const row = existing ?? { type, schema_version: version ?? 1 };
    if (!existing) types.push(row);
    saveTypes(sub, types);
    return reply.code(existing ? 200 : 201).send(renderSubscribed(sub, row, base(req)));
  });
  const findSubscribed = (req: FastifyRequest): { sub: SubscriptionRow; types: SubscribedType[]; t: SubscribedType } => {
    const sub = findSub(req, 'SubscriptionSid');
    const types = parseTypes(sub.types);
    const t = types.find((x) => x.type === params(req).Type);
    if (!t) throw notFound(req);
    return { sub, types, t };
  };
  route(scope, routes, 'GET', '/v1/Subscriptions/:SubscriptionSid/SubscribedEvents/:Type', (req) => {
    const { sub, t } = findSubscribed(req);
    return renderSubscribed(sub, t, base(req));
  });
  route(scope, routes, 'POST', '/v1/Subscriptions/:SubscriptionSid/SubscribedEvents/:Type', (req) => {
    const { sub, types, t } = findSubscribed(req);
    const version = schemaVersionOf(formOf(req));
    if (version !== undefined) {
      t.schema_version = version;
      saveTypes(sub, types);
    }
    return renderSubscribed(sub, t, base(req));
  });
  route(scope, routes, 'DELETE', '/v1/Subscriptions/:SubscriptionSid/SubscribedEvents/:Type', (req, reply: FastifyReply) => {
    const { sub, types, t } = findSubscribed(req);
    saveTypes(sub, types.filter((x) => x !== t));
    return reply.code(204).send();
  });

  const renderType = (t: (typeof EVENT_TYPES)[number], b: string): Record<string, unknown> => ({
    type: t.type,
    schema_id: t.schemaId,
    date_created: isoSeconds(TYPES_EPOCH_MS),
    date_updated: isoSeconds(TYPES_EPOCH_MS),
    description: t.description,
    status: 'available',
    documentation_url: null,
    url: `${b}/Types/${t.type}`,
    links: { schema: `${b}/Schemas/${t.schemaId}/Versions` },
  });
  route(scope, routes, 'GET', '/v1/Types', (req) => {
    const q = queryOf(req);
    const page = parsePaging(q, EVENTS_MAX_PAGE);
    const schemaId = q.get('SchemaId');
    const b = base(req);
    const all = EVENT_TYPES.filter((t) => !schemaId || t.schemaId === schemaId).map((t) => renderType(t, b));
    const res = arrayPage(all, page);
    return envelope('types', res.rows, selfPath(req), q, page, res);
  });
  route(scope, routes, 'GET', '/v1/Types/:Type', (req) => {
    const t = EVENT_TYPES.find((x) => x.type === params(req).Type);
    if (!t) throw notFound(req);
    return renderType(t, base(req));
  });
}
