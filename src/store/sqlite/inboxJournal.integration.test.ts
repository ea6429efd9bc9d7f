/**
 * The inbox journal (inboxWriter.ts): an Event Streams delivery is durable in the writer thread's journal when it is
 * answered, and reaches the inbox exactly once — imported by its own thread, or, after the process was killed, by the
 * next writer thread started on the database. Child processes are SIGKILLed while they ingest; the parent reopens the
 * store and checks that every delivery a child saw answered is in the inbox, and that no record was imported twice.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonBatchSpec } from '../../core/jsonBatch.js';
import { SqliteStore } from './sqliteStore.js';

const spec: JsonBatchSpec = { keyField: 'id', typeField: 'type', required: [['id', 64], ['type', 64]], optional: [], fallbackTypes: ['test'], maxItems: 100 };
const batch = (ids: string[]) => Buffer.from(JSON.stringify(ids.map((id) => ({ id, type: 't', data: { id, pad: 'x'.repeat(200) } }))));

/** A process that ingests batches `${name}-${i}-{0,1,2}` until killed, printing each index once it is answered. */
function childScript(file: string, name: string, recycleBytes: number): string {
  const store = fileURLToPath(new URL('./sqliteStore.ts', import.meta.url));
  return `import { SqliteStore } from ${JSON.stringify(store)};
const spec = ${JSON.stringify(spec)};
const s = await SqliteStore.open(${JSON.stringify(file)}, { inboxJournalRecycleBytes: ${recycleBytes} });
const body = (i) => Buffer.from(JSON.stringify([0, 1, 2].map((j) => ({ id: '${name}-' + i + '-' + j, type: 't', data: { pad: 'x'.repeat(200) } }))));
for (let i = 0; ; i++) {
  // two in flight at a time: groups of more than one delivery
  const [a, b] = await Promise.all([s.ingestJsonBatch(body(2 * i), 'event-streams', spec), s.ingestJsonBatch(body(2 * i + 1), 'event-streams', spec)]);
  if (!a || !b || a.pending !== 3 || b.pending !== 3) throw new Error('not journaled: ' + JSON.stringify([a, b]));
  process.stdout.write((2 * i) + '\\n' + (2 * i + 1) + '\\n');
  // imports now and then inside a pass (the imported offset is then past the journal's start)
  if (i % 7 === 3) await s.flushInbox();
}
`;
}

function runUntil(script: string, answered: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.split('\n').length > answered) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${err.slice(-2000)}`));
      // only complete lines: an index is printed after its answer
      else resolve(out.split('\n').slice(0, -1).map(Number));
    });
  });
}

describe('inbox journal', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-inbox-journal-'));
    file = join(dir, 'tajo.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const journals = () => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT name, generation, imported FROM inbox_journals').all() as { name: string; generation: number; imported: number }[];
    } finally {
      db.close();
    }
  };

  it('two processes SIGKILLed while ingesting: every answered delivery reaches the inbox once, recovered by the next store', { timeout: 60_000 }, async () => {
    await (await SqliteStore.open(file)).close();
    const scripts = ['a', 'b'].map((name) => {
      const script = join(dir, `child-${name}.mjs`);
      // a small journal: the children's journals start over several times before the kill
      writeFileSync(script, childScript(file, name, 8 * 1024));
      return script;
    });
    const [a, b] = await Promise.all([runUntil(scripts[0]!, 150), runUntil(scripts[1]!, 200)]);
    expect(a!.length).toBeGreaterThanOrEqual(150);
    expect(b!.length).toBeGreaterThanOrEqual(200);
    // the killed processes left their journals (and their rows)
    expect(readdirSync(`${file}.inbox`).length).toBe(2);
    expect(journals().length).toBe(2);
    expect(Math.max(...journals().map((j) => j.generation))).toBeGreaterThan(1);

    const imports: { items: number; accepted: number }[] = [];
    const store = await SqliteStore.open(file);
    store.onInboxImported((r) => imports.push(r));
    try {
      await store.flushInbox();
      const claimed = await store.claimInbox({ workerId: 't', limit: 100_000, leaseMs: 60_000, nowMs: Date.now() });
      const keys = new Set(claimed.map((c) => c.key));
      expect(claimed.length).toBe(keys.size);
      const answered = [...a!.map((i) => `a-${i}`), ...b!.map((i) => `b-${i}`)].flatMap((p) => [0, 1, 2].map((j) => `${p}-${j}`));
      expect(answered.filter((k) => !keys.has(k))).toEqual([]);
      // at most the deliveries in flight at the kill were stored unanswered (two per child)
      expect(keys.size - answered.length).toBeLessThanOrEqual(2 * 2 * 3);
      // what the children imported themselves plus what recovery imported is each key once: recovery imported no key
      // a child had imported (it would have counted it as a duplicate)
      const recovered = imports.reduce((s, r) => s + r.items, 0);
      expect(imports.reduce((s, r) => s + r.accepted, 0)).toBe(recovered);
      expect(recovered).toBeGreaterThan(0);
      // the dead journals are gone; this store's own journal is the only one
      expect(journals().length).toBe(1);
      expect(readdirSync(`${file}.inbox`).length).toBe(1);
    } finally {
      await store.close();
    }
    // closed cleanly: everything imported, no journal left
    expect(journals()).toEqual([]);
    expect(readdirSync(`${file}.inbox`)).toEqual([]);
  });

  it('recovery imports a dead journal from where its owner stopped importing, not from its start', { timeout: 30_000 }, async () => {
    await (await SqliteStore.open(file)).close();
    const store = fileURLToPath(new URL('./sqliteStore.ts', import.meta.url));
    const script = join(dir, 'child.mjs');
    // four deliveries imported by the child itself, two more only journaled when it is killed (its import waits 50 ms)
    writeFileSync(script, `import { SqliteStore } from ${JSON.stringify(store)};
