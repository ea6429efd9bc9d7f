import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonBatchSpec } from '../../core/jsonBatch.js';
import { InboxWriterThread } from './inboxWriter.js';
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

  it('writes posted while a commit runs are committed together: many calls, few transactions, each answered with its own keys', async () => {
    await (await SqliteStore.open(file, { inboxThread: false })).close(); // migrated file
    const writer = new InboxWriterThread(file, { busyTimeoutMs: 5000, synchronous: 'FULL' });
    try {
      const at = new Date().toISOString();
      // 200 writes posted back to back: the thread takes the ones queued behind the first into one transaction
      const keys = await Promise.all(Array.from({ length: 200 }, (_v, i) => writer.write([[`g${i}`, 'sdk', '{}'], [`g${(i + 1) % 200}`, 'sdk', '{}']], at)));
      // each write is answered with the keys it was the first to store (write i stores g{i+1}; write 0 also g0)
      expect(keys[0]).toEqual(['g0', 'g1']);
      expect(keys.slice(1, 199).every((k, i) => k.length === 1 && k[0] === `g${i + 2}`)).toBe(true);
      expect(keys[199]).toEqual([]);
      expect(writer.commits).toBeGreaterThan(0);
      expect(writer.commits).toBeLessThan(20);
    } finally {
      await writer.close();
    }
  });

  it('keeps the WAL under its limit under a sustained load (automatic checkpoints are off in the writer thread)', async () => {
    const limit = 4 * 1024 * 1024;
    const store = await SqliteStore.open(file, { inboxWalLimitBytes: limit });
    try {
      const big = 'x'.repeat(1000);
      let largest = 0;
      for (let g = 0; g < 120; g++) {
        await store.ingest(Array.from({ length: 100 }, (_v, i) => ({ key: `w${g}-${i}`, source: 'event-streams' as const, payload: { big } })));
        largest = Math.max(largest, statSync(`${file}-wal`).size);
      }
      // 12,000 rows of ~1 KB back to back (> 12 MB of frames): the checkpoint thread copies them while the writer goes
      // on; past the limit the writer finishes a checkpoint itself and the WAL starts over (cut back to the limit).
      // Over it by at most what is written between two checks (3,000 rows, ~3.5 MB here).
      expect(largest).toBeLessThan(limit + 4 * 1024 * 1024);
      expect(statSync(`${file}-wal`).size).toBeLessThan(limit + 4 * 1024 * 1024);
    } finally {
      await store.close();
    }
  });

  it('starts the WAL over after each checkpoint pass under a sustained load, instead of growing it to its limit', async () => {
    const store = await SqliteStore.open(file);
    try {
      const big = 'x'.repeat(1000);
      let largest = 0;
      // 8 writers back to back: the writer thread always has a group queued, so a checkpoint pass never finds the
      // WAL idle. 24,000 rows of ~1 KB (> 24 MB of frames) against the default 256 MB limit.
      await Promise.all(Array.from({ length: 8 }, async (_w, w) => {
        for (let g = 0; g < 30; g++) {
          await store.ingest(Array.from({ length: 100 }, (_v, i) => ({ key: `s${w}-${g}-${i}`, source: 'event-streams' as const, payload: { big } })));
          largest = Math.max(largest, statSync(`${file}-wal`).size);
        }
      }));
      // a pass every 3,000 rows (~3.5 MB of frames here), plus what is committed while one runs
      expect(largest).toBeLessThan(12 * 1024 * 1024);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM inbox').pluck().get()).toBe(24_000);
    } finally {
      db.close();
    }
  });

  it('a write posted while an answer waits takes that answer at once, without waiting for an event-loop turn', async () => {
    await (await SqliteStore.open(file, { inboxThread: false })).close();
    const writer = new InboxWriterThread(file, { busyTimeoutMs: 5000, synchronous: 'FULL' });
    const reader = new Database(file, { readonly: true });
    try {
      const at = new Date().toISOString();
      await writer.write([['warm', 'sdk', '{}']], at);
      let settled = false;
      const first = writer.write([['first', 'sdk', '{}']], at).then((keys) => {
        settled = true;
        return keys;
      });
      // Block this thread (a burst of requests being parsed) until the thread has committed and answered 'first'.
      const pause = new Int32Array(new SharedArrayBuffer(4));
      const committed = reader.prepare("SELECT 1 FROM inbox WHERE key = 'first'").pluck();
      for (let waited = 0; committed.get() === undefined && waited < 10_000; waited += 5) Atomics.wait(pause, 0, 0, 5);
      Atomics.wait(pause, 0, 0, 100);
      const second = writer.write([['second', 'sdk', '{}']], at);
      // microtasks only: the reply port's 'message' event would need a turn of the event loop
      for (let i = 0; i < 10; i++) await Promise.resolve();
      expect(settled).toBe(true);
      expect(await first).toEqual(['first']);
      expect(await second).toEqual(['second']);
    } finally {
      reader.close();
      await writer.close();
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

  it('a thread that died fails only its own writes: one posted to the next thread before the dead one exits is answered', async () => {
    const template = join(dir, 'template.db');
    await (await SqliteStore.open(template, { inboxThread: false })).close();
    // no database file yet: the first thread fails at start ('error', then 'exit' a moment later)
    const writer = new InboxWriterThread(file, { busyTimeoutMs: 5000, synchronous: 'FULL' });
    try {
      const at = new Date().toISOString();
      const second = await writer.write([['first', 'sdk', '{}']], at).then(
        () => undefined,
        () => {
          // between the dead thread's 'error' and its 'exit': the file appears and the next write starts a new thread
          copyFileSync(template, file);
          return writer.write([['second', 'sdk', '{}']], at);
        },
      );
      expect(second).toEqual(['second']);
    } finally {
      await writer.close();
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

  describe('JSON batch deliveries: one inbox row each (migration 0005)', () => {
    const spec: JsonBatchSpec = { keyField: 'id', typeField: 'type', required: [['id', 64], ['type', 64]], optional: [], fallbackTypes: ['test'], maxItems: 100 };
    const ev = (id: string) => ({ id, type: 't', data: { id, text: 'é ✓' } });
    const batch = (...ids: string[]) => Buffer.from(` [ ${ids.map((id) => JSON.stringify(ev(id))).join(' ,\n')} ] `);
    const single = (key: string) => ({ key, source: 'event-streams' as const, payload: ev(key) });
    const rows = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT id, key, payload, item_keys FROM inbox ORDER BY id').all() as { id: number; key: string; payload: string; item_keys: string | null }[];
      } finally {
        db.close();
      }
    };
    const keyRows = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT key, inbox_id FROM inbox_keys ORDER BY key').raw().all() as [string, number][];
      } finally {
        db.close();
      }
    };

    it('journals the body before its answer and imports it at claim as one row of the items not known yet; a claim registers their keys and flags the items another row holds, single items both ways', async () => {
      const store = await SqliteStore.open(file);
      try {
        expect(await store.ingest([single('a')])).toMatchObject({ accepted: 1, duplicates: 0 });
        const first = batch('b', 'c', 'd');
        expect(await store.ingestJsonBatch(first, 'event-streams', spec)).toEqual({ accepted: 3, duplicates: 0 });
        // the answer counts the body's own repeats ('e' twice); the rest is deduped at import and claim
        expect(await store.ingestJsonBatch(batch('a', 'e', 'c', 'e', 'f'), 'event-streams', spec)).toEqual({ accepted: 4, duplicates: 1 });
        // a single item is inserted at once: 'd' is only in the journal yet
        expect(await store.ingest([single('d'), single('g')])).toMatchObject({ accepted: 2, duplicates: 0 });
        expect(await store.ingestJsonBatch(batch('b', 'f'), 'event-streams', spec)).toEqual({ accepted: 2, duplicates: 0 });
        // nothing of the batches in SQLite before the import
        expect(rows().map((x) => x.key)).toEqual(['a', 'd', 'g']);

        // imported in order, each delivery's distinct items: whether another row holds one ('a', 'd' single items', 'c',
        // 'b', 'f' other deliveries') is the claim's to find
        expect(store.importInboxJournal()).toMatchObject({ deliveries: 3, items: 9 });
        const r = rows();
        expect(r.map((x) => x.item_keys)).toEqual([null, null, null, '["b","c","d"]', '["a","e","c","f"]', '["b","f"]']);
        // a batch row's own key is not an event's (two unclaimed rows may start with the same one)
        expect(r.map((x) => (x.item_keys === null ? x.key : /^batch:/.test(x.key)))).toEqual(['a', 'd', 'g', true, true, true]);
        // the body as received; with a repeated key, the first copies' slices of it, as sent
        expect(r[3]!.payload).toBe(first.toString('utf8'));
        expect(r[4]!.payload).toBe(`[${['a', 'e', 'c', 'f'].map((k) => JSON.stringify(ev(k))).join(',')}]`);
        expect(keyRows()).toEqual([]);

        const claimed = await store.claimInbox({ workerId: 'w', limit: 100, leaseMs: 60_000, nowMs: Date.now() });
        const id = r.map((x) => x.id);
        expect(claimed.map((c) => [c.id, c.key, c.duplicate ?? false])).toEqual([
          [id[0], 'a', false], [id[1], 'd', false], [id[2], 'g', false], [id[3], 'b', false], [id[3], 'c', false], [id[3], 'd', true],
          [id[4], 'a', true], [id[4], 'e', false], [id[4], 'c', true], [id[4], 'f', false], [id[5], 'b', true], [id[5], 'f', true],
        ]);
        expect(claimed.filter((c) => !c.duplicate).map((c) => c.payload)).toEqual(['a', 'd', 'g', 'b', 'c', 'e', 'f'].map(ev));
        // the lowest row holding a key owns it
        expect(keyRows()).toEqual([['b', id[3]], ['c', id[3]], ['e', id[4]], ['f', id[4]]]);
        // claimed again after the lease: the same answer (its own keys are not duplicates)
        const again = await store.claimInbox({ workerId: 'w2', limit: 100, leaseMs: 60_000, nowMs: Date.now() + 120_000 });
        expect(again.map((c) => c.duplicate ?? false)).toEqual(claimed.map((c) => c.duplicate ?? false));
        // registered keys are known: a redelivery's flagged at its claim, a single item's dropped at once
        expect(await store.ingestJsonBatch(batch('c', 'h'), 'event-streams', spec)).toEqual({ accepted: 2, duplicates: 0 });
        const later = await store.claimInbox({ workerId: 'w3', limit: 100, leaseMs: 60_000, nowMs: Date.now() });
        expect(later.map((c) => [c.key, c.duplicate ?? false])).toEqual([['c', true], ['h', false]]);
        expect(await store.ingest([single('e')])).toMatchObject({ accepted: 0, duplicates: 1 });
      } finally {
        await store.close();
      }
    });

    it('pruning a row whose items were duplicates keeps the keys the holding row owns', async () => {
      const store = await SqliteStore.open(file);
      try {
        await store.ingestJsonBatch(batch('a', 'b'), 'event-streams', spec);
        await store.ingestJsonBatch(batch('a'), 'event-streams', spec); // imported before any claim: stored, flagged at claim
        const claimed = await store.claimInbox({ workerId: 'w', limit: 100, leaseMs: 60_000, nowMs: Date.now() });
        const [holder, dup] = [...new Set(claimed.map((c) => c.id))];
        expect(claimed.map((c) => [c.id, c.key, c.duplicate ?? false])).toEqual([[holder, 'a', false], [holder, 'b', false], [dup, 'a', true]]);
        // the duplicate row completes (and is pruned) first, its holder is still being processed
        await store.commit('twilio-flex', { processedInboxIds: [dup!] });
        expect(await store.pruneDelivered(Date.now() + 1000)).toMatchObject({ inbox: 1 });
        expect(keyRows()).toEqual([['a', holder], ['b', holder]]);
        await store.ingestJsonBatch(batch('a'), 'event-streams', spec);
        const later = await store.claimInbox({ workerId: 'w', limit: 100, leaseMs: 60_000, nowMs: Date.now() });
        expect(later.map((c) => [c.key, c.duplicate ?? false])).toEqual([['a', true]]);
      } finally {
        await store.close();
      }
    });

    it('a claim takes whole rows up to its item limit (at least one row); pruning a processed batch row frees its keys', async () => {
      const store = await SqliteStore.open(file);
      try {
        await store.ingestJsonBatch(batch('a', 'b', 'c'), 'event-streams', spec);
        store.importInboxJournal();
        await store.ingest([single('d')]);
        await store.ingestJsonBatch(batch('e', 'f'), 'event-streams', spec);
        const now = Date.now();
        const claim = (limit: number) => store.claimInbox({ workerId: 'w', limit, leaseMs: 60_000, nowMs: now }).then((items) => items.map((i) => i.key));
        expect(await claim(2)).toEqual(['a', 'b', 'c']); // one row of 3 over a limit of 2: a claim takes at least one row
        expect(await claim(3)).toEqual(['d', 'e', 'f']);
        expect(await claim(10)).toEqual([]);

        const ids = [...new Set(rows().map((r) => r.id))];
        await store.commit('twilio-flex', { processedInboxIds: ids });
        expect(await store.pruneDelivered(Date.now() + 1000)).toMatchObject({ inbox: 3 });
        const db = new Database(file, { readonly: true });
        try {
          expect(db.prepare('SELECT count(*) FROM inbox_keys').pluck().get()).toBe(0);
        } finally {
          db.close();
        }
        // pruned keys are forgotten (retention): the same events are new again
        await store.ingestJsonBatch(batch('a', 'e'), 'event-streams', spec);
        const later = await store.claimInbox({ workerId: 'w', limit: 100, leaseMs: 60_000, nowMs: now });
        expect(later.map((c) => [c.key, c.duplicate ?? false])).toEqual([['a', false], ['e', false]]);
      } finally {
        await store.close();
      }
    });
  });
});

