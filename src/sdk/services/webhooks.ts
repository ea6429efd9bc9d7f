/**
 * `tajo connectors webhooks`: register a Twilio Event Streams webhook sink pointing at `tajo serve`
 * (`<publicUrl>/webhooks/twilio/event-streams`) and a subscription to the events Tajo reads (twilio.md §5).
 * Idempotent: a sink with the same destination and its subscription are reused.
 */
import { TajoError } from '../../core/errors.js';
import { latestSinkTest } from '../../engine/ingest/sinkHandshake.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, WebhooksParams, WebhooksReport } from '../types.js';
import { twilioFailure } from './checks.js';
import { loadConnection } from './connection.js';
import { twilioGet, twilioSend, type ProbeResponse } from './vendorProbe.js';

/** TaskRouter task/reservation life cycle and the Conversations facts Tajo derives from. */
export const DEFAULT_EVENT_TYPES = [
  ...['task.created', 'task.updated', 'task.canceled', 'task.completed', 'task.wrapup', 'task-queue.entered', 'task-queue.moved'].map((t) => `com.twilio.taskrouter.${t}`),
  ...['reservation.created', 'reservation.accepted', 'reservation.rejected', 'reservation.timeout', 'reservation.wrapup', 'reservation.completed'].map((t) => `com.twilio.taskrouter.${t}`),
  'com.twilio.taskrouter.worker.activity.update',
  ...['conversation-state.updated', 'conversation.updated', 'message.added', 'participant.added'].map((t) => `com.twilio.conversations.${t}`),
];

export const EVENT_STREAMS_PATH = '/webhooks/twilio/event-streams';

function fail(r: ProbeResponse, what: string): TajoError {
  const f = twilioFailure(r, what);
  const code = r.status === 401 ? 'TAJO_TWILIO_AUTH' : r.status === 403 ? 'TAJO_TWILIO_FORBIDDEN' : r.status === 0 || r.status >= 500 ? 'TAJO_TWILIO_UNAVAILABLE' : 'TAJO_TWILIO_BAD_RESPONSE';
  return new TajoError(code, f.cause, { hint: f.fix });
}

interface Sink {
  sid: string;
  status: string;
  sink_configuration?: { destination?: string };
}

export async function webhooks(ctx: SdkContext, id: ConnectorId, p: WebhooksParams): Promise<WebhooksReport> {
  const conn = await loadConnection(ctx, id);
  let base: URL;
  try {
    base = new URL(p.publicUrl);
  } catch {
    throw new TajoError('TAJO_USAGE', `--public-url is not a URL: ${p.publicUrl}`);
  }
  const sinkUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}${EVENT_STREAMS_PATH}`;
  // The sink may carry the Basic credentials `tajo serve` expects (server.sink_basic_auth).
  const auth = ctx.config.server.sink_basic_auth;
  const destination = auth ? sinkUrl.replace('://', `://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@`) : sinkUrl;
  const get = (path: string) => twilioGet(conn.creds, conn.baseUrls, 'events', path);
  const send = (method: string, path: string, form: URLSearchParams) => twilioSend(method, conn.creds, conn.baseUrls, 'events', path, form);
  const types = p.eventTypes?.length ? [...new Set(p.eventTypes)] : DEFAULT_EVENT_TYPES;
  // before anything is created: a type the Events API does not know would be refused (or never delivered)
  if (p.eventTypes?.length) {
    const known = new Set((await listAll<{ type: string }>(get, '/v1/Types?PageSize=1000', 'types', 'Event Streams types')).map((t) => t.type));
    const unknown = types.filter((t) => !known.has(t));
    if (unknown.length) {
      throw new TajoError('TAJO_USAGE', `Unknown Event Streams event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
        details: unknown.map((t) => ({ path: 'eventTypes', message: `${t} is not among the Events API's types (GET /v1/Types)` })),
        hint: 'use full type names, e.g. com.twilio.taskrouter.task.completed (leave --event-types out for the ones Tajo reads)',
      });
    }
  }

  const listed = await get('/v1/Sinks?PageSize=100');
  if (listed.status !== 200) throw fail(listed, 'Event Streams sinks');
  let sink = ((listed.json as { sinks?: Sink[] })?.sinks ?? []).find((s) => s.sink_configuration?.destination === destination);
  const sinkCreated = !sink;
  if (!sink) {
    const created = await send('POST', '/v1/Sinks', new URLSearchParams({ Description: 'Tajo', SinkType: 'webhook', SinkConfiguration: JSON.stringify({ destination, method: 'POST', batch_events: true }) }));
    if (created.status !== 201 && created.status !== 200) throw fail(created, 'Creating the Event Streams sink');
    sink = created.json as Sink;
  }
  if (sink.status !== 'active') {
    // Twilio sends a test event to the sink; `tajo serve` acknowledges it and records its test_id in the store
    // (engine/ingest/sinkHandshake.ts); the sink becomes active once that test_id is validated.
    const store = await ctx.store();
    const testedMs = Date.now() - 1_000;
    const test = await send('POST', `/v1/Sinks/${sink.sid}/Test`, new URLSearchParams());
    if (test.status !== 201 && test.status !== 200) throw fail(test, 'Testing the Event Streams sink');
    const until = Date.now() + (p.activationWaitSeconds ?? 10) * 1000;
    const validated = new Set<string>();
    while (sink.status !== 'active' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      const rec = await latestSinkTest(store, conn.id);
      if (rec && rec.receivedMs >= testedMs && !validated.has(rec.testId)) {
        validated.add(rec.testId);
        const v = await send('POST', `/v1/Sinks/${sink.sid}/Validate`, new URLSearchParams({ TestId: rec.testId }));
        if (v.status !== 201 && v.status !== 200) throw fail(v, 'Validating the Event Streams sink');
      }
      const r = await get(`/v1/Sinks/${sink.sid}`);
      if (r.status === 200) sink = r.json as Sink;
    }
  }
  const report: WebhooksReport = { sinkSid: sink.sid, sinkStatus: sink.status, sinkCreated, subscriptionCreated: false, sinkUrl, eventTypes: types };
  if (sink.status !== 'active') return report;

  const subs = await get(`/v1/Subscriptions?SinkSid=${sink.sid}&PageSize=100`);
  if (subs.status !== 200) throw fail(subs, 'Event Streams subscriptions');
  const existing = ((subs.json as { subscriptions?: { sid: string }[] })?.subscriptions ?? [])[0];
  if (existing) return { ...report, subscriptionSid: existing.sid, ...(await alignTypes(get, send, existing.sid, types)) };
  const form = new URLSearchParams({ Description: 'Tajo', SinkSid: sink.sid });
  for (const type of types) form.append('Types', JSON.stringify({ type, schema_version: 1 }));
  const created = await send('POST', '/v1/Subscriptions', form);
  if (created.status !== 201 && created.status !== 200) throw fail(created, 'Creating the Event Streams subscription');
  return { ...report, subscriptionSid: (created.json as { sid: string }).sid, subscriptionCreated: true };
}

