/**
 * The inbox processor's test fixture, shared by its test files: a SQLite store in a temp dir per test, a clock the
 * tests move (`advance`), a planner that records what it is asked, and builders of inbox items.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../store/openStore.js';
import type { Store } from '../../../store/store.js';
import type { InboxInput, RawEvent } from '../../../store/types.js';
import { InboxProcessor, type TaskPlanner } from '../inboxProcessor.js';

export const sid = (p: string, n: number): string => p + n.toString(16).padStart(32, '0');
export const C = 'twilio-flex';
export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
export const CH = sid('CH', 7);
export const attrs = JSON.stringify({ from: '+14155550100', channelType: 'sms', conversationSid: CH });

export let store: Store;
export let dir: string;
export let clock: number;
export const planned: { taskSids: string[]; rawEvents: RawEvent[] }[] = [];
/** Records what it is asked; derives nothing (the derivation has its own tests). */
export const plan: TaskPlanner = async (input) => {
  planned.push({ taskSids: input.taskSids, rawEvents: input.rawEvents });
  return {};
};

/** Moves the processor's clock on. */
export function advance(ms: number): void {
  clock += ms;
}

/** Registers the per-test store (call at the top of a test file). */
export function useInboxFixture(): void {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-ingest-'));
    store = await openStore({ dataDir: dir });
    clock = Date.now();
    planned.length = 0;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

export const processor = (extra: Partial<ConstructorParameters<typeof InboxProcessor>[0]> = {}) =>
  new InboxProcessor({ store, connectorId: C, plan, logger: silentLogger(), leaseMs: 1000, now: () => clock, ...extra });

export function callback(n: number, type: string, ms: number, extra: Record<string, string> = {}): InboxInput {
  return {
    key: sid('EV', n),
    source: 'taskrouter',
    payload: { Sid: sid('EV', n), EventType: type, TaskSid: sid('WT', 1), TaskAttributes: attrs, TaskChannelUniqueName: 'default', ResourceType: 'task', ResourceSid: sid('WT', 1), Timestamp: String(ms / 1000), ...extra },
  };
}

export function streamsEvent(n: number, type: string, ms: number): InboxInput {
  return {
    key: `EZ${n}`,
    source: 'event-streams',
    payload: { type: `com.twilio.taskrouter.${type}`, id: `EZ${n}`, time: new Date(ms).toISOString(), data: { sid: sid('EV', n), payload: { sid: sid('EV', n), eventtype: type, timestamp: ms, task_sid: sid('WT', 1), task_attributes: attrs, resource_type: 'task', resource_sid: sid('WT', 1) } } },
  };
}

export const closeItem = (ms: number): InboxInput => ({
  key: `conv:${CH}:closed`,
  source: 'conversations',
  payload: { EventType: 'onConversationStateUpdated', ConversationSid: CH, StateFrom: 'active', StateTo: 'closed', DateUpdated: new Date(ms).toISOString() },
});

export async function pending(): Promise<number> {
  return (await store.claimInbox({ workerId: 'probe', limit: 1000, leaseMs: 1, nowMs: clock + 10 * 86_400_000 })).length;
}
