/**
 * Test harness for delivery integration tests: a real SQLite store in a temp dir and the shipped emulator
 * composition (`startEmulator`: Twilio + Brevo on one fastify app, port 0), time-scaled. Only imported by
 * `*.integration.test.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../core/logger.js';
import { DEFAULT_FIELD_MAPPING } from '../../../config/defaults.js';
import type { BrevoEmulator, BrevoState } from '../../../emulators/brevo/index.js';
import type { EmulatorClock } from '../../../emulators/common/clock.js';
import type { FaultInjector, FaultRule } from '../../../emulators/common/faults.js';
import { startEmulator } from '../../../emulators/index.js';
import { ensureAttributes, ensureList, wantedAttributes } from '../../../sinks/brevo/bootstrap.js';
import { BrevoClient } from '../../../sinks/brevo/client.js';
import type { ContactPayload, EventItem } from '../../../sinks/brevo/types.js';
import { openStore } from '../../../store/openStore.js';
import type { Store } from '../../../store/store.js';
import type { OutboxInput } from '../../../store/types.js';
import { budgetsForBrevo } from '../../budget.js';
import { RequestStats } from '../../http.js';
import { DeliveryWorker, type DeliveryWorkerDeps } from '../worker.js';

export const CONNECTOR = 'twilio-flex';

export interface Harness {
  store: Store;
  app: FastifyInstance;
  emu: BrevoEmulator;
  faults: FaultInjector;
  clock: EmulatorClock;
  origin: string;
  baseUrl: string;
  listId: number;
  scale: number;
  stats: RequestStats;
  apiKey: string;
  client(apiKey?: string): BrevoClient;
  worker(over?: Partial<DeliveryWorkerDeps>, client?: BrevoClient): DeliveryWorker;
  enqueue(items: OutboxInput[]): Promise<number>;
  state(): Promise<BrevoState>;
  /** Fault rules active from now for `emulatedSeconds`. */
  outage(rule: Omit<FaultRule, 'vendor' | 'errorStatus' | 'from' | 'to'>, emulatedSeconds: number): void;
  close(): Promise<void>;
}

export async function startHarness(opts: { scale?: number; importDelayMs?: number } = {}): Promise<Harness> {
  const scale = opts.scale ?? 60;
  const dir = mkdtempSync(join(tmpdir(), 'tajo-deliver-'));
  const store = await openStore({ dataDir: dir });
  await store.saveConnector({
    id: CONNECTOR,
    settings: {
      accountSid: `AC${'0'.repeat(32)}`, flexFlowSid: `FO${'0'.repeat(32)}`, workspaceSid: `WS${'0'.repeat(32)}`, authMode: 'auth_token',
      baseUrls: { flex: 'http://x', conversations: 'http://x', taskrouter: 'http://x', events: 'http://x' }, brevoBaseUrl: 'http://x',
    },
    status: 'active',
    installedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  });
  const running = await startEmulator({ timeScale: scale, ...(opts.importDelayMs !== undefined ? { brevo: { importDelayMs: opts.importDelayMs } } : {}) });
  const { app, clock, faults, brevo: emu } = running;
  const API_KEY = running.info.brevoApiKey;
  const origin = running.url.replace(/\/$/, '');
  const baseUrl = running.info.brevo;
  const stats = new RequestStats();
  const client = (apiKey = API_KEY) => new BrevoClient({ baseUrl, apiKey, budgets: budgetsForBrevo(scale), timeScale: scale, stats, logger: silentLogger(), timeoutMs: 5_000 });
  const setup = client();
  await ensureAttributes(setup, wantedAttributes(Object.values(DEFAULT_FIELD_MAPPING)));
  const listId = await ensureList(setup, 'Support contacts');
  stats.reset();

  return {
    store, app, emu, faults, clock, origin, baseUrl, listId, scale, stats, apiKey: API_KEY,
    client,
    worker: (over = {}, c = client()) =>
      new DeliveryWorker({ store, brevo: c, workerId: 'w1', logger: silentLogger(), timeScale: scale, retryBaseMs: 100, retryCapMs: 1_000, idleMs: 20, connectorId: CONNECTOR, ...over }),
    enqueue: async (items) => (await store.commit(CONNECTOR, { outbox: items })).outboxInserted,
    state: async () => (await (await fetch(`${origin}${emu.inspectPrefix}/state`)).json()) as BrevoState,
    outage: (rule, secs) => {
      const now = clock.nowMs();
      faults.load({ seed: 1, rules: [{ vendor: 'brevo', errorStatus: 503, ...rule, from: new Date(now).toISOString(), to: new Date(now + secs * 1000).toISOString() }] });
    },
    close: async () => {
      await running.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const phone = (i: number): string => `+1415555${String(1000 + i).padStart(4, '0')}`;

export function contactRow(i: number, listIds: number[], over: Partial<ContactPayload> = {}, priority: 0 | 1 = 1): OutboxInput {
  const ext = phone(i);
  const payload: ContactPayload = {
    ext_id: ext,
    attributes: { FLEX_IDENTITY: ext, FIRSTNAME: `Customer ${i}`, SMS: ext, SUPPORT_TICKET_COUNT: 1, LAST_SUPPORT_DATE: '2026-01-05' },
    listIds,
    ...over,
  };
  return { kind: 'contact', key: `contact:${payload.ext_id}`, payload, priority, contentHash: `h${i}-${JSON.stringify(over).length}`, customerKey: payload.ext_id };
}

export function eventRow(i: number, contactIndex: number, priority: 0 | 1 = 1): OutboxInput {
  const tajo = `SUPPORT_REQUESTED:WT${String(i).padStart(32, '0')}`;
  const payload: EventItem = {
    event_name: 'SUPPORT_REQUESTED',
    identifiers: { ext_id: phone(contactIndex) },
    event_date: new Date(Date.UTC(2026, 0, 5, 9, 0, i)).toISOString(),
    event_properties: { tajo_id: tajo, task_sid: `WT${String(i).padStart(32, '0')}`, channel: 'voice', queue: 'Support' },
  };
  return { kind: 'event', key: tajo, payload, priority, customerKey: phone(contactIndex) };
}

/** tajo_id → how many times Brevo stored it. */
export function tajoCounts(state: BrevoState): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of state.events) {
    const id = String(e.event_properties?.tajo_id);
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  return m;
}
