/**
 * The signed request pools of `npm run bench:webhooks`, built inside the load generator's process (bench/webhooksLoad.ts)
 * before it starts sending: one unique body per request the run can send, so every Event Streams and TaskRouter request
 * costs the server a real insert (a pool that wraps around sends duplicates, which are acknowledged without one).
 */
import { createHash } from 'node:crypto';
import { formDelivery, jsonDelivery, type Delivery } from '../src/emulators/twilio/push/deliver.js';

export type PoolKind = 'bare' | 'event-streams' | 'taskrouter';

export interface PoolSpec {
  kind: PoolKind;
  /** The server's origin (`http://127.0.0.1:PORT`): the URL Twilio signs. */
  origin: string;
  authToken: string;
  accountSid: string;
  /** Unique requests to build (the pool wraps around after them). */
  size: number;
  /** Index of the first request (runs of one benchmark take disjoint ranges, so a later run sends no duplicates). */
  first?: number;
  /**
   * SIDs spread over the key space as Twilio's are (a hash of the counter), instead of counting up: each new key then
   * lands on its own b-tree page of the dedupe indexes, which costs the store more per commit.
   */
  randomIds?: boolean;
}

export interface PoolEntry {
  path: string;
  contentType: string;
  headers: Record<string, string>;
  body: string;
}

/** CloudEvents per Event Streams request. */
export const ES_BATCH = 5;

const hex = (n: number, len = 32) => n.toString(16).padStart(len, '0');
/** 32 hex digits for request n: counting up, or a hash of n (unique, spread like Twilio's SIDs). */
const sidHex = (n: number, random: boolean | undefined) => (random ? createHash('md5').update(String(n)).digest('hex') : hex(n));

export function syntheticEvent(n: number, accountSid: string, randomIds?: boolean): Record<string, unknown> {
  const at = new Date(1_750_000_000_000 + n * 1000).toISOString();
  const id = sidHex(n, randomIds);
  return {
    specversion: '1.0', type: 'com.twilio.taskrouter.task.created', source: `/v1/Workspaces/WS${hex(1)}/Events`, id: `EV${id}`,
    dataschema: 'https://events-schemas.twilio.com/TaskRouter.WDSEvent/1', datacontenttype: 'application/json', time: at,
    data: {
      sid: `EV${id}`, name: 'task.created', account_sid: accountSid, timestamp: at, product_name: 'TaskRouter', payload_type: 'application/json',
      payload: {
        sid: `EV${id}`, eventtype: 'task.created', account_sid: accountSid, timestamp: Date.parse(at), workspace_sid: `WS${hex(1)}`, task_sid: `WT${hex(n)}`,
        task_attributes: JSON.stringify({ from: '+14155550100', channelType: 'sms' }), task_channel_unique_name: 'sms', task_queue_sid: `WQ${hex(1)}`,
        task_queue_name: 'Support', resource_type: 'task', resource_sid: `WT${hex(n)}`,
      },
    },
  };
}

const toEntry = (d: Delivery): PoolEntry => {
  const u = new URL(d.url);
  return { path: u.pathname + u.search, contentType: d.contentType, headers: d.headers, body: d.body };
};

/** The i-th request of a pool (the same bodies for the bare route and Event Streams: only the path and signature differ). */
export function poolEntry(spec: PoolSpec, i: number): PoolEntry {
  if (spec.kind === 'taskrouter') {
    const n = 10_000_000 + i;
    return toEntry(formDelivery(spec.authToken, `${spec.origin}/webhooks/twilio/taskrouter`, {
      Sid: `EV${sidHex(n, spec.randomIds)}`, EventType: 'task.created', AccountSid: spec.accountSid, WorkspaceSid: `WS${hex(1)}`, ResourceType: 'task', ResourceSid: `WT${hex(n)}`,
      TaskSid: `WT${hex(n)}`, TaskAttributes: JSON.stringify({ from: '+14155550100', channelType: 'sms' }), TaskChannelUniqueName: 'sms',
      TaskQueueSid: `WQ${hex(1)}`, TaskQueueName: 'Support', Timestamp: String(1_750_000_000 + i),
    }));
  }
  const batch = Array.from({ length: ES_BATCH }, (_, k) => syntheticEvent(i * ES_BATCH + k + 1, spec.accountSid, spec.randomIds));
  if (spec.kind === 'bare') return { path: '/bare', contentType: 'application/json', headers: {}, body: JSON.stringify(batch) };
  return toEntry(jsonDelivery(spec.authToken, `${spec.origin}/webhooks/twilio/event-streams`, batch));
}

export function buildPool(spec: PoolSpec): PoolEntry[] {
  const first = spec.first ?? 0;
  return Array.from({ length: spec.size }, (_, i) => poolEntry(spec, first + i));
}
