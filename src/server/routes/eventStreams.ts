import type { WebhookRouteDef } from '../webhookRoute.js';
import { validateEventStreamsBatch, type CloudEvent } from './eventStreams.validate.js';

/**
 * `POST /webhooks/twilio/event-streams`: an Event Streams webhook sink. One inbox item per CloudEvent, deduped
 * on the CloudEvent `id` (delivery is at-least-once, out of order, retried for up to 4 hours). Authenticated by
 * X-Twilio-Signature (bodySHA256 variant) or by the Basic credentials configured in the sink URL.
 */
export const eventStreamsRoute: WebhookRouteDef<CloudEvent[]> = {
  name: 'event-streams',
  path: '/webhooks/twilio/event-streams',
  accepts: ['json'],
  auth: 'twilio-or-basic',
  validate: (body) => validateEventStreamsBatch(body),
  toInbox: (events) => events.map((e) => ({ key: e.id, source: 'event-streams' as const, payload: e })),
  ackStatus: 204,
};
