import type { WebhookRouteDef } from '../webhookRoute.js';
import { surveyKey, validateSurvey, type SurveyBody } from './survey.validate.js';

/**
 * `POST /webhooks/flex/survey`: CSAT survey results (from a post-chat survey flow or the Flex plugin).
 * Authenticated like the plugin (Flex token or HMAC), or by X-Twilio-Signature when Twilio sends it.
 */
export const surveyRoute: WebhookRouteDef<SurveyBody> = {
  name: 'survey',
  path: '/webhooks/flex/survey',
  accepts: ['json'],
  auth: 'plugin-or-twilio',
  validate: (body) => validateSurvey(body),
  toInbox: (v, receivedMs) => [{ key: surveyKey(v), source: 'survey', payload: { ...v, ReceivedMs: receivedMs } }],
  ackStatus: 200,
};