const s = await SqliteStore.open(${JSON.stringify(file)});
const body = (i) => Buffer.from(JSON.stringify([0, 1, 2].map((j) => ({ id: 'd-' + i + '-' + j, type: 't' }))));
for (let i = 0; i < 4; i++) await s.ingestJsonBatch(body(i), 'event-streams', ${JSON.stringify(spec)});
await s.flushInbox();
for (let i = 4; i < 6; i++) await s.ingestJsonBatch(body(i), 'event-streams', ${JSON.stringify(spec)});
process.kill(process.pid, 'SIGKILL');
`);
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' }).once('exit', (_c, sig) => resolve(sig)));
    expect(exit).toBe('SIGKILL');
    expect(journals()).toMatchObject([{ generation: 1 }]);
    expect(journals()[0]!.imported).toBeGreaterThan(0);

    const imports: { items: number; accepted: number }[] = [];
    const reopened = await SqliteStore.open(file);
    reopened.onInboxImported((r) => imports.push(r));
    try {
      await reopened.flushInbox();
      expect(imports.map((r) => [r.items, r.accepted])).toEqual([[6, 6]]);
      const keys = (await reopened.claimInbox({ workerId: 't', limit: 100, leaseMs: 60_000, nowMs: Date.now() })).map((c) => c.key);
      expect(keys.sort()).toEqual(Array.from({ length: 6 }, (_v, i) => [0, 1, 2].map((j) => `d-${i}-${j}`)).flat().sort());
    } finally {
      await reopened.close();
    }
  });

  it('starts over from its start once all of it is imported: the file stays small, nothing is lost', async () => {
    const store = await SqliteStore.open(file, { inboxJournalRecycleBytes: 4096 });
    try {
      for (let i = 0; i < 60; i++) {
        expect(await store.ingestJsonBatch(batch([`r${i}-0`, `r${i}-1`]), 'event-streams', spec)).toMatchObject({ pending: 2 });
        if (i % 3 === 2) await store.flushInbox();
      }
      const claimed = await store.claimInbox({ workerId: 't', limit: 1000, leaseMs: 60_000, nowMs: Date.now() });
      expect(claimed.map((c) => c.key).sort()).toEqual(Array.from({ length: 60 }, (_v, i) => [`r${i}-0`, `r${i}-1`]).flat().sort());
      const [j] = journals();
      expect(j!.generation).toBeGreaterThan(5);
      // about one pass (4 KiB) plus the three ~500-byte records written past it before an import
      expect(statSync(join(`${file}.inbox`, j!.name)).size).toBeLessThan(4096 + 4 * 1024);
    } finally {
      await store.close();
    }
  });
});
