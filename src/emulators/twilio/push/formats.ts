import { createHash } from 'node:crypto';
import { isoMillis } from '../../common/clock.js';
import { eventData, type EventRow } from '../taskrouter/render.js';
import type { WorldInfo } from '../types.js';
import type { ConvEvent, ParticipantRecord, WorldEvent } from './worldEvents.js';

/**
 * Wire formats of Twilio's push channels, built from world events:
 * - Event Streams: CloudEvents 1.0 (docs/twilio.md §5; TaskRouter `data` is the WDSEvent with `payload`,
 *   Conversations `data` uses PascalCase keys as in https://www.twilio.com/docs/events/event-types/conversations/*).
 * - TaskRouter EventCallbackUrl: form fields of docs/twilio.md §4.1 (event_data keys in PascalCase).
 * - Conversations post-action webhooks: field names from https://www.twilio.com/docs/conversations/conversations-webhooks
 *   (only partly visible to us; common fields + per-event fields as listed there).
 */

/** Stable CloudEvent id for a world event (same event → same id across pushes and runs). */
export function cloudEventId(key: string): string {
  return `EZ${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

const pascal = (snake: string): string =>
  snake
    .split('_')
    .map((w) => (w ? w[0]?.toUpperCase() + w.slice(1) : ''))
    .join('');

function binding(p: ParticipantRecord | undefined): Record<string, string> | undefined {
  if (!p?.messaging_binding) return undefined;
  try {
    const b = JSON.parse(p.messaging_binding) as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(b)) if (typeof v === 'string') out[pascal(k)] = v;
    return out;
  } catch {
    return undefined;
  }
}

const GROUP: Record<string, string> = { task: 'task', reservation: 'reservation', worker: 'worker', workflow: 'workflow', task_queue: 'task-queue' };

function taskRouterCloudEvent(row: EventRow, info: WorldInfo, nowMs: number): Record<string, unknown> {
  const data = eventData(row, nowMs);
  return {
    specversion: '1.0',
    type: `com.twilio.taskrouter.${row.event_type}`,
    source: `/v1/Workspaces/${info.workspaceSid}/${row.resource_type}/${row.resource_sid}`,
    id: cloudEventId(row.sid),
    dataschema: 'https://events-schemas.twilio.com/TaskRouter.WDSEvent/4',
    datacontenttype: 'application/json',
    time: isoMillis(row.event_date_ms),
    data: {
      sid: row.sid,
      name: row.event_type,
      account_sid: info.accountSid,
      account_friendly_name: null,
      parent_account_sid: null,
      timestamp: isoMillis(row.event_date_ms),
      level: 'INFO',
      group: GROUP[row.resource_type] ?? row.resource_type,
      product_name: 'TaskRouter',
      publisher: info.workspaceName,
      publisher_metadata: JSON.stringify({ workspace_sid: info.workspaceSid, workspace_name: info.workspaceName }),
      payload_type: 'application/json',
      payload: {
        ...data,
        sid: row.sid,
        eventtype: row.event_type,
        account_sid: info.accountSid,
        timestamp: row.event_date_ms,
        workspace_sid: info.workspaceSid,
        workspace_name: info.workspaceName,
        resource_type: row.resource_type,
        resource_sid: row.resource_sid,
        event_description: row.description,
      },
    },
  };
}

const SCHEMA: Record<ConvEvent['type'], [string, string]> = {
  'conversation.added': ['com.twilio.conversations.conversation.added', 'Conversations.ConversationAdded/2'],
  'participant.added': ['com.twilio.conversations.participant.added', 'Conversations.ParticipantAdded/2'],
  'message.added': ['com.twilio.conversations.message.added', 'Conversations.MessageAdded/2'],
  'conversation-state.updated': ['com.twilio.conversations.conversation-state.updated', 'Conversations.ConversationStateUpdated/2'],
};

function conversationData(ev: ConvEvent, info: WorldInfo): Record<string, unknown> {
  const c = ev.conv;
  const base: Record<string, unknown> = { AccountSid: info.accountSid, ConversationSid: c.sid };
  if (c.messaging_service_sid) base.MessagingServiceSid = c.messaging_service_sid;
  const mb = binding(ev.participant);
  switch (ev.type) {
    case 'conversation.added':
      return { ...base, FriendlyName: c.friendly_name, UniqueName: c.unique_name, State: 'active', DateCreated: isoMillis(c.date_created_ms) };
    case 'participant.added':
      return {
        ...base,
        ParticipantSid: ev.participant?.sid,
        Identity: ev.participant?.identity ?? null,
        RoleSid: ev.participant?.role_sid ?? null,
        DateCreated: isoMillis(ev.at),
        ...(mb ? { MessagingBinding: mb } : {}),
      };
    case 'message.added':
      return {
        ...base,
        Author: ev.message?.author,
        ParticipantSid: ev.message?.participant_sid ?? null,
        MessageSid: ev.message?.sid,
        Index: ev.message?.idx,
        MessageBody: ev.message?.body ?? null,
        DateCreated: isoMillis(ev.at),
      };
    case 'conversation-state.updated':
      return { ...base, StateUpdated: isoMillis(ev.at), StateFrom: ev.stateFrom, StateTo: ev.stateTo, Reason: 'TIMER' };
  }
}

export function cloudEvent(e: WorldEvent, info: WorldInfo, nowMs: number): Record<string, unknown> {
  if (e.source === 'taskrouter') return taskRouterCloudEvent(e.row, info, nowMs);
  const [type, schema] = SCHEMA[e.ev.type];
  return {
    specversion: '1.0',
    type,
    source: `/v1/Services/${e.ev.conv.chat_service_sid}/Conversations/${e.ev.conv.sid}`,
    id: cloudEventId(e.key),
    dataschema: `https://events-schemas.twilio.com/${schema}`,
    datacontenttype: 'application/json',
    time: isoMillis(e.at),
    data: conversationData(e.ev, info),
  };
}

