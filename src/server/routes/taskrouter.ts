import type { WebhookRouteDef } from '../webhookRoute.js';
import { taskRouterDedupeKey, validateTaskRouterCallback, type TaskRouterCallback } from './taskrouter.validate.js';

/** `POST /webhooks/twilio/taskrouter`: Workspace event callbacks. Answers 204 right after the inbox commit (Twilio wants a reply within 15 s). */
export const taskRouterRoute: WebhookRouteDef<TaskRouterCallback> = {
  name: 'taskrouter',
  path: '/webhooks/twilio/taskrouter',
  accepts: ['form'],
  auth: 'twilio',
  validate: (body) => validateTaskRouterCallback(body),
  toInbox: (v) => [{ key: taskRouterDedupeKey(v), source: 'taskrouter', payload: v }],
  ackStatus: 204,
};
