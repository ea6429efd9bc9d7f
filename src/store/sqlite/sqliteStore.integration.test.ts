import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isTajoError } from '../../core/errors.js';
import type { JsonBatchSpec } from '../../core/jsonBatch.js';
import { runStoreContract } from '../contract.js';
import { openStore } from '../openStore.js';
import type { OutboxInput } from '../types.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqliteStore.js';

const root = mkdtempSync(join(tmpdir(), 'tajo-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(root, `t${++n}.db`);

runStoreContract('sqlite', () => SqliteStore.open(freshFile()));

describe('sqlite store specifics', () => {
  it('several processes opening one new file at once all succeed and migrate once', async () => {
    const file = freshFile();
    const child = fileURLToPath(new URL('./test-helpers/openChild.ts', import.meta.url));
    const run = promisify(execFile);
    const outs = await Promise.all(
      [1, 2, 3, 4].map((id) => run(process.execPath, ['--import', 'tsx', child, file, String(id)], { timeout: 30_000 })),
    );
    const results = outs.map((o) => JSON.parse(o.stdout) as { inserted: number; applied: number[]; pending: number[] });
    expect(results.map((r) => r.inserted)).toEqual([1, 1, 1, 1]);
    for (const r of results) expect(r).toMatchObject({ applied: SQLITE_MIGRATIONS.map((m) => m.id), pending: [] });
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: SQLITE_MIGRATIONS.length });
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 4 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('two store instances on one file see each other and re-open without re-migrating', async () => {
    const file = freshFile();
    const a = await SqliteStore.open(file);
    const b = await SqliteStore.open(file);
    await a.commit('c', { checkpoint: { stream: 's', partition: '', value: 1, expectedVersion: 0 } });
    await expect(b.commit('c', { checkpoint: { stream: 's', partition: '', value: 2, expectedVersion: 0 } })).rejects.toSatisfy((e) =>
      isTajoError(e, 'TAJO_CHECKPOINT_CONFLICT'));
    expect((await b.getCheckpoint('c', 's', ''))?.version).toBe(1);
    await a.close();
    await b.close();
    const c = await SqliteStore.open(file);
    expect(await c.migrations()).toEqual({ applied: SQLITE_MIGRATIONS.map((m) => m.id), pending: [] });
    await c.close();
  });

  it('the migrated schema matches the committed snapshot (schema.snapshot.sql)', async () => {
    const file = freshFile();
    await (await SqliteStore.open(file)).close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name").all() as { sql: string }[];
    db.close();
    const dump = `-- Schema after all migrations; regenerate: TAJO_WRITE_MIGRATIONS=1 npx vitest run --project integration src/store/sqlite\n${rows.map((r) => `${r.sql};`).join('\n')}\n`;
    const snapshot = fileURLToPath(new URL('./schema.snapshot.sql', import.meta.url));
    if (process.env.TAJO_WRITE_MIGRATIONS === '1') writeFileSync(snapshot, dump);
    expect(dump, 'schema changed: regenerate schema.snapshot.sql and review the diff').toBe(readFileSync(snapshot, 'utf8'));
  });

  it('refuses a database migrated by a newer Tajo', async () => {
    const file = freshFile();
    (await SqliteStore.open(file)).close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, '0999_future', 'x')").run();
    db.close();
    await expect(SqliteStore.open(file)).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_STORE_MIGRATION'));
  });

  it('maps a held write lock to TAJO_STORE_UNAVAILABLE after busy_timeout', async () => {
    const file = freshFile();
    const store = await SqliteStore.open(file, { busyTimeoutMs: 50 });
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.commit('c', { outbox: [{ kind: 'event', key: 'E', payload: {}, priority: 1 }] })).rejects.toSatisfy((e) =>
        isTajoError(e, 'TAJO_STORE_UNAVAILABLE'));
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect((await store.commit('c', { outbox: [{ kind: 'event', key: 'E', payload: {}, priority: 1 }] })).outboxInserted).toBe(1);
    await store.close();
  });

  it('openStore: <dataDir>/tajo.db by default, sqlite: URLs, postgres:// to the Postgres backend', async () => {
    const dataDir = join(root, 'data', 'nested');
    const s = await openStore({ dataDir });
    expect((s as SqliteStore).file).toBe(join(dataDir, 'tajo.db'));
    await s.close();
    const t = await openStore({ dataDir, url: `sqlite:${join(root, 'url.db')}` });
    expect((t as SqliteStore).file).toBe(join(root, 'url.db'));
    await t.close();
    await expect(openStore({ dataDir, url: 'postgres://u@127.0.0.1:1/db' })).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_STORE_UNAVAILABLE'));
    await expect(openStore({ dataDir, url: 'mysql://x' })).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_USAGE'));
  });

  it('openStore where the file cannot be: a coded error naming the path, with a hint', async () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    // a sqlite: URL whose directory is a file (SQLITE_CANTOPEN), or does not exist (better-sqlite3's TypeError)
    await expect(openStore({ dataDir: root, url: `sqlite:${join(file, 'x.db')}` })).rejects.toMatchObject({
      code: 'TAJO_STORE_UNAVAILABLE', message: expect.stringContaining(join(file, 'x.db')), hint: expect.stringContaining('writable'),
    });
    await expect(openStore({ dataDir: root, url: `sqlite:${join(root, 'missing', 'x.db')}` })).rejects.toMatchObject({
      code: 'TAJO_USAGE', message: expect.stringContaining(join(root, 'missing')), hint: expect.any(String),
    });
    // an existing data dir nothing can be created in (root may write anywhere else): TAJO_USAGE before SQLite opens
    if (process.platform === 'linux') {
      await expect(openStore({ dataDir: '/proc' })).rejects.toMatchObject({ code: 'TAJO_USAGE', message: expect.stringContaining('/proc'), hint: expect.stringContaining('--data-dir') });
    }
  });

  it('inserts outbox rows in bulk fast (rate logged; floor kept low for slow CI)', async () => {
    const store = await SqliteStore.open(freshFile());
    const N = 50_000;
    const rows = (kind: 'event' | 'contact'): OutboxInput[] =>
      Array.from({ length: N }, (_, i) => ({
        kind,
        key: kind === 'event' ? `SUPPORT_REQUESTED:WT${i.toString(16).padStart(32, '0')}` : `contact:+1415555${i}`,
        payload: { identifiers: { ext_id: `+1415555${i}` }, event_properties: { task_sid: `WT${i}`, channel: 'voice', queue: 'Support' } },
        priority: 1,
        contentHash: 'c0ffee',
      }));
    const rate: Record<string, number> = {};
    for (const kind of ['event', 'contact'] as const) {
      const batch = rows(kind);
      const t0 = performance.now();
      const res = await store.commit('c', { outbox: batch });
      rate[kind] = Math.round(N / ((performance.now() - t0) / 1000));
      expect(res.outboxInserted).toBe(N);
    }
    const t0 = performance.now();
    let drained = 0;
    for (;;) {
      const got = await store.claimOutbox({ workerId: 'w', limit: 1000, leaseMs: 60_000, nowMs: Date.now() });
      if (!got.length) break;
      drained += got.length;
      await store.completeOutbox(got.map((r) => r.id), Date.now());
    }
    rate.claimComplete = Math.round(drained / ((performance.now() - t0) / 1000));
    console.log(`outbox rows/s: ${JSON.stringify(rate)}`);
    expect(drained).toBe(2 * N);
    expect(rate.event).toBeGreaterThan(5_000);
    await store.close();
  });
  it('forget leaves a batch inbox row holding other people\'s events to `tajo prune` and counts it (inboxKept)', async () => {
    const store = await SqliteStore.open(freshFile());
    try {
      const jane = '+14155550100';
      const ev = (id: string, taskSid: string) => ({ id, type: 'com.twilio.taskrouter.task.completed', data: { payload: { task_sid: taskSid } } });
      const spec: JsonBatchSpec = { keyField: 'id', typeField: 'type', required: [['id', 64], ['type', 64]], optional: [], fallbackTypes: ['test'], maxItems: 100 };
      expect(await store.ingestJsonBatch(Buffer.from(JSON.stringify([ev('CE1', 'WT1'), ev('CE2', 'WT2')])), 'event-streams', spec)).toEqual({ accepted: 2, duplicates: 0 });
      await store.commit('twilio-flex', {
        interactions: [{ taskSid: 'WT1', customerKey: jane, channel: 'voice', queueSid: null, queueName: null, workerSid: null, workerName: null, createdMs: 0, answeredMs: null,
          wrapupMs: null, endedMs: null, outcome: 'completed', conversationSid: null, conversationClosedMs: null, waitSeconds: null, handleSeconds: null, attributes: {},
          updatedAt: new Date(0).toISOString(), cancelReason: null }],
      });
      expect(await store.forgetCustomer('twilio-flex', jane)).toMatchObject({ interactions: 1, inbox: 0, inboxKept: 1 });
      // the row stays for bob's event (WT2); the processor drops hers: WT1 is forgotten
      expect((await store.claimInbox({ workerId: 'w', limit: 10, leaseMs: 1000, nowMs: Date.now() })).map((i) => i.key)).toEqual(['CE1', 'CE2']);
      expect(await store.forgottenTasks('twilio-flex', ['WT1', 'WT2'])).toEqual(['WT1']);
    } finally {
      await store.close();
    }
  });
});
