import { closeSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonBatchSpec } from '../../core/jsonBatch.js';
import { journalDirOf, parseSegmentName } from './inboxJournal.js';
import { readJournalRecords } from './journalRecord.js';
import { JournalWriter } from './journalWriter.js';
import { SqliteStore } from './sqliteStore.js';

describe('the inbox journal writer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-journal-writer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const files = () => readdirSync(dir).sort();
  const records = (name: string) => readJournalRecords(readFileSync(join(dir, name))).map((r) => r.header);
  const writer = () => new JournalWriter({ dir, owner: 'h~1~aa', sync: true, segmentBytes: 1 << 20, rotateMs: 60_000 });
  /** The writer's current segment descriptor (a failure is provoked by closing it under the writer). */
  const fdOf = (w: JournalWriter) => (w as unknown as { seg?: { fd: number } }).seg?.fd;

  it('appends concurrent records in one segment, each resolved once synced, and seals the segment at close', async () => {
    const w = writer();
    await Promise.all(Array.from({ length: 50 }, (_v, i) => w.append(`{"n":${i}}`, Buffer.from(`body ${i}`))));
    const pending = w.append('{"n":"last"}', Buffer.from('last'));
    await w.close(); // waits for the group in progress
    await expect(pending).resolves.toBeUndefined();
    const [name] = files();
    expect(files()).toHaveLength(1);
    expect(records(name!)).toEqual([...Array.from({ length: 50 }, (_v, i) => `{"n":${i}}`), '{"n":"last"}', '{"end":true}']);
    await expect(w.append('{}', Buffer.alloc(0))).rejects.toThrow(/closed/);
  });

  it('a failed write rejects its group and leaves the segment unsealed for good; the next record goes to a new segment', async () => {
    const w = writer();
    await w.append('{"n":1}', Buffer.from('one'));
    closeSync(fdOf(w)!);
    await expect(w.append('{"n":2}', Buffer.from('two'))).rejects.toMatchObject({ code: 'EBADF' });
    await w.append('{"n":3}', Buffer.from('three'));
    await w.close();
    const [first, second] = files();
    expect(files()).toHaveLength(2);
    // no seal in the first (a later segment of the owner finishes it), nothing of the failed record
    expect(records(first!)).toEqual(['{"n":1}']);
    expect(records(second!)).toEqual(['{"n":3}', '{"end":true}']);
  });

  it('preallocates: the next segment is the spare renamed, full size from its first record, zeros past the last; close removes the spare', async () => {
    const w = new JournalWriter({ dir, owner: 'h~1~aa', sync: true, segmentBytes: 4096, rotateMs: 60_000 });
    await w.append('{"n":0}', Buffer.alloc(1000, 0x61));
    const spare = join(dir, 'h~1~aa~spare');
    for (let i = 0; i < 200 && !(existsSync(spare) && statSync(spare).size === 4096 && (w as unknown as { spare?: string }).spare === spare); i++) await new Promise((r) => setTimeout(r, 10));
    for (let i = 1; i < 5; i++) await w.append(`{"n":${i}}`, Buffer.alloc(1000, 0x61));
    const [first, second] = files().filter((n) => n.endsWith('.journal'));
    expect(statSync(join(dir, second!)).size).toBe(4096);
    const tail = readFileSync(join(dir, second!));
    const recs = readJournalRecords(tail);
    expect(recs.map((r) => r.header)).toEqual(['{"n":3}', '{"n":4}']);
    expect(tail.subarray(recs.at(-1)!.end).every((b) => b === 0)).toBe(true);
    expect(records(first!)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"end":true}']);
    await w.close();
    expect(files().filter((n) => !n.endsWith('.journal'))).toEqual([]);
  });

  it('a store whose journal cannot be written answers TAJO_STORE_UNAVAILABLE (the route\'s 503: the sender retries)', async () => {
    const spec: JsonBatchSpec = { keyField: 'id', typeField: 'type', required: [['id', 64], ['type', 64]], optional: [], fallbackTypes: [], maxItems: 10 };
    const file = join(dir, 'tajo.db');
    const store = await SqliteStore.open(file);
    try {
      await store.ingestJsonBatch(Buffer.from('[{"id":"a","type":"t"}]'), 'event-streams', spec);
      const journal = (store as unknown as { journal: JournalWriter }).journal;
      closeSync(fdOf(journal)!);
      await expect(store.ingestJsonBatch(Buffer.from('[{"id":"b","type":"t"}]'), 'event-streams', spec)).rejects.toMatchObject({ code: 'TAJO_STORE_UNAVAILABLE' });
      await store.ingestJsonBatch(Buffer.from('[{"id":"c","type":"t"}]'), 'event-streams', spec);
      const claimed = await store.claimInbox({ workerId: 'w', limit: 10, leaseMs: 60_000, nowMs: Date.now() });
      expect(claimed.map((c) => c.key)).toEqual(['a', 'c']);
      // the abandoned segment, finished by the later one, deleted (beside the live one, the writer's spare)
      expect(readdirSync(journalDirOf(file)).filter((n) => parseSegmentName(n))).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
