import { recordSinkTest, testIdOf } from '../../engine/ingest/sinkHandshake.js';
import { arrayElementRanges } from '../../core/jsonBatch.js';
import type { InboxInput } from '../../store/types.js';
import type { WebhookRouteDef } from '../webhookRoute.js';
import { CLOUD_EVENT_BATCH, validateEventStreamsBatch, type CloudEvent } from './eventStreams.validate.js';

/**
 * `POST /webhooks/twilio/event-streams`: an Event Streams webhook sink. One inbox item per CloudEvent (a SQLite store
 * keeps a delivery's items in one row, migration 0005), deduped on the CloudEvent `id` (delivery is at-least-once, out of order, retried for up to 4 hours). Authenticated by
 * X-Twilio-Signature (bodySHA256 variant) or by the Basic credentials configured in the sink URL.
 * The sink's test event (`com.twilio.eventstreams.test-event`) is acknowledged and its `data.test_id` recorded for
 * `tajo connectors webhooks` to validate the sink (see ../sinkHandshake.ts); it is not an inbox item.
 */
export const eventStreamsRoute: WebhookRouteDef<CloudEvent[]> = {
  name: 'event-streams',
  path: '/webhooks/twilio/event-streams',
  accepts: ['json'],
  auth: 'twilio-or-basic',
  validate: (body) => validateEventStreamsBatch(body),
  // Every batch Twilio sends, decoded, checked and stored by the store's writer thread (SQLite); the rest, e.g. a batch
  // carrying the sink's test event or anything malformed, comes back to the path below.
  jsonBatch: { source: 'event-streams', spec: CLOUD_EVENT_BATCH },
  beforeCommit: async (events, ctx) => {
    for (const e of events) {
      const testId = testIdOf(e);
      if (testId) {
        await recordSinkTest(ctx.store, ctx.connectorId ?? 'twilio-flex', { testId, receivedMs: Date.now() });
        ctx.logger.info({ testId }, 'Event Streams sink test event received');
      }
    }
  },
  toInbox: (events, _receivedMs, raw) => {
    // Each CloudEvent is stored as the bytes Twilio signed (its slice of the batch), as on the writer thread's path,
    // rather than serialised again (a tenth of this path's time went to JSON.stringify). A single (non-batched) event
    // is serialised.
    const ranges = arrayElementRanges(raw);
    const exact = ranges !== undefined && ranges.length === events.length ? ranges : undefined;
    const out: InboxInput[] = [];
    events.forEach((e, i) => {
      if (testIdOf(e) !== undefined) return;
      const r = exact?.[i];
      out.push({ key: e.id, source: 'event-streams', payload: e, ...(r ? { payloadJson: raw.toString('utf8', r[0], r[1]) } : {}) });
    });
    return out;
  },
  ackStatus: 204,
};
