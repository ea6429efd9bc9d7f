/**
 * Rows the Store contract's tests build (and other tests reuse): a connector, an interaction, a survey, a customer,
 * each with defaults a test overrides.
 */
import type { ConnectorRecord, CustomerRow, InteractionRow, SurveyRow } from '../types.js';

export const C = 'twilio-flex';
export const T0 = Date.UTC(2026, 0, 15, 12);

export function connector(over: Partial<ConnectorRecord> = {}): ConnectorRecord {
  return {
    id: C,
    settings: {
      accountSid: `AC${'a'.repeat(32)}`, flexFlowSid: `FO${'b'.repeat(32)}`, workspaceSid: `WS${'c'.repeat(32)}`, authMode: 'auth_token',
      baseUrls: { flex: 'http://127.0.0.1:1', conversations: 'http://127.0.0.1:1', taskrouter: 'http://127.0.0.1:1', events: 'http://127.0.0.1:1' },
      brevoBaseUrl: 'http://127.0.0.1:2',
    },
    status: 'active',
    installedAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    ...over,
  };
}

export function interaction(taskSid: string, over: Partial<InteractionRow> = {}): InteractionRow {
  return {
    taskSid, customerKey: '+14155550100', channel: 'voice', queueSid: 'WQ1', queueName: 'Support', workerSid: 'WK1', workerName: 'Ann',
    createdMs: T0, answeredMs: T0 + 5000, wrapupMs: null, endedMs: T0 + 60_000, outcome: 'completed', conversationSid: null,
    conversationClosedMs: null, waitSeconds: 5, handleSeconds: 55, attributes: { from: '+14155550100', name: 'Jane' }, updatedAt: new Date(T0).toISOString(),
    cancelReason: null, ...over,
  };
}

export function survey(sid: string, over: Partial<SurveyRow> = {}): SurveyRow {
  return { surveyTaskSid: sid, linkedTaskSid: 'WT1', customerKey: '+14155550100', score: 4, scale: 5, questions: [{ label: 'Q1', score: 4 }], completedMs: T0 + 120_000, ...over };
}

export function customer(key: string, over: Partial<CustomerRow> = {}): CustomerRow {
  return { key, email: null, phone: key, whatsapp: null, chatIdentity: null, smsBlacklisted: false, whatsappBlacklisted: false, pushedHash: null, updatedAt: new Date(T0).toISOString(), version: 0, ...over };
}
