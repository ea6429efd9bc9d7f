/**
 * `tajo migrate --from sqlite` (the CLI, in-process) copies an embedded data dir's state into a real Postgres:
 * connectors, sealed secrets, checkpoints, raw events, derived rows, outbox, ledger, dead letters, inbox, API keys.
 * A second run copies nothing new; new rows get ids after the copied ones; the secrets open with the same key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-helpers/runCli.js';
import { Vault } from '../core/vault.js';
import { connector, interaction, survey } from '../store/contract.js';
import { copySqliteToPostgres } from '../store/postgres/importSqlite.js';
import { PostgresStore } from '../store/postgres/postgresStore.js';
import { tcpProxy } from '../store/postgres/test-helpers/tcpProxy.js';
import { createTestDatabase, postgresAvailable } from '../store/postgres/test-helpers/testDatabase.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { Store } from '../store/store.js';

const available = await postgresAvailable();
const MASTER_KEY = 'a'.repeat(64);

/** Everything the migration must carry, read through the Store interface (backend-neutral). */
async function stateOf(s: Store) {
  const C = 'twilio-flex';
  const inbox = await s.claimInbox({ workerId: 'probe', limit: 100, leaseMs: 1, nowMs: 0 });
  return {
    connector: await s.getConnector(C),
    secrets: await s.getSecrets(C),
    checkpoints: await s.listCheckpoints(C),
    counts: await s.counts(C),
    interactions: await s.getInteractions(C, ['WT1', 'WT2']),
    surveys: await s.surveysForTasks(C, ['WT1']),
    customers: await s.getCustomers(C, ['+14155550100']),
    raw: await s.rawEventsForTasks(C, ['WT1']),
    outbox: await s.outboxStats(),
    ledger: [...(await s.delivered(['E:1', 'E:2', 'E:3']))],
    deadLetters: (await s.listDeadLetters()).map(({ id: _id, ...d }) => d),
    inbox: inbox.map((i) => ({ key: i.key, source: i.source, payload: i.payload })),
    apiKeys: await s.listApiKeys(),
  };
}

