import { z } from 'zod';
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

export const EventStreamsBatchSchema = z.union([z.array(CloudEventSchema).min(1).max(5000), CloudEventSchema.transform((e) => [e])]);

export function validateEventStreamsBatch(body: unknown): Parsed<CloudEvent[]> {
  return parseWith(EventStreamsBatchSchema, body);
}
