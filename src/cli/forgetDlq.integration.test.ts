/** `tajo forget` then `tajo dlq replay`, through the CLI: dead letters about the person go, a later one is refused. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { DeadLetterInput, InteractionRow } from '../store/types.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

const C = 'twilio-flex';
const jane = '+14155550177';
const task = `WT${'0'.repeat(31)}7`;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const interaction: InteractionRow = {
  taskSid: task, customerKey: jane, channel: 'voice', queueSid: null, queueName: null, workerSid: null, workerName: null, createdMs: 0, answeredMs: null,
  wrapupMs: null, endedMs: null, outcome: 'completed', conversationSid: null, conversationClosedMs: null, waitSeconds: null, handleSeconds: null,
  attributes: { from: jane }, updatedAt: new Date(0).toISOString(), cancelReason: null,
};

describe('tajo forget + tajo dlq replay', () => {
  it('forget removes the dead letters about the person and says so; replaying one set aside later is refused with TAJO_DEAD_LETTER_FORGOTTEN', async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const refused: DeadLetterInput = { source: 'brevo', reason: 'brevo_rejected', recordKey: `SUPPORT_REQUESTED:${task}`, payload: { event_name: 'SUPPORT_REQUESTED', identifiers: { ext_id: jane } }, error: '400' };
    let store = await SqliteStore.open(join(dir.path, 'tajo.db'));
    await store.commit(C, { interactions: [interaction], customers: [{ key: jane, email: null, phone: jane, whatsapp: null, chatIdentity: null, smsBlacklisted: false, whatsappBlacklisted: false, pushedHash: null, updatedAt: new Date(0).toISOString(), version: 0 }], deadLetters: [refused] });
    await store.close();

    const text = await runCli(['--data-dir', dir.path, 'forget', jane]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('1 dead letters');
    store = await SqliteStore.open(join(dir.path, 'tajo.db'));
    expect(await store.listDeadLetters({})).toEqual([]);
    // a write about her task dead-lettered after the forget (it was on its way to Brevo)
    await store.commit(C, { deadLetters: [refused] });
    const [letter] = await store.listDeadLetters({});
    await store.close();

    const replay = await runCli(['--json', '--data-dir', dir.path, 'dlq', 'replay', String(letter!.id)]);
    expect(replay.code).toBe(65);
    expect(replay.stdout + replay.stderr).toContain('TAJO_DEAD_LETTER_FORGOTTEN');
    expect(replay.stdout + replay.stderr).not.toContain(jane);
    store = await SqliteStore.open(join(dir.path, 'tajo.db'));
    expect((await store.getDeadLetter(letter!.id))?.status).toBe('open');
    expect((await store.outboxStats()).pending).toBe(0);
    await store.close();
  });
});
