import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqliteStore.js';

describe('inbox commits from the writer thread', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-inbox-writer-'));
    file = join(dir, 'tajo.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const item = (key: string) => ({ key, source: 'event-streams' as const, payload: { key, text: 'é ✓' } });

  it('commits concurrent deliveries once each, visible to the main connection, duplicates counted', async () => {
    const store = await SqliteStore.open(file);
    try {
      const results = await Promise.all(Array.from({ length: 40 }, (_v, i) => store.ingest([item(`k${i % 25}`), item(`x${i}`)])));
      expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(25 + 40);
      expect(results.reduce((s, r) => s + r.duplicates, 0)).toBe(15);
      const again = await store.ingest([item('k3'), item('new')]);
      expect(again).toEqual({ accepted: 1, duplicates: 1, acceptedKeys: ['new'] });
      const claimed = await store.claimInbox({ workerId: 'w', limit: 1000, leaseMs: 60_000, nowMs: Date.now() });
      expect(claimed).toHaveLength(66);
      expect(claimed.find((c) => c.key === 'k3')?.payload).toEqual({ key: 'k3', text: 'é ✓' });
    } finally {
      await store.close();
    }
  });

  it('answers TAJO_STORE_UNAVAILABLE while another writer holds the lock, then commits once it is free', async () => {
    const store = await SqliteStore.open(file, { busyTimeoutMs: 100 });
    const other = new Database(file);
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      await expect(store.ingest([item('a')])).rejects.toMatchObject({ code: 'TAJO_STORE_UNAVAILABLE' });
      other.prepare('ROLLBACK').run();
      await expect(store.ingest([item('a')])).resolves.toMatchObject({ accepted: 1 });
    } finally {
      other.close();
      await store.close();
    }
  });

  it('a commit posted before close() is answered; after close() ingest is refused with a code', async () => {
    const store = await SqliteStore.open(file);
    const p = store.ingest([item('before-close')]);
    await store.close();
    await expect(p).resolves.toMatchObject({ accepted: 1 });
    await expect(store.ingest([item('after')])).rejects.toMatchObject({ code: 'TAJO_STORE_UNAVAILABLE' });
    const reopened = await SqliteStore.open(file, { inboxThread: false });
    try {
      expect((await reopened.ingest([item('before-close')])).duplicates).toBe(1);
    } finally {
      await reopened.close();
    }
  });
});

describe('inbox writer shutdown', () => {
  it('close() after ingest lets a process with nothing else to do exit normally (not 13: unsettled await)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const dir = mkdtempSync(join(tmpdir(), 'tajo-inbox-writer-exit-'));
    try {
      const store = fileURLToPath(new URL('./sqliteStore.ts', import.meta.url));
      const script = `import { SqliteStore } from ${JSON.stringify(store)};
const s = await SqliteStore.open(${JSON.stringify(join(dir, 'tajo.db'))});
await s.ingest([{ key: 'k', source: 'sdk', payload: {} }]);
await s.close();
console.log('closed');`;
      const { writeFileSync } = await import('node:fs');
      const file = join(dir, 'child.mjs');
      writeFileSync(file, script);
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 });
      expect({ status: r.status, out: r.stdout.trim() }).toEqual({ status: 0, out: 'closed' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
