/** Shared test fixtures for the server tests: config, temp SQLite store, signing helpers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { ConfigSchema, type TajoConfig } from '../../config/schema.js';
import { openStore } from '../../store/openStore.js';
import type { Store } from '../../store/store.js';
import type { InboxItem } from '../../store/types.js';
import { signPluginBody } from '../auth/pluginAuth.js';
import { sha256Hex } from '../auth/twilioSignature.js';

export const AUTH_TOKEN = 'test_auth_token_0123456789abcdef';
export const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
export const HMAC_SECRET = 'plugin-shared-secret-0123456789';
export const BASIC = { user: 'sink', pass: 's3cret:pass' };
/** What `app.inject()` requests look like to the server (no public_url). */
export const INJECT_ORIGIN = 'http://localhost:80';

export function sid(prefix: string, n: number): string {
  return prefix + n.toString(16).padStart(32, '0');
}

export function testConfig(server: Record<string, unknown> = {}): TajoConfig {
  return ConfigSchema.parse({ server: { plugin_auth: 'hmac', plugin_hmac_secret: HMAC_SECRET, sink_basic_auth: BASIC, ...server } });
}

export async function tempStore(): Promise<{ store: Store; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tajo-server-'));
  const store = await openStore({ dataDir: dir });
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What the processor would handle of everything in the inbox not yet processed: the items a claim returns, less those
 * it marks as duplicates of another row's (SQLite dedupes Event Streams batch rows at claim). Claims them: use at the
 * end of a test. `claimAll` keeps the duplicates.
 */
export async function inboxItems(store: Store): Promise<InboxItem[]> {
  return (await claimAll(store)).filter((i) => !i.duplicate);
}

export async function claimAll(store: Store): Promise<InboxItem[]> {
  return store.claimInbox({ workerId: 'test', limit: 100_000, leaseMs: 60_000, nowMs: Date.now() });
}

export function formBody(params: Record<string, string | string[]>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) sp.append(k, x);
  return sp.toString();
}

/** X-Twilio-Signature of a form webhook to `url`. */
export function signForm(url: string, params: Record<string, string | string[]>, token = AUTH_TOKEN): string {
  return twilio.getExpectedTwilioSignature(token, url, params);
}

/** Path with `bodySHA256` appended, and the signature over the full URL (JSON variant). */
export function signJson(origin: string, path: string, body: string, token = AUTH_TOKEN): { path: string; signature: string } {
  const withHash = `${path}${path.includes('?') ? '&' : '?'}bodySHA256=${sha256Hex(Buffer.from(body))}`;
  return { path: withHash, signature: twilio.getExpectedTwilioSignature(token, origin + withHash, {}) };
}

export function hmacHeader(body: string, secret = HMAC_SECRET): string {
  return signPluginBody(secret, Buffer.from(body));
}

export function basicHeader(creds = BASIC): string {
  return `Basic ${Buffer.from(`${creds.user}:${creds.pass}`).toString('base64')}`;
}

export function taskRouterParams(n: number, over: Record<string, string> = {}): Record<string, string> {
  return {
    Sid: sid('EV', n),
    EventType: 'task.created',
    AccountSid: ACCOUNT_SID,
    WorkspaceSid: sid('WS', 1),
    ResourceType: 'task',
    ResourceSid: sid('WT', n),
    TaskSid: sid('WT', n),
    TaskAttributes: JSON.stringify({ from: '+14155550100', name: 'Ana', channelType: 'sms' }),
    TaskChannelUniqueName: 'default',
    TaskQueueSid: sid('WQ', 1),
    TaskQueueName: 'Support',
    Timestamp: String(1_700_000_000 + n),
    ...over,
  };
}

export function cloudEvent(n: number, type = 'com.twilio.taskrouter.task.created'): Record<string, unknown> {
  return {
    specversion: '1.0',
    type,
    source: `/v1/Workspaces/${sid('WS', 1)}/Events`,
    id: sid('EV', n),
    dataschema: 'https://events-schemas.twilio.com/TaskRouter.WDSEvent/1',
    datacontenttype: 'application/json',
    time: new Date(1_700_000_000_000 + n).toISOString(),
    data: {
      sid: sid('EV', n),
      name: type.replace('com.twilio.taskrouter.', ''),
      account_sid: ACCOUNT_SID,
      timestamp: new Date(1_700_000_000_000 + n).toISOString(),
      product_name: 'TaskRouter',
      payload_type: 'application/json',
      payload: {
        sid: sid('EV', n),
        eventtype: type.replace('com.twilio.taskrouter.', ''),
        account_sid: ACCOUNT_SID,
        timestamp: 1_700_000_000_000 + n,
        workspace_sid: sid('WS', 1),
        task_sid: sid('WT', n),
        task_attributes: JSON.stringify({ from: '+14155550100', channelType: 'sms' }),
        task_channel_unique_name: 'default',
        task_queue_sid: sid('WQ', 1),
        task_queue_name: 'Support',
        resource_type: 'task',
        resource_sid: sid('WT', n),
      },
    },
  };
}
