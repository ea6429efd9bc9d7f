import type { WebhookRouteDef } from '../webhookRoute.js';
import { flexTaskCompleteKey, validateFlexTaskComplete, type FlexTaskComplete } from './flexTaskComplete.validate.js';

/**
 * `POST /webhooks/flex/task-complete`: the Flex UI plugin's completion call, authenticated by the agent's Flex
 * token or the HMAC shared secret (`server.plugin_auth`). Answers `{accepted, duplicates}`.
 */
export const flexTaskCompleteRoute: WebhookRouteDef<FlexTaskComplete> = {
  name: 'flex-task-complete',
  path: '/webhooks/flex/task-complete',
  accepts: ['json'],
  auth: 'plugin',
  validate: (body) => validateFlexTaskComplete(body),
  toInbox: (v, receivedMs) => [{ key: flexTaskCompleteKey(v), source: 'flex-plugin', payload: { ...v, ReceivedMs: receivedMs } }],
  ackStatus: 200,
};
