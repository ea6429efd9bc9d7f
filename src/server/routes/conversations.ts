import type { WebhookRouteDef } from '../webhookRoute.js';
import { conversationsDedupeKey, validateConversationsWebhook, type ConversationsWebhook } from './conversations.validate.js';

/** `POST /webhooks/twilio/conversations`: Conversations post-event webhooks (closing, messages, STOP keywords). */
export const conversationsRoute: WebhookRouteDef<ConversationsWebhook> = {
  name: 'conversations',
  path: '/webhooks/twilio/conversations',
  accepts: ['form'],
  auth: 'twilio',
  validate: (body) => validateConversationsWebhook(body),
  toInbox: (v) => [{ key: conversationsDedupeKey(v), source: 'conversations', payload: v }],
  ackStatus: 204,
};