describe('inbox writer shutdown', () => {
  /** Runs `script(store module, database file)` as an ES module in a child process (tsx); its exit status and output. */
  async function runChild(script: (storeModule: string, dbFile: string) => string, timeoutMs: number): Promise<{ status: number | null; out: string }> {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'tajo-inbox-writer-exit-'));
    try {
      const file = join(dir, 'child.mjs');
      writeFileSync(file, script(JSON.stringify(fileURLToPath(new URL('./sqliteStore.ts', import.meta.url))), JSON.stringify(join(dir, 'tajo.db'))));
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: timeoutMs });
      return { status: r.status, out: r.stdout.trim() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('close() after ingest lets a process with nothing else to do exit normally (not 13: unsettled await)', async () => {
    const r = await runChild((store, db) => `import { SqliteStore } from ${store};
const s = await SqliteStore.open(${db});
await s.ingest([{ key: 'k', source: 'sdk', payload: {} }]);
await s.close();
console.log('closed');`, 30_000);
    expect(r).toEqual({ status: 0, out: 'closed' });
  });

  it('an idle writer thread does not keep a process alive that never closed its store (its threads and ports are unref\'d)', async () => {
    const r = await runChild((store, db) => `import { SqliteStore } from ${store};
const s = await SqliteStore.open(${db});
const r = await s.ingest([{ key: 'k', source: 'sdk', payload: {} }]);
console.log('ingested ' + r.accepted);`, 15_000);
    // a port left ref'd held the process until the timeout killed it (status null)
    expect(r).toEqual({ status: 0, out: 'ingested 1' });
  });
});
