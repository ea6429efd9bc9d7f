/** The dashboard's sync-health view over a real SQLite store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { DeadLetterInput } from '../store/types.js';
import { syncHealth } from './health.js';

const C = 'twilio-flex';

describe('sync health', () => {
  let dir: string;
  let store: SqliteStore;
  let t = Date.UTC(2026, 10, 2);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-health-'));
    store = await SqliteStore.open(join(dir, 'tajo.db'), { now: () => t });
    // 1,200 open letters of one reason, then one of another: more than one page of the store's listing
    const malformed: DeadLetterInput[] = Array.from({ length: 1200 }, (_, i) => ({
      source: 'twilio', reason: 'malformed_attributes', recordKey: `WT${String(i).padStart(5, '0')}`, payload: {}, error: `bad attributes #${i}`,
    }));
    for (let i = 0; i < malformed.length; i += 100) {
      t += 1000;
      await store.commit(C, { deadLetters: malformed.slice(i, i + 100) });
    }
    t += 1000;
    await store.commit(C, { deadLetters: [{ source: 'twilio', reason: 'unknown_channel', recordKey: 'WTLAST', payload: {}, error: 'channel cannot be resolved' }] });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recent dead letters and last errors come from the newest letters, with every open one counted', async () => {
    const h = await syncHealth(store, C, t);
    expect(h.dead_letters.open).toBe(1201);
    expect(h.dead_letters.by_reason).toEqual({ malformed_attributes: 1200, unknown_channel: 1 });
    expect(h.dead_letters.recent.map((d) => d.record_key)).toEqual(['WTLAST', 'WT01199', 'WT01198', 'WT01197', 'WT01196', 'WT01195', 'WT01194', 'WT01193', 'WT01192', 'WT01191']);
    expect(h.last_errors.map((e) => [e.code, e.count, e.message])).toEqual([
      ['unknown_channel', 1, 'channel cannot be resolved'],
      ['malformed_attributes', 1200, 'bad attributes #1199'],
    ]);
  });

  it('the person a letter is about is masked in this browser view (record key, error, last errors)', async () => {
    t += 1000;
    await store.commit(C, { deadLetters: [{ source: 'brevo', reason: 'brevo_duplicate_sms', recordKey: 'contact:+14155550100', payload: {}, error: 'SMS +14155550100 of jane.doe@example.com is already associated with another contact' }] });
    const h = await syncHealth(store, C, t);
    const text = JSON.stringify(h);
    expect(text).not.toContain('14155550100');
    expect(text).not.toContain('jane.doe');
    expect(h.dead_letters.recent[0]).toMatchObject({ reason: 'brevo_duplicate_sms', record_key: 'contact:+1415•••0100' });
    expect(h.dead_letters.recent[0]?.error).toContain('j•••@example.com');
  });
});
