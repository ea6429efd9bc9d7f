import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseWith, sidOf, text, type Parsed } from './common.validate.js';

/**
 * Conversations post-event webhooks (form-encoded). No OpenAPI spec covers these payloads; the field names
 * follow Twilio's "Conversations Webhooks" page (https://www.twilio.com/docs/conversations/conversations-webhooks):
 * every request carries `EventType` (e.g. `onMessageAdded`, `onConversationStateUpdated`), `AccountSid`,
 * `ChatServiceSid`, `ConversationSid`, `Source`, `RetryCount`, `ClientIdentity`; onMessageAdded adds `MessageSid`,
 * `Index`, `Author`, `Body`, `ParticipantSid`, `Attributes`, `DateCreated`, `Media`; onConversationStateUpdated adds
 * `StateFrom`, `StateTo`, `Reason` and the change time (`StateUpdated`, the name used by the matching Event Streams
 * schema Conversations.ConversationStateUpdated; `DateUpdated` is accepted too).
 */
export const ConversationsWebhookSchema = z
  .object({
    EventType: z.string().max(64).regex(/^on[A-Z][A-Za-z]+$/, { message: 'must be a Conversations event such as onMessageAdded' }),
    ConversationSid: sidOf('CH'),
    AccountSid: sidOf('AC').optional(),
    ChatServiceSid: sidOf('IS').optional(),
    MessageSid: sidOf('IM').optional(),
    ParticipantSid: sidOf('MB').optional(),
    Author: text(512).optional(),
    Body: text(64 * 1024).optional(),
    Index: z.string().regex(/^\d{1,12}$/).optional(),
    DateCreated: text(64).optional(),
    DateUpdated: text(64).optional(),
    StateFrom: text(32).optional(),
    StateTo: text(32).optional(),
    StateUpdated: text(64).optional(),
    State: text(32).optional(),
    Reason: text(64).optional(),
    Source: text(64).optional(),
    RetryCount: z.string().max(8).optional(),
  })
  .catchall(z.union([z.string().max(64 * 1024), z.array(z.string().max(64 * 1024)).max(50)]));

export type ConversationsWebhook = z.infer<typeof ConversationsWebhookSchema>;

export function validateConversationsWebhook(body: unknown): Parsed<ConversationsWebhook> {
  return parseWith(ConversationsWebhookSchema, body);
}

/** A content hash of the params, without `RetryCount` (it changes on every retry of the same event). */
function contentHash(v: ConversationsWebhook): string {
  const h = createHash('sha256');
  for (const k of Object.keys(v).sort()) {
    if (k === 'RetryCount') continue;
    h.update(k).update('\u0000').update(JSON.stringify(v[k])).update('\u0000');
  }
  return h.digest('hex').slice(0, 32);
}

/** Dedupe key: the message for message events, the state change for state events, else the content. */
export function conversationsDedupeKey(v: ConversationsWebhook): string {
  if (v.EventType === 'onMessageAdded' && v.MessageSid) return `conv:${v.ConversationSid}:${v.EventType}:${v.MessageSid}`;
  if (v.EventType === 'onConversationStateUpdated' && v.StateTo) {
    return `conv:${v.ConversationSid}:${v.EventType}:${v.StateTo}:${v.StateUpdated ?? v.DateUpdated ?? contentHash(v)}`;
  }
  return `conv:${v.ConversationSid}:${v.EventType}:${contentHash(v)}`;
}
