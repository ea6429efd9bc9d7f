import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonBatchSpec } from '../../core/jsonBatch.js';
import { journalDirOf, journalHost, parseSegmentName } from './inboxJournal.js';
import { customer, interaction } from '../contract.js';
import { encodeJournalRecord, readJournalRecords } from './journalRecord.js';
import { SqliteStore } from './sqliteStore.js';

const spec: JsonBatchSpec = { keyField: 'id', typeField: 'type', required: [['id', 64], ['type', 64]], optional: [], fallbackTypes: ['test'], maxItems: 100 };
const ev = (id: string, extra: Record<string, string> = {}) => ({ id, type: 't', data: { id, text: 'é ✓', ...extra } });
const batch = (...ids: string[]) => Buffer.from(JSON.stringify(ids.map((id) => ev(id))));

describe('the inbox journal (Event Streams deliveries before their import)', () => {
  let dir: string;
  let file: string;
  let jdir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-journal-'));
    file = join(dir, 'tajo.db');
    jdir = journalDirOf(file);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const segments = () => {
    try {
      return readdirSync(jdir).filter((n) => n.endsWith('.journal')).sort();
    } catch {
      return [];
    }
  };
  const inboxKeys = () => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT item_keys FROM inbox WHERE item_keys IS NOT NULL ORDER BY id').pluck().all() as string[]).flatMap((k) => JSON.parse(k) as string[]);
    } finally {
      db.close();
    }
  };
  const journalRows = () => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT name, imported FROM inbox_journals ORDER BY name').all() as { name: string; imported: number }[];
    } finally {
      db.close();
    }
  };

  it('an acknowledged delivery is in its segment, as received, before any SQLite write; the claim imports it once', async () => {
    const store = await SqliteStore.open(file);
    try {
      const body = batch('a', 'b');
      await store.ingestJsonBatch(body, 'event-streams', spec);
      const [name] = segments();
      const seg = parseSegmentName(name!);
      expect(seg).toMatchObject({ host: journalHost(), pid: process.pid });
      const recs = readJournalRecords(readFileSync(join(jdir, name!)));
      expect(recs).toHaveLength(1);
      expect(recs[0]!.body.equals(body)).toBe(true);
      expect(JSON.parse(recs[0]!.header)).toMatchObject({ s: 'event-streams', k: ['a', 'b'] });
      expect(inboxKeys()).toEqual([]);

      const claimed = await store.claimInbox({ workerId: 'w', limit: 100, leaseMs: 60_000, nowMs: Date.now() });
      expect(claimed.map((c) => c.key)).toEqual(['a', 'b']);
      expect(journalRows()).toEqual([{ name, imported: recs[0]!.end }]);
      // imported once: the next claim finds nothing new, the live segment stays
      expect(store.importInboxJournal()).toEqual({ deliveries: 0, items: 0, segmentsDeleted: 0 });
      expect(segments()).toEqual([name]);
    } finally {
      await store.close();
    }
    // closed: the segment is sealed, and the next import (any process) deletes it, then its row
    const again = await SqliteStore.open(file, { inboxThread: false });
    try {
      expect(again.importInboxJournal()).toEqual({ deliveries: 0, items: 0, segmentsDeleted: 1 });
      expect(segments()).toEqual([]);
      expect(journalRows()).toEqual([]);
      expect(inboxKeys()).toEqual(['a', 'b']);
    } finally {
      await again.close();
    }
  });

  it('two stores on one file importing at once import every delivery exactly once', async () => {
    const writer = await SqliteStore.open(file, { journalSegmentBytes: 4096 });
    const a = await SqliteStore.open(file, { inboxThread: false });
    const b = await SqliteStore.open(file, { inboxThread: false });
    try {
      const ids = Array.from({ length: 300 }, (_v, i) => `e${i}`);
      const acks = ids.map((id, i) => writer.ingestJsonBatch(batch(id), 'event-streams', spec).then(() => {
        // imports interleaved with the writes, from two connections
        if (i % 7 === 0) (i % 2 ? a : b).importInboxJournal();
      }));
      await Promise.all(acks);
      a.importInboxJournal();
      b.importInboxJournal();
      expect(inboxKeys().sort()).toEqual([...ids].sort());
      // 4 KB segments: many, and every finished one deleted once imported (the live one stays)
      expect(segments().length).toBe(1);
    } finally {
      await writer.close();
      await a.close();
      await b.close();
    }
  });

  it('a process killed after its acknowledgements: every acknowledged delivery is imported, a torn tail is not, the segment goes', async () => {
    await (await SqliteStore.open(file, { inboxThread: false })).close();
    const child = join(dir, 'child.mjs');
    const storeModule = JSON.stringify(fileURLToPath(new URL('./sqliteStore.ts', import.meta.url)));
    writeFileSync(child, `import { SqliteStore } from ${storeModule};
const spec = ${JSON.stringify(spec)};
const s = await SqliteStore.open(${JSON.stringify(file)});
await Promise.all(Array.from({ length: 50 }, (_v, i) => s.ingestJsonBatch(Buffer.from(JSON.stringify([{ id: 'k' + i, type: 't' }])), 'event-streams', spec)));
console.log('acked');
process.kill(process.pid, 'SIGKILL');`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('acked');
    expect(r.signal).toBe('SIGKILL');
    const [name] = segments();
    // what a write cut short by the crash leaves behind the acknowledged records
    appendFileSync(join(jdir, name!), encodeJournalRecord('{"s":"event-streams","k":["torn"]}', Buffer.from('[{"id":"torn","type":"t"}]')).subarray(0, 30));
    const store = await SqliteStore.open(file, { inboxThread: false });
    try {
      expect(store.importInboxJournal()).toEqual({ deliveries: 50, items: 50, segmentsDeleted: 1 });
      expect(inboxKeys().sort()).toEqual(Array.from({ length: 50 }, (_v, i) => `k${i}`).sort());
      expect(segments()).toEqual([]);
      expect(journalRows()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a live owner\'s segment is kept while it may still grow: a record being written is left for the next import', async () => {
    await (await SqliteStore.open(file, { inboxThread: false })).close();
    mkdirSync(jdir, { recursive: true });
    // another writer of this process (alive), its newest segment: a whole record and the first bytes of the next
    const name = `${journalHost()}~${process.pid}~abcd1234~0000000000001.journal`;
    const r1 = encodeJournalRecord('{"s":"event-streams","a":"2026-12-01T00:00:00.000Z","k":["x1"]}', Buffer.from('[{"id":"x1","type":"t"}]'));
    const r2 = encodeJournalRecord('{"s":"event-streams","a":"2026-12-01T00:00:01.000Z","k":["x2"]}', Buffer.from('[{"id":"x2","type":"t"}]'));
    writeFileSync(join(jdir, name), Buffer.concat([r1, r2.subarray(0, 20)]));
    const store = await SqliteStore.open(file, { inboxThread: false });
    try {
      expect(store.importInboxJournal()).toEqual({ deliveries: 1, items: 1, segmentsDeleted: 0 });
      appendFileSync(join(jdir, name), r2.subarray(20));
      expect(store.importInboxJournal()).toEqual({ deliveries: 1, items: 1, segmentsDeleted: 0 });
      expect(inboxKeys()).toEqual(['x1', 'x2']);
      expect(journalRows()).toEqual([{ name, imported: r1.length + r2.length }]);
      // the received time is the acknowledgement's, not the import's
      const db = new Database(file, { readonly: true });
      expect(db.prepare('SELECT received_at FROM inbox ORDER BY id').pluck().all()).toEqual(['2026-12-01T00:00:00.000Z', '2026-12-01T00:00:01.000Z']);
      db.close();
      // not written for over an hour: its writer is gone (a writer never appends to a segment that old)
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(join(jdir, name), old, old);
      expect(store.importInboxJournal()).toEqual({ deliveries: 0, items: 0, segmentsDeleted: 1 });
      // a later segment of an owner finishes its earlier ones (a write failed there, or its thread died)
      const s1 = `${journalHost()}~${process.pid}~beef0001~0000000000001.journal`;
      const s2 = `${journalHost()}~${process.pid}~beef0001~0000000000002.journal`;
      writeFileSync(join(jdir, s1), Buffer.concat([encodeJournalRecord('{"s":"event-streams","k":["y1"]}', Buffer.from('[{"id":"y1","type":"t"}]')), Buffer.from('garbage')]));
      writeFileSync(join(jdir, s2), encodeJournalRecord('{"s":"event-streams","k":["y2"]}', Buffer.from('[{"id":"y2","type":"t"}]')));
      expect(store.importInboxJournal()).toEqual({ deliveries: 2, items: 2, segmentsDeleted: 1 });
      expect(segments()).toEqual([s2]);
    } finally {
      await store.close();
    }
  });

  it('a preallocated segment (zeros past its last record): imported up to the zeros, kept while its writer lives, deleted once it is gone, with its spare', async () => {
    await (await SqliteStore.open(file, { inboxThread: false })).close();
    mkdirSync(jdir, { recursive: true });
    const rec = (k: string) => encodeJournalRecord(`{"s":"event-streams","k":["${k}"]}`, Buffer.from(`[{"id":"${k}","type":"t"}]`));
    const [r1, r2, r3] = [rec('z1'), rec('z2'), rec('z3')];
    // a live writer (this process): records written into the zeros of its segment one after another
    const live = `${journalHost()}~${process.pid}~cafe0001~0000000000001.journal`;
    writeFileSync(join(jdir, live), Buffer.concat([r1!, Buffer.alloc(4096)]));
    // a dead writer's (a pid no process has now): two records, zeros, and its spare
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    const gone = `${journalHost()}~${dead}~dead0001~0000000000001.journal`;
    writeFileSync(join(jdir, gone), Buffer.concat([r2!, r3!, Buffer.alloc(4096)]));
    writeFileSync(join(jdir, `${journalHost()}~${dead}~dead0001~spare`), Buffer.alloc(4096));
    writeFileSync(join(jdir, `${journalHost()}~${process.pid}~cafe0001~spare`), Buffer.alloc(4096));
    const store = await SqliteStore.open(file, { inboxThread: false });
    try {
      expect(store.importInboxJournal()).toEqual({ deliveries: 3, items: 3, segmentsDeleted: 1 });
      expect(readdirSync(jdir).sort()).toEqual([live, `${journalHost()}~${process.pid}~cafe0001~spare`]);
      // zeros at the imported offset: nothing new, nothing read again
      expect(store.importInboxJournal()).toEqual({ deliveries: 0, items: 0, segmentsDeleted: 0 });
      const fd = openSync(join(jdir, live), 'r+');
      writeSync(fd, rec('z4'), 0, rec('z4').length, r1!.length);
      closeSync(fd);
      expect(store.importInboxJournal()).toEqual({ deliveries: 1, items: 1, segmentsDeleted: 0 });
      expect(inboxKeys().sort()).toEqual(['z1', 'z2', 'z3', 'z4']);
      expect(journalRows()).toEqual([{ name: live, imported: r1!.length + rec('z4').length }]);
    } finally {
      await store.close();
    }
  });

  it('moves to a new segment past its size and after its age, the idle writer too; finished segments go once imported', async () => {
    const store = await SqliteStore.open(file, { journalSegmentBytes: 600, journalRotateMs: 300 });
    try {
      for (let i = 0; i < 10; i++) await store.ingestJsonBatch(batch(`s${i}`, `t${i}`, `u${i}`), 'event-streams', spec);
      const many = segments();
      expect(many.length).toBeGreaterThan(3);
      const seqs = many.map((n) => parseSegmentName(n)!.seq);
      expect(seqs.every((q, i) => i === 0 || q > seqs[i - 1]!)).toBe(true);
      expect(store.importInboxJournal()).toMatchObject({ deliveries: 10, items: 30, segmentsDeleted: many.length - 1 });
      expect(segments()).toEqual([many.at(-1)]);
      // idle past its age: sealed by the writer's timer, then deleted by the next import
      await new Promise((r) => setTimeout(r, 800));
      expect(store.importInboxJournal()).toMatchObject({ deliveries: 0, segmentsDeleted: 1 });
      expect(segments()).toEqual([]);
      // the next delivery opens the next segment: a number never used before, though none is left on disk
      await store.ingestJsonBatch(batch('v'), 'event-streams', spec);
      const [next] = segments().map((n) => parseSegmentName(n)!.seq);
      expect(next).toBeGreaterThan(seqs.at(-1)!);
    } finally {
      await store.close();
    }
  });

  it('forget imports what is journaled, erases it from the inbox, and leaves no imported copy in a segment', async () => {
    const store = await SqliteStore.open(file);
    try {
      await store.commit('twilio-flex', { customers: [customer('c1', { email: 'ada@example.com', phone: null })] });
      const body = Buffer.from(JSON.stringify([ev('p1', { email: 'ada@example.com' })]));
      await store.ingestJsonBatch(body, 'event-streams', spec);
      const [name] = segments();
      expect(readFileSync(join(jdir, name!)).includes('ada@example.com')).toBe(true);
      // found in the inbox: imported first (a batch row is kept for `tajo prune`, as any batch row naming others may be)
      expect(await store.forgetCustomer('twilio-flex', 'c1')).toMatchObject({ inboxKept: 1 });
      // still this writer's live segment, but its imported part zeroed
      expect(segments()).toEqual([name]);
      expect(readFileSync(join(jdir, name!)).includes('ada@example.com')).toBe(false);
      // the writer goes on appending after the zeros, and those records import as usual
      await store.ingestJsonBatch(batch('after'), 'event-streams', spec);
      expect(store.importInboxJournal()).toMatchObject({ deliveries: 1, items: 1 });
    } finally {
      await store.close();
    }
  });

  it('prune keeps the forgotten task a webhook still in the journal names (its processing would bring the task back)', async () => {
    const store = await SqliteStore.open(file);
    try {
      await store.commit('twilio-flex', { interactions: [interaction('WT4', { customerKey: 'c1' })], customers: [customer('c1')] });
      await store.forgetCustomer('twilio-flex', 'c1');
      await store.ingestJsonBatch(Buffer.from(JSON.stringify([{ id: 'EV4', type: 't', data: { task_sid: 'WT4' } }])), 'event-streams', spec);
      expect(await store.pruneForgotten(Date.now() + 60_000)).toBe(0);
      expect(await store.forgottenTasks('twilio-flex', ['WT4'])).toEqual(['WT4']);
    } finally {
      await store.close();
    }
  });

  it('a claim imports a backlog a chunk at a time (whole records, a longer one alone), the next claims the rest', async () => {
    const store = await SqliteStore.open(file, { journalSegmentBytes: 3000 });
    try {
      const ids = Array.from({ length: 40 }, (_v, i) => `b${i}`);
      for (const id of ids) await store.ingestJsonBatch(batch(id), 'event-streams', spec);
      const big = Buffer.from(JSON.stringify([ev('huge', { pad: 'x'.repeat(5000) })]));
      await store.ingestJsonBatch(big, 'event-streams', spec);
      const got: number[] = [];
      for (let r = store.importInboxJournal(1000); r.deliveries > 0; r = store.importInboxJournal(1000)) got.push(r.deliveries);
      // ~150 bytes a record: several deliveries per call, never the whole backlog at once; the 5 KB one alone
      expect(got.length).toBeGreaterThan(4);
      expect(Math.max(...got)).toBeLessThan(41);
      expect(got.reduce((a, b) => a + b, 0)).toBe(41);
      expect(inboxKeys().sort()).toEqual([...ids, 'huge'].sort());
      expect(segments()).toHaveLength(1); // every finished segment imported and deleted, the live one stays
    } finally {
      await store.close();
    }
  });
});