/** TaskRouter EventCallbackUrl form fields. `Timestamp` is epoch seconds. Keys missing from event_data come from the row. */
export function taskRouterForm(row: EventRow, info: WorldInfo, nowMs: number): Record<string, string> {
  const out: Record<string, string> = {};
  const fromRow: [string, string | null][] = [
    ['TaskSid', row.task_sid],
    ['ReservationSid', row.reservation_sid],
    ['WorkerSid', row.worker_sid],
    ['TaskQueueSid', row.task_queue_sid],
    ['WorkflowSid', row.workflow_sid],
    ['TaskChannelUniqueName', row.task_channel],
  ];
  for (const [k, v] of fromRow) if (v) out[k] = v;
  for (const [k, v] of Object.entries(eventData(row, nowMs))) {
    if (v === null || v === undefined) continue;
    out[pascal(k)] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  Object.assign(out, {
    EventType: row.event_type,
    AccountSid: info.accountSid,
    WorkspaceSid: info.workspaceSid,
    WorkspaceName: info.workspaceName,
    Sid: row.sid,
    EventDescription: row.description,
    ResourceType: row.resource_type,
    ResourceSid: row.resource_sid,
    Timestamp: String(Math.floor(row.event_date_ms / 1000)),
  });
  return out;
}

const HOOK_NAME: Record<ConvEvent['type'], string> = {
  'conversation.added': 'onConversationAdded',
  'participant.added': 'onParticipantAdded',
  'message.added': 'onMessageAdded',
  'conversation-state.updated': 'onConversationStateUpdated',
};

/** Conversations post-action webhook form fields. */
export function conversationForm(e: ConvEvent, info: WorldInfo): Record<string, string> {
  const c = e.conv;
  const mb = binding(e.participant);
  const source = mb ? (mb.Type ?? 'SMS').toUpperCase() : e.participant?.identity ? 'SDK' : 'API';
  const out: Record<string, string> = {
    AccountSid: info.accountSid,
    ChatServiceSid: c.chat_service_sid,
    ConversationSid: c.sid,
    EventType: HOOK_NAME[e.type],
    Source: source,
    RetryCount: '0',
    WebhookType: 'webhook',
  };
  if (c.messaging_service_sid) out.MessagingServiceSid = c.messaging_service_sid;
  const set = (k: string, v: string | number | null | undefined): void => {
    if (v !== null && v !== undefined) out[k] = String(v);
  };
  switch (e.type) {
    case 'conversation.added':
      set('DateCreated', isoMillis(c.date_created_ms));
      set('FriendlyName', c.friendly_name);
      set('UniqueName', c.unique_name);
      set('Attributes', c.attributes || '{}');
      set('State', 'active');
      break;
    case 'participant.added':
      set('ParticipantSid', e.participant?.sid);
      set('DateCreated', isoMillis(e.at));
      set('Identity', e.participant?.identity);
      set('RoleSid', e.participant?.role_sid);
      set('Attributes', e.participant?.attributes || '{}');
      for (const [k, v] of Object.entries(mb ?? {})) set(`MessagingBinding.${k}`, v);
      break;
    case 'message.added':
      set('MessageSid', e.message?.sid);
      set('Index', e.message?.idx);
      set('DateCreated', isoMillis(e.at));
      set('Body', e.message?.body);
      set('Author', e.message?.author);
      set('ParticipantSid', e.message?.participant_sid);
      set('Attributes', e.message?.attributes || '{}');
      if (e.participant?.identity) set('ClientIdentity', e.participant.identity);
      break;
    case 'conversation-state.updated':
      set('DateCreated', isoMillis(c.date_created_ms));
      set('DateUpdated', isoMillis(e.at));
      set('StateFrom', e.stateFrom);
      set('StateTo', e.stateTo);
      set('State', e.stateTo);
      set('Reason', 'TIMER');
      set('FriendlyName', c.friendly_name);
      set('UniqueName', c.unique_name);
      set('Attributes', c.attributes || '{}');
      break;
  }
  return out;
}
