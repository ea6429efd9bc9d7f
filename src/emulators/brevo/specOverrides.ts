/**
 * How the emulator turns the pristine spec copy (`specs/brevo/swagger_definition_v3.yml`, OpenAPI 3.0.1) into the
 * JSON Schemas it validates with. Two kinds of change:
 * 1. `toJsonSchema`: mechanical OpenAPI 3.0 → JSON Schema (draft-07) conversion.
 * 2. `applyBrevoOverrides`: deliberate deviations/extensions. Every one is listed, with its reason, in
 *    `specs/OVERRIDES.md` (## Brevo). Where brevo.md (docs/SDK v6) and the spec disagree, the comment says which won.
 */

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const DROPPED_KEYWORDS = new Set(['example', 'examples', 'xml', 'externalDocs', 'discriminator', 'deprecated']);

/**
 * OpenAPI 3.0 → draft-07: `nullable` → `type: [t, "null"]`; `oneOf` → `anyOf` (the spec's `oneOf` branches overlap:
 * `[]` matches both array branches of `postContactInfo`, and branches without `required` match any object; see
 * OVERRIDES.md); local `$ref`s are pointed at the registered document `brevo`. Returns a deep copy.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isObj(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROPPED_KEYWORDS.has(k) || k.startsWith('x-')) continue;
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out.$ref = `brevo${v}`;
    else if (k === 'oneOf') out.anyOf = toJsonSchema(v);
    else if (k === 'nullable') continue;
    else out[k] = toJsonSchema(v);
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

function schema(doc: Json, name: string): Json {
  const s = ((doc.components as Json).schemas as Json)[name];
  if (!isObj(s)) throw new Error(`Brevo spec: schema ${name} missing`);
  return s;
}

function props(s: Json): Json {
  if (!isObj(s.properties)) s.properties = {};
  return s.properties as Json;
}

const errorModelRef = { $ref: '#/components/schemas/errorModel' };
const json = (s: unknown) => ({ content: { 'application/json': { schema: s } } });

/** Batch events (not in the spec copy): brevo.md §5.2 and `@getbrevo/brevo` 6.0.3 types. */
const EVENTS_BATCH_PATH = {
  post: {
    operationId: 'createBatchEvents',
    requestBody: {
      required: true,
      // items are validated one by one against `event`, so that invalid items give a 207 breakdown, not a 400
      ...json({ type: 'object', required: ['events'], properties: { events: { type: 'array', minItems: 1, maxItems: 200, items: { type: 'object' } } } }),
    },
    responses: {
      '202': {
        description: 'BatchAcceptedResponse',
        ...json({ type: 'object', required: ['message', 'count'], properties: { message: { type: 'string' }, count: { type: 'integer' } } }),
      },
      '207': {
        description: 'BatchEventsResponse',
        ...json({
          type: 'object',
          required: ['status', 'total_events', 'successful_events', 'failed_events', 'errors'],
          properties: {
            status: { type: 'string' },
            total_events: { type: 'integer' },
            successful_events: { type: 'integer' },
            failed_events: { type: 'integer' },
            errors: {
              type: 'array',
              items: { type: 'object', properties: { eventIndex: { type: 'array', items: { type: 'integer' } }, message: { type: 'string' } } },
            },
          },
        }),
      },
      '400': { description: 'bad request', ...json(errorModelRef) },
      '401': { description: 'unauthorized', ...json(errorModelRef) },
    },
  },
};

/** `GET /events` (not in the spec copy): SDK v6 `GetEventsRequest` / `GetEventsList`. */
const EVENTS_GET = {
  operationId: 'getEvents',
  parameters: [
    { name: 'contact_id', in: 'query', schema: { type: 'array', items: { type: 'integer' } } },
    { name: 'event_name', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
    { name: 'object_type', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
    { name: 'startDate', in: 'query', schema: { type: 'string' } },
    { name: 'endDate', in: 'query', schema: { type: 'string' } },
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } },
    { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
  ],
  responses: {
    '200': {
      description: 'GetEventsList',
      ...json({
        type: 'object',
        required: ['count'],
        properties: {
          count: { type: 'integer' },
          events: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                contact_id: { type: 'integer' },
                event_date: { type: 'string' },
                event_name: { type: 'string' },
                event_filter_id: { type: 'string' },
                object_type: { type: 'string' },
                event_properties: { type: 'object' },
                contact_properties: { type: 'object' },
              },
            },
          },
        },
      }),
    },
    '400': { description: 'bad request', ...json(errorModelRef) },
    '401': { description: 'unauthorized', ...json(errorModelRef) },
  },
};