describe.runIf(available)('tajo migrate --from sqlite', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'tajo-migrate-'));
    const s = await SqliteStore.open(join(dir, 'tajo.db'));
    await s.saveConnector(connector());
    await s.putSecret('twilio-flex', 'auth_token', Vault.fromDataDir({ dataDir: dir, env: { TAJO_MASTER_KEY: MASTER_KEY } }).seal('tok-123', { connectorId: 'twilio-flex', name: 'auth_token' }));
    await s.commit('twilio-flex', {
      checkpoint: { stream: 'taskrouter_events', partition: 'WS1', value: { windowEndMs: 42 }, expectedVersion: 0 },
      rawEvents: [{ key: 'EV1', type: 'task.created', occurredMs: 1, taskSid: 'WT1', via: 'poll', data: { a: 1 } }],
      interactions: [interaction('WT1'), interaction('WT2', { channel: 'sms' })],
      surveys: [survey('WT9')],
      customers: [{ key: '+14155550100', email: null, phone: '+14155550100', whatsapp: null, chatIdentity: null, smsBlacklisted: true, whatsappBlacklisted: false, pushedHash: 'h1', updatedAt: new Date(0).toISOString(), version: 0 }],
      outbox: [1, 2, 3].map((i) => ({ kind: 'event' as const, key: `E:${i}`, payload: { i }, priority: 1 as const })),
      deadLetters: [{ source: 'twilio', reason: 'missing_identity', recordKey: 'WT7', payload: { t: 7 } }],
    });
    const [first] = await s.claimOutbox({ workerId: 'w', limit: 1, leaseMs: 1000, nowMs: Date.now() });
    await s.completeOutbox([first!.id], Date.now());
    await s.ingest([{ key: 'CE1', source: 'event-streams', payload: { id: 'CE1' } }]);
    await s.createApiKey({ id: 'k1', name: 'ci', hash: 'sha256:abc' });
    await s.close();
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('copies every table, idempotently; new rows get ids after the copied ones; secrets open with the same master key', async () => {
    const env = { TAJO_DATABASE_URL: db.url, TAJO_MASTER_KEY: MASTER_KEY };
    const r = await runCli(['--json', '--data-dir', dir, 'migrate', '--from', 'sqlite', '--batch-size', '2'], { env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = r.json<{ store: string; tables: { table: string; read: number; inserted: number }[] }>();
    expect(out.store).toBe('postgres');
    const byTable = new Map(out.tables.map((t) => [t.table, t]));
    for (const t of ['connectors', 'secrets', 'checkpoints', 'raw_events', 'interactions', 'surveys', 'customers', 'outbox', 'ledger', 'dead_letters', 'inbox', 'api_keys']) {
      expect(byTable.get(t), t).toMatchObject({ inserted: expect.any(Number) });
      expect(byTable.get(t)!.inserted, t).toBe(byTable.get(t)!.read);
      expect(byTable.get(t)!.read, t).toBeGreaterThan(0);
    }
    expect(r.stdout).not.toContain('tok-123');

    const sqlite = await SqliteStore.open(join(dir, 'tajo.db'));
    const pgStore = await PostgresStore.open(db.url, { max: 2 });
    const want = await stateOf(sqlite);
    const got = await stateOf(pgStore);
    expect(got).toEqual(want);
    expect(Vault.fromDataDir({ dataDir: dir, env: { TAJO_MASTER_KEY: MASTER_KEY } }).open(got.secrets.auth_token!, { connectorId: 'twilio-flex', name: 'auth_token' })).toBe('tok-123');

    const again = await runCli(['--json', '--data-dir', dir, 'migrate', '--from', 'sqlite'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json<{ tables: { inserted: number }[] }>().tables.every((t) => t.inserted === 0)).toBe(true);

    const maxCopied = Math.max(...(await sqlite.claimOutbox({ workerId: 'x', limit: 10, leaseMs: 1, nowMs: Date.now() + 10_000 })).map((o) => o.id));
    await pgStore.commit('twilio-flex', { outbox: [{ kind: 'event', key: 'E:new', payload: {}, priority: 0 }] });
    const fresh = (await pgStore.claimOutbox({ workerId: 'y', limit: 10, leaseMs: 1000, nowMs: Date.now() })).find((o) => o.key === 'E:new');
    expect(fresh!.id).toBeGreaterThan(maxCopied);
    await Promise.all([sqlite.close(), pgStore.close()]);
  });

  it('a copy whose rows the target holds in another version (the SQLite store moved on since, or another store) is refused, not silently kept stale', async () => {
    const target = await createTestDatabase();
    const src = mkdtempSync(join(tmpdir(), 'tajo-migrate-'));
    try {
      const env = { TAJO_DATABASE_URL: target.url, TAJO_MASTER_KEY: MASTER_KEY };
      const s = await SqliteStore.open(join(src, 'tajo.db'));
      await s.saveConnector(connector());
      await s.commit('twilio-flex', {
        checkpoint: { stream: 'taskrouter_events', partition: 'WS1', value: { windowEndMs: 1 }, expectedVersion: 0 },
        outbox: [1, 2].map((i) => ({ kind: 'event' as const, key: `E:${i}`, payload: { i }, priority: 1 as const })),
      });
      expect((await runCli(['--json', '--data-dir', src, 'migrate', '--from', 'sqlite'], { env })).code).toBe(0);
      // the SQLite-backed serve went on after the first copy: E:1 reached Brevo, the cursor moved
      const [e1] = await s.claimOutbox({ workerId: 'w', limit: 1, leaseMs: 1000, nowMs: Date.now() });
      await s.completeOutbox([e1!.id], Date.now());
      await s.commit('twilio-flex', { checkpoint: { stream: 'taskrouter_events', partition: 'WS1', value: { windowEndMs: 2 }, expectedVersion: 1 } });
      await s.close();
      const again = await runCli(['--json', '--data-dir', src, 'migrate', '--from', 'sqlite'], { env });
      // kept as they were, E:1 would stay pending in Postgres and reach Brevo a second time, the cursor read again
      expect(again.code, again.stdout + again.stderr).toBe(65);
      const err = JSON.parse(again.stderr || again.stdout) as { error?: { code: string; details?: { path: string }[] }; code?: string; details?: { path: string }[] };
      const e = err.error ?? err;
      expect(e.code).toBe('TAJO_STORE_COPY_CONFLICT');
      expect(e.details?.map((d) => d.path).sort()).toEqual(['checkpoints', 'outbox']);
    } finally {
      await target.drop();
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('a connection to Postgres lost mid-copy is TAJO_STORE_UNAVAILABLE (run it again), not an internal error', async () => {
    const target = await createTestDatabase();
    const src = mkdtempSync(join(tmpdir(), 'tajo-migrate-'));
    const proxy = await tcpProxy(target.url);
    try {
      const s = await SqliteStore.open(join(src, 'tajo.db'));
      await s.commit('twilio-flex', { outbox: Array.from({ length: 10 }, (_, i) => ({ kind: 'event' as const, key: `E:${i}`, payload: { i }, priority: 1 as const })) });
      await s.close();
      const err = await copySqliteToPostgres({
        sqliteFile: join(src, 'tajo.db'), postgresUrl: proxy.url, batchSize: 2,
        onProgress: (p) => {
          if (p.table === 'outbox' && p.copied === 2) proxy.cut();
        },
      }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'TAJO_STORE_UNAVAILABLE' });
    } finally {
      await proxy.close();
      await target.drop();
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('says that worker_activity rows were derived by the Postgres triggers, not that none were copied', async () => {
    const target = await createTestDatabase();
    const src = mkdtempSync(join(tmpdir(), 'tajo-migrate-'));
    try {
      const env = { TAJO_DATABASE_URL: target.url, TAJO_MASTER_KEY: MASTER_KEY };
      const s = await SqliteStore.open(join(src, 'tajo.db'));
      await s.commit('twilio-flex', {
        rawEvents: [1, 2, 3].map((i) => ({ key: `EVW${i}`, type: 'worker.activity.update', occurredMs: i * 1000, workerSid: 'WK1', via: 'poll' as const, data: { WorkerActivityName: i % 2 ? 'Available' : 'Break', WorkerName: 'Ann' } })),
      });
      await s.close();
      const json = await runCli(['--json', '--data-dir', src, 'migrate', '--from', 'sqlite'], { env });
      expect(json.code, json.stderr).toBe(0);
      const wa = json.json<{ tables: { table: string }[] }>().tables.find((t) => t.table === 'worker_activity');
      expect(wa).toEqual({ table: 'worker_activity', read: 3, inserted: 0, alreadyPresent: 3, derivedFrom: 'raw_events' });
      const text = await runCli(['--data-dir', src, 'migrate', '--from', 'sqlite'], { env });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/worker_activity +3 read +0 new, 3 derived by Postgres triggers from raw_events/);
      // a re-run's other tables say their rows were already there
      expect(text.stdout).toMatch(/raw_events +3 read +0 new, 3 already there/);
    } finally {
      await target.drop();
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('refuses without a Postgres target', async () => {
    const r = await runCli(['--json', '--data-dir', dir, 'migrate', '--from', 'sqlite'], { env: {} });
    expect(r.code).toBe(64);
    expect(r.stdout + r.stderr).toMatch(/TAJO_DATABASE_URL/);
  });
});
