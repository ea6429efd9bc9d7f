import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/openStore.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

let dirs: { cleanup(): Promise<void> }[] = [];
afterEach(async () => {
  for (const d of dirs) await d.cleanup();
  dirs = [];
});

/** A data dir holding Brevo-side dead letters (replay puts their outbox row back: no connector needed) and a corrupt inbox row. */
async function withDeadLetters(): Promise<{ dir: string; ids: number[] }> {
  const d = await tempDir();
  dirs.push(d);
  const store = await openStore({ dataDir: d.path });
  try {
    await store.commit('twilio-flex', {
      deadLetters: [
        { source: 'brevo', reason: 'brevo_rejected', recordKey: 'contact:a', payload: {} },
        { source: 'brevo', reason: 'brevo_rejected', recordKey: 'contact:b', payload: {} },
        { source: 'webhook', reason: 'corrupt_inbox_row', recordKey: 'inbox:1', payload: 'not json' },
      ],
    });
    return { dir: d.path, ids: (await store.listDeadLetters()).map((x) => x.id) };
  } finally {
    await store.close();
  }
}

const statuses = async (dir: string) => {
  const all = [];
  for (const status of ['open', 'replayed', 'discarded']) all.push(...(await runCli(['--json', '--data-dir', dir, 'dlq', 'list', '--status', status])).json<{ id: number; status: string }[]>());
  return Object.fromEntries(all.map((x) => [x.id, x.status]));
};

describe('dlq replay / discard with several ids', () => {
  it('an unknown or closed id fails the command before any id is acted on', async () => {
    const { dir, ids } = await withDeadLetters();
    const [a, b] = ids as [number, number, number];

    const unknown = await runCli(['--data-dir', dir, 'dlq', 'discard', String(a), '999']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('No dead letter #999');
    expect(await statuses(dir)).toMatchObject({ [a]: 'open', [b]: 'open' });

    expect((await runCli(['--data-dir', dir, 'dlq', 'discard', String(b)])).code).toBe(0);
    const closed = await runCli(['--json', '--data-dir', dir, 'dlq', 'replay', String(a), String(b)]);
    expect(closed.code).toBe(64);
    expect(closed.json()).toMatchObject({ error: { code: 'TAJO_USAGE', message: `Dead letter #${b} is already discarded: nothing replayed` } });
    expect(await statuses(dir)).toMatchObject({ [a]: 'open', [b]: 'discarded' });
  });

  it('an id given twice is acted on once', async () => {
    const { dir, ids } = await withDeadLetters();
    const r = await runCli(['--json', '--data-dir', dir, 'dlq', 'discard', String(ids[0]), String(ids[0])]);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([{ id: ids[0], status: 'discarded' }]);
  });

  it('a refusal while acting names the ids already acted on', async () => {
    const { dir, ids } = await withDeadLetters();
    const [a, , corrupt] = ids as [number, number, number];
    const r = await runCli(['--data-dir', dir, 'dlq', 'replay', String(a), String(corrupt)]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`(#${a} was replayed before it)`);
    expect(await statuses(dir)).toMatchObject({ [a]: 'replayed', [corrupt]: 'open' });
  });
});
