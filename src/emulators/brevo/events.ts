import type { ValidateFunction } from 'ajv';
import { isoMillis } from '../common/clock.js';
import type { BrevoContext } from './context.js';
import { isEmail } from './contactWrite.js';
import { badRequest, BrevoHttpError, notFound } from './errors.js';
import { invalidPhone, normalizePhone, type PhoneAttribute } from './phone.js';
import type { Contact, EventIdentifiers, StoredEvent } from './types.js';
import { check } from './validation.js';

/** brevo.md §5: event_properties ≤ 50 KB per event; batch ≤ 200 events and ≤ 512 KB per request. */
export const MAX_EVENT_PROPERTIES_BYTES = 50 * 1024;
export const MAX_BATCH_EVENTS = 200;
export const MAX_BATCH_BYTES = 512 * 1024;

interface EventBody {
  event_name: string;
  event_date?: string;
  identifiers: EventIdentifiers;
  contact_properties?: Record<string, unknown>;
  event_properties?: Record<string, unknown>;
  object?: unknown;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const PHONE_IDS: [keyof EventIdentifiers, PhoneAttribute][] = [
  ['phone_id', 'SMS'],
  ['whatsapp_id', 'WHATSAPP'],
  ['landline_number_id', 'LANDLINE_NUMBER'],
];

/** Checks beyond the JSON schema (the schema's own checks run first when spec validation is on). */
function checkEvent(raw: unknown, validate: ValidateFunction | undefined, prefix: string): EventBody {
  check(validate, raw, prefix);
  const p = prefix ? `${prefix}.` : '';
  const b = raw as EventBody;
  if (typeof b !== 'object' || b === null) throw badRequest(`${prefix || 'body'} must be an object`);
  if (typeof b.event_name !== 'string' || !NAME_RE.test(b.event_name)) {
    throw badRequest(`${p}event_name must be 1-255 characters: alphanumeric, - and _ only`);
  }
  const ids = b.identifiers ?? {};
  const known = (['email_id', 'phone_id', 'whatsapp_id', 'landline_number_id', 'ext_id'] as const).filter((k) => typeof ids[k] === 'string' && ids[k] !== '');
  if (known.length === 0 && !Number.isInteger(ids.contact_id)) throw badRequest(`${p}identifiers must contain at least one identifier`, 'missing_parameter');
  if (ids.email_id !== undefined && !isEmail(String(ids.email_id))) throw badRequest(`${p}identifiers.email_id is not a valid email address`);
  for (const [k, attr] of PHONE_IDS) if (ids[k] !== undefined && !normalizePhone(String(ids[k]))) throw invalidPhone(attr);
  if (b.event_date !== undefined && (!ISO_RE.test(b.event_date) || Number.isNaN(Date.parse(b.event_date)))) {
    throw badRequest(`${p}event_date must be an ISO 8601 date-time`);
  }
  if (b.event_properties !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(b.event_properties));
    if (size > MAX_EVENT_PROPERTIES_BYTES) throw badRequest(`${p}event_properties must not exceed 50 KB (got ${size} bytes)`, 'out_of_range');
    const bad = Object.keys(b.event_properties).find((k) => !NAME_RE.test(k));
    if (bad !== undefined) throw badRequest(`${p}event_properties key "${bad.slice(0, 50)}" must be 1-255 characters: alphanumeric, - and _ only`);
  }
  return b;
}