/** Apply the documented deviations to a parsed (raw OpenAPI) spec document, in place. */
export function applyBrevoOverrides(doc: Json): void {
  // --- events (brevo.md §5.1, SDK v6 CreateEventRequest) ---
  const event = props(schema(doc, 'event'));
  // The 255-char / [A-Za-z0-9_-] rule is only in the description; enforced here.
  Object.assign(event.event_name as Json, { minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_-]+$' });
  props(event.identifiers as Json).contact_id = { type: 'integer', format: 'int64' };
  // The description allows numbers/booleans; the schema only string|integer.
  (event.contact_properties as Json).additionalProperties = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] };
  (event.event_properties as Json).additionalProperties = {
    anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object' }, { type: 'array' }],
  };
  event.object = {
    type: 'object',
    properties: { type: { type: 'string' }, identifiers: { type: 'object', properties: { id: { type: 'string' }, ext_id: { type: 'string' } } } },
  };
  (doc.paths as Json)['/events/batch'] = EVENTS_BATCH_PATH;
  ((doc.paths as Json)['/events'] as Json).get = EVENTS_GET;

  // --- contacts (SDK v6 CreateContactRequest / UpdateContactRequest; SEMANTICS §6 for whatsappBlacklisted) ---
  Object.assign(props(schema(doc, 'createContact')), {
    forceMerge: { type: 'boolean', default: false },
    getId: { type: 'boolean', default: false },
    whatsappBlacklisted: { type: 'boolean' },
  });
  Object.assign(props(schema(doc, 'updateContact')), { forceMerge: { type: 'boolean', default: false }, whatsappBlacklisted: { type: 'boolean' } });
  const batchItem = (props(schema(doc, 'updateBatchContacts')).contacts as Json).items as Json;
  props(batchItem).whatsappBlacklisted = { type: 'boolean' };
  const details = schema(doc, 'getContactDetails');
  props(details).whatsappBlacklisted = { type: 'boolean' };
  (details.required as string[]).push('whatsappBlacklisted');

  // --- statuses the emulator answers that the spec does not declare (each explained in OVERRIDES.md) ---
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const responses = (path: string, method: string) => (paths[path]?.[method] as Json).responses as Json;
  responses('/contacts', 'post')['200'] = { description: 'updated, getId', ...json({ $ref: '#/components/schemas/createUpdateContactModel' }) };
  responses('/contacts/batch', 'post')['404'] = { description: 'No contact found for indexes', ...json(errorModelRef) };
  responses('/events', 'post')['404'] = { description: 'unknown contact (createContactOnUnknownEvent: false)', ...json(errorModelRef) };

  // --- import (SDK v6 ImportContactsRequest; ext_id on jsonBody items) ---
  const imp = props(schema(doc, 'requestContactImport'));
  imp.consentGroupIds = { type: 'array', items: { type: 'integer' } };
  props((imp.jsonBody as Json).items as Json).ext_id = { type: 'string' };

  // --- processes (SDK v6 GetProcessResponse) ---
  const proc = props(schema(doc, 'getProcess'));
  const status = proc.status as Json;
  status.enum = [...(status.enum as string[]), 'processing', 'failed', 'cancelled'];
  const nullableString = { type: 'string', nullable: true };
  const importInfoKeys = ['invalid_emails', 'duplicate_contact_id', 'duplicate_ext_id', 'duplicate_email_id', 'duplicate_phone_id', 'duplicate_whatsapp_id', 'duplicate_landline_number_id'];
  proc.info = {
    type: 'object',
    properties: { import: { type: 'object', properties: Object.fromEntries(importInfoKeys.map((k) => [k, nullableString])) } },
  };
  Object.assign(proc, { error: { type: 'string' }, created_at: { type: 'string' }, completed_at: { type: 'string' } });

  // --- attributes: the API also reports multiple-choice attributes and their options (brevo.md §3) ---
  const attrItem = props((props(schema(doc, 'getAttributes')).attributes as Json).items as Json);
  const attrType = attrItem.type as Json;
  attrType.enum = [...(attrType.enum as string[]), 'multiple-choice'];
  attrItem.multiCategoryOptions = { type: 'array', items: { type: 'string' } };

  // --- error codes used by the emulator that the spec's enum lacks (429 and injected 5xx) ---
  const code = props(schema(doc, 'errorModel')).code as Json;
  code.enum = [...(code.enum as string[]), 'too_many_requests', 'internal_error'];

  // --- paging: the spec gives `offset` no minimum; a negative one would slice a page counted from the end ---
  const components = doc.components as Json;
  for (const item of Object.values(doc.paths as Json)) {
    for (const op of Object.values(isObj(item) ? item : {})) {
      for (const raw of isObj(op) && Array.isArray(op.parameters) ? (op.parameters as Json[]) : []) {
        const ref = typeof raw.$ref === 'string' ? raw.$ref.split('/').pop() ?? '' : undefined;
        const p = ref !== undefined ? ((components.parameters as Json | undefined)?.[ref] as Json | undefined) : raw;
        if (p?.name === 'offset' && p.in === 'query' && isObj(p.schema) && p.schema.minimum === undefined) p.schema.minimum = 0;
      }
    }
  }

  // --- list membership: one identifier kind per call; ext ids are echoed back in success/failure ---
  for (const name of Object.keys((doc.components as Json).schemas as Json)) {
    if (!/^(addContactToList|removeContactFromList)By/.test(name)) continue;
    const s = schema(doc, name);
    s.required = Object.keys(props(s));
  }
  const pci = props(props(schema(doc, 'postContactInfo')).contacts as Json);
  for (const k of ['success', 'failure']) {
    for (const branch of (pci[k] as Json).oneOf as Json[]) delete (branch.items as Json).format;
  }
}