type Get = (path: string) => Promise<ProbeResponse>;
type Send = (method: string, path: string, form: URLSearchParams) => Promise<ProbeResponse>;

/** Every item of a Twilio list, following `meta.next_page_url` (its path from `/v1/` on, against the events base URL). */
async function listAll<T>(get: Get, first: string, key: string, what: string): Promise<T[]> {
  const out: T[] = [];
  for (let path: string | undefined = first, pages = 0; path && pages < 100; pages++) {
    const r = await get(path);
    if (r.status !== 200) throw fail(r, what);
    const body = r.json as Record<string, unknown> & { meta?: { next_page_url?: string | null } };
    out.push(...((body[key] as T[] | undefined) ?? []));
    const next = body.meta?.next_page_url;
    if (!next) break;
    const u = new URL(next);
    const at = u.pathname.indexOf('/v1/');
    path = at >= 0 ? `${u.pathname.slice(at)}${u.search}` : undefined;
  }
  return out;
}

/**
 * An existing subscription is brought in line with the wanted types (Subscriptions/{sid}/SubscribedEvents): missing
 * ones added first, then the others removed, so the subscription never goes without types. What the report says is
 * registered is then what Twilio holds.
 */
async function alignTypes(get: Get, send: Send, subSid: string, wanted: readonly string[]): Promise<Pick<WebhooksReport, 'eventTypes' | 'eventTypesAdded' | 'eventTypesRemoved'>> {
  const base = `/v1/Subscriptions/${subSid}/SubscribedEvents`;
  const current = (await listAll<{ type: string }>(get, `${base}?PageSize=1000`, 'types', 'Event Streams subscribed events')).map((t) => t.type);
  const added = wanted.filter((t) => !current.includes(t));
  const removed = current.filter((t) => !wanted.includes(t));
  for (const type of added) {
    const r = await send('POST', base, new URLSearchParams({ Type: type, SchemaVersion: '1' }));
    if (r.status !== 201 && r.status !== 200) throw fail(r, `Subscribing to ${type}`);
  }
  for (const type of removed) {
    const r = await send('DELETE', `${base}/${encodeURIComponent(type)}`, new URLSearchParams());
    if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw fail(r, `Unsubscribing from ${type}`);
  }
  return { eventTypes: [...wanted], eventTypesAdded: added, eventTypesRemoved: removed };
}