/** Events endpoints and the contact resolution behind them. */
export function registerEventRoutes(ctx: BrevoContext, specValidation: boolean, itemValidator: () => ValidateFunction): void {
  const { store, writer } = ctx;

  const findContact = (ids: EventIdentifiers): Contact | undefined => {
    // "When present, [contact_id] takes priority over all other identifiers" (brevo.md §5.1)
    if (ids.contact_id !== undefined) return store.get(ids.contact_id);
    if (ids.email_id) {
      const c = store.findByEmail(ids.email_id);
      if (c) return c;
    }
    for (const [k, attr] of PHONE_IDS) {
      const e164 = ids[k] ? normalizePhone(String(ids[k])) : undefined;
      const c = e164 ? store.findByPhone(attr, e164) : undefined;
      if (c) return c;
    }
    return ids.ext_id ? store.findByExtId(ids.ext_id) : undefined;
  };

  /**
   * Unknown contact: with `createContactOnUnknownEvent` (default true; Brevo does not document it, brevo.md §10.2)
   * the contact is created from the identifiers; otherwise 404 document_not_found. A bare unknown contact_id is
   * always a 404 (ids are Brevo's to assign).
   */
  const accept = (b: EventBody, via: StoredEvent['via'], endpoint: string): void => {
    const ids = b.identifiers;
    let c = findContact(ids);
    if (!c) {
      if (ids.contact_id !== undefined || !ctx.createContactOnUnknownEvent) throw notFound('Contact does not exist');
      const attrs: Record<string, unknown> = {};
      for (const [k, attr] of PHONE_IDS) if (ids[k]) attrs[attr] = ids[k];
      const p = writer.prepare({ email: ids.email_id, ext_id: ids.ext_id, attributes: attrs }, { checkLists: false });
      c = writer.create(p, endpoint);
    }
    if (b.contact_properties && Object.keys(b.contact_properties).length) {
      const p = writer.prepare({ attributes: b.contact_properties }, { phoneErrors: 'ignore', checkLists: false });
      // an identifier value owned by another contact cannot be taken over by an event: ignored, and logged
      const target = c;
      for (const o of writer.owners(p).filter((x) => x.contact.id !== target.id)) {
        if (o.name === 'email') delete p.email;
        else if (o.name === 'ext_id') delete p.ext_id;
        else delete p.phones[o.name];
        p.ignored.push({ name: o.name === 'email' ? 'EMAIL' : o.name === 'ext_id' ? 'EXT_ID' : o.name, value: b.contact_properties[o.name], reason: 'duplicate_identifier' });
      }
      writer.apply(c, p, endpoint);
    }
    const receivedAt = isoMillis(ctx.clock.nowMs());
    store.events.push({
      event_name: b.event_name,
      identifiers: ids,
      event_date: b.event_date ?? receivedAt,
      ...(b.contact_properties ? { contact_properties: b.contact_properties } : {}),
      ...(b.event_properties ? { event_properties: b.event_properties } : {}),
      ...(b.object !== undefined ? { object: b.object } : {}),
      receivedAt,
      contactId: c.id,
      via,
    });
  };

  ctx.route('POST', '/events', ({ body, endpoint }) => {
    // the pipeline already validated the body against the spec (when on)
    accept(checkEvent(body ?? {}, undefined, ''), 'single', endpoint);
    return { status: 204 };
  });

  /** `POST /events/batch` (brevo.md §5.2): 202 when all valid, 207 with a per-event breakdown, 400 when none is. */
  ctx.route('POST', '/events/batch', ({ body, rawBody, endpoint }) => {
    const size = Buffer.byteLength(rawBody);
    if (size > MAX_BATCH_BYTES) throw badRequest(`Request body must not exceed 512 KB (got ${size} bytes)`, 'out_of_range');
    const events = (body as { events?: unknown } | undefined)?.events;
    if (!Array.isArray(events) || events.length === 0) throw badRequest('events is missing', 'missing_parameter');
    if (events.length > MAX_BATCH_EVENTS) throw badRequest(`events must contain at most ${MAX_BATCH_EVENTS} items`, 'out_of_range');
    const validate = specValidation ? itemValidator() : undefined;
    const failures = new Map<string, number[]>();
    events.forEach((raw, i) => {
      try {
        accept(checkEvent(raw, validate, `events[${i}]`), 'batch', endpoint);
      } catch (e) {
        if (!(e instanceof BrevoHttpError)) throw e;
        const msg = e.body.message.replace(/^events\[\d+\]\.?\s*/, '');
        failures.set(msg, [...(failures.get(msg) ?? []), i]);
      }
    });
    const failed = [...failures.values()].reduce((n, ix) => n + ix.length, 0);
    if (failed === 0) {
      return { status: 202, body: { message: 'Batch accepted. Valid events have been added to the processing queue.', count: events.length } };
    }
    const errors = [...failures.entries()].map(([message, eventIndex]) => ({ eventIndex, message }));
    if (failed === events.length) {
      const first = errors[0] as { message: string; eventIndex: number[] };
      throw badRequest(`All events failed validation: ${first.message} (eventIndex ${first.eventIndex.join(',')})`);
    }
    return {
      status: 207,
      body: { status: 'partial_success', total_events: events.length, successful_events: events.length - failed, failed_events: failed, errors },
    };
  });
}
