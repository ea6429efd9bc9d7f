import { z } from 'zod';
import { TEST_EVENT_TYPE } from '../../engine/ingest/sinkHandshake.js';
import { hasSpecFields, type JsonBatchSpec } from '../../core/jsonBatch.js';
import { parseWith, text, type Parsed } from './common.validate.js';

/**
 * Event Streams webhook sink: "the body of each webhook is a JSON array of CloudEvents" (twilio.md §5).
 * A single CloudEvent object (non-batched sink) is accepted too. Envelope fields: specversion, type, source,
 * id, dataschema, datacontenttype, time, data. `datacontenttype` is not checked: Twilio's own examples put a
 * date in it (twilio.md §0.8).
 */
export const CloudEventSchema = z.looseObject({
  specversion: text(16).optional(),
  type: z.string().min(1).max(256),
  source: text(1024).optional(),
  id: z.string().min(1).max(256),
  time: text(64).optional(),
  dataschema: text(1024).optional(),
  datacontenttype: text(256).optional(),
  data: z.unknown().optional(),
});

export type CloudEvent = z.infer<typeof CloudEventSchema>;

/** CloudEvents per delivery accepted (Twilio's batches stay under 64 kB of data). */
const MAX_BATCH = 5000;

export const EventStreamsBatchSchema = z.union([z.array(CloudEventSchema).min(1).max(MAX_BATCH), CloudEventSchema.transform((e) => [e])]);

const REQUIRED_MAX: ReadonlyArray<readonly [string, number]> = [['type', 256], ['id', 256]];
const OPTIONAL_MAX: ReadonlyArray<readonly [string, number]> = [['specversion', 16], ['source', 1024], ['time', 64], ['dataschema', 1024], ['datacontenttype', 256]];

/**
 * The batches the store may take as they are, off the main thread (`Store.ingestJsonBatch`): an array of CloudEvents
 * `plainCloudEvent` accepts, none of them the sink's test event (its handshake runs here).
 */
export const CLOUD_EVENT_BATCH: JsonBatchSpec = {
  keyField: 'id', typeField: 'type', required: REQUIRED_MAX, optional: OPTIONAL_MAX, fallbackTypes: [TEST_EVENT_TYPE], maxItems: MAX_BATCH,
};

/**
 * The schema's rules in plain code, for the hot path: true only where `CloudEventSchema` accepts the value as is (the
 * writer thread applies the same `hasSpecFields` to each event of a batch it takes).
 */
const plainCloudEvent = (e: unknown): e is CloudEvent => hasSpecFields(e, CLOUD_EVENT_BATCH);

/**
 * The batch's CloudEvents. Valid deliveries (every one Twilio sends) are checked in plain code and used as they are,
 * without zod's copy of each event (this route's hot path); anything else goes through the schema, which decides
 * and says what is wrong. The unit tests hold the two to the same answers.
 */
export function validateEventStreamsBatch(body: unknown): Parsed<CloudEvent[]> {
  if (Array.isArray(body) && body.length >= 1 && body.length <= MAX_BATCH && body.every(plainCloudEvent)) return { ok: true, value: body };
  if (!Array.isArray(body) && plainCloudEvent(body)) return { ok: true, value: [body] };
  return parseWith(EventStreamsBatchSchema, body);
}
