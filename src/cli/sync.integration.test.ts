import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { TajoClient } from '../sdk/index.js';
import { bufferIo } from './io.js';
import { main } from './main.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

let emu: RunningEmulator;
let dir: { path: string; cleanup(): Promise<void> };
let args: string[];

beforeAll(async () => {
  emu = await startEmulator({ seed: 21, scale: 'small', timeScale: 60 });
  dir = await tempDir();
  expect((await runCli(['--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
  const boot = (await runCli(['--json', '--data-dir', dir.path, 'connectors', 'bootstrap', 'twilio-flex', '--create-lists'])).json<{ lists: { key: string; id: number }[] }>();
  const cfg = join(dir.path, 'tajo.yaml');
  await writeFile(cfg, `connectors:\n  twilio_flex:\n    lists:\n${boot.lists.map((l) => `      ${l.key}: ${l.id}\n`).join('')}`);
  args = ['--config', cfg, '--data-dir', dir.path];
});

afterAll(async () => {
  await emu?.close();
  await dir?.cleanup();
});

describe('connectors sync', () => {
  it('--dry-run plans Brevo writes and writes nothing', async () => {
    const r = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--dry-run']);
    expect(r.code).toBe(0);
    const rep = r.json<{ dryRun: boolean; outbox: { contact: number; event: number }; sampleContacts: unknown[]; delivery?: unknown }>();
    expect(rep.dryRun).toBe(true);
    expect(rep.outbox.contact).toBeGreaterThan(0);
    expect(rep.sampleContacts.length).toBeGreaterThan(0);
    expect(rep.delivery).toBeUndefined();
    const status = (await runCli(['--json', ...args, 'connectors', 'status', 'twilio-flex'])).json<{ conversationsTracked: number; lastSync: string | null }>();
    expect(status).toMatchObject({ conversationsTracked: 0, lastSync: null });
    const brevo = (await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { contacts: unknown[]; events: unknown[] };
    expect(brevo.contacts).toHaveLength(0);
    // the records it would dead-letter are counted, not stored: the human report does not send the reader to `dlq list`
    expect(Object.keys(r.json<{ deadLetters: Record<string, number> }>().deadLetters).length).toBeGreaterThan(0);
    const human = await runCli([...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--dry-run']);
    expect(human.stdout).toMatch(/dead letters it would open: .+ \(a dry run stores none\)/);
    expect(human.stdout).not.toContain('tajo dlq list');
    expect((await runCli(['--json', ...args, 'dlq', 'list'])).json()).toEqual([]);
  });

  it('a full sync fills Brevo, prints per-stream progress, and status reflects it', async () => {
    const r = await runCli([...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/taskrouter_events: [\d,]+ records, [\d,]+ requests — done/);
    expect(r.stderr).toMatch(/brevo delivery: [\d,]+ delivered, 0 pending/);
    expect(r.stdout).toMatch(/^Sync \(full\) finished in/);
    for (const s of [emu.info.authToken, emu.info.brevoApiKey]) expect(r.stdout + r.stderr).not.toContain(s);

    const truth = emu.truth();
    const brevo = (await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { contacts: { ext_id: string }[] };
    expect(brevo.contacts.map((c) => c.ext_id).sort()).toEqual(truth.contacts.map((c) => c.ext_id).sort());

    const s = (await runCli(['--json', ...args, 'connectors', 'status', 'twilio-flex'])).json<{
      conversationsTracked: number;
      customersLinked: number;
      agentsMonitored: number;
      lastSync: string | null;
      streams: { stream: string }[];
      outbox: { pending: number; delivered: number };
      deadLetters: { open: number; byReason: Record<string, number> };
    }>();
    expect(s.conversationsTracked).toBeGreaterThan(0);
    expect(s.customersLinked).toBe(truth.contacts.length);
    expect(s.agentsMonitored).toBe(truth.counts.agents);
    expect(s.lastSync).not.toBeNull();
    expect(s.streams.map((x) => x.stream)).toContain('taskrouter_events');
    expect(s.outbox.pending).toBe(0);
    expect(s.deadLetters.open).toBe(truth.deadLetters.length);
  });

  it('dead letters can be listed, shown and discarded', async () => {
    const truth = emu.truth();
    const list = (await runCli(['--json', ...args, 'dlq', 'list'])).json<{ id: number; reason: string; recordKey: string }[]>();
    expect(list.map((d) => `${d.reason}:${d.recordKey}`).sort()).toEqual(truth.deadLetters.map((d) => `${d.reason}:${d.source_sid}`).sort());
    const first = list[0]!;
    const shown = await runCli([...args, 'dlq', 'show', String(first.id)]);
    expect(shown.stdout).toContain(`reason:  ${first.reason}`);
    expect((await runCli([...args, 'dlq', 'discard', String(first.id)])).code).toBe(0);
    const after = (await runCli(['--json', ...args, 'dlq', 'list', '--status', 'discarded'])).json<{ id: number }[]>();
    expect(after.map((d) => d.id)).toEqual([first.id]);
    expect((await runCli([...args, 'dlq', 'discard', String(first.id)])).code).toBe(64);

    // Replaying a Twilio-side letter derives the task again: still malformed, it opens a new letter.
    const second = list[1]!;
    const replay = await runCli(['--json', ...args, 'dlq', 'replay', String(second.id)]);
    expect(replay.code).toBe(65);
    const open = (await runCli(['--json', ...args, 'dlq', 'list'])).json<{ id: number; reason: string; recordKey: string; error?: string }[]>();
    const again = open.find((d) => d.recordKey === second.recordKey);
    expect(again).toMatchObject({ reason: second.reason });
    expect(again!.id).not.toBe(second.id);
    // the result says it failed again and names the dead letter it is in now
    expect(replay.json()).toEqual([{ id: second.id, status: 'failed', requeued: 0, deadLetters: [{ id: again!.id, reason: second.reason, ...(again!.error ? { error: again!.error } : {}) }] }]);
    const human = await runCli([...args, 'dlq', 'replay', String(again!.id)]);
    expect(human.code).toBe(65);
    expect(human.stdout).toContain(`✗ #${again!.id} replayed and failed again: now dead letter #`);
    expect(human.stdout).not.toContain('✓');
  });

  it('an incremental sync right after sends nothing new', async () => {
    const r = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ type: 'incremental', status: 'ok', outbox: { event: 0 } });
  });

  it('prune deletes delivered payloads, and a full sync after it sends nothing again (the ledger remembers)', async () => {
    const eventsIn = async () => ((await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { events: unknown[] }).events.length;
    const before = await eventsIn();
    const kept = (await runCli(['--json', ...args, 'prune'])).json<{ outboxRowsDeleted: number }>();
    expect(kept.outboxRowsDeleted).toBe(0); // everything was delivered minutes ago, within the default 7 days
    const r = await runCli(['--json', ...args, 'prune', '--older-than-days', '0']);
    expect(r.code).toBe(0);
    const pruned = r.json<{ outboxRowsDeleted: number; inboxRowsDeleted: number }>();
    expect(pruned.outboxRowsDeleted).toBeGreaterThan(before);
    expect((await runCli(['--json', ...args, 'connectors', 'status', 'twilio-flex'])).json<{ outbox: { delivered: number } }>()).toMatchObject({ outbox: { delivered: 0 } });
    const again = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full']);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ status: 'ok', outbox: { event: 0 } });
    expect(await eventsIn()).toBe(before);
    expect((await runCli(['--data-dir', dir.path, 'prune', '--older-than-days', '-1'])).code).not.toBe(0);
  });

  it('forget removes a person from the store and, when asked, from Brevo', async () => {
    const person = emu.truth().contacts.find((c) => c.ext_id.startsWith('+'))!;
    const r = await runCli(['--json', ...args, 'forget', person.ext_id, '--delete-in-brevo']);
    expect(r.code).toBe(0);
    const res = r.json<{ key: string; interactions: number; brevoDeleted: boolean }>();
    expect(res).toMatchObject({ key: person.ext_id, brevoDeleted: true });
    expect(res.interactions).toBeGreaterThan(0);
    const brevo = (await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { contacts: { ext_id: string }[] };
    expect(brevo.contacts.map((c) => c.ext_id)).not.toContain(person.ext_id);
    const again = await runCli(['--json', ...args, 'forget', person.ext_id, '--delete-in-brevo']);
    expect(again.code).toBe(65);
    expect(again.json()).toMatchObject({ error: { code: 'TAJO_PERSON_NOT_FOUND' } });
  });
});

describe('tajo serve', () => {
  it('serves the management API with keys from `tajo keys create`', async () => {
    const key = (await runCli(['--json', ...args, 'keys', 'create', '--name', 'serve-test'])).json<{ key: string }>().key;
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const io = bufferIo({ waitForShutdown: () => stopped });
    const running = main(['node', 'tajo', '--json', ...args, 'serve', '--port', '0'], io);
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) {
      const text = io.stdoutText();
      if (text) url = (JSON.parse(text) as { url: string }).url;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const remote = new TajoClient({ apiKey: key, baseUrl: url! });
      await expect(remote.connectors.status('twilio-flex')).resolves.toMatchObject({ connected: true });
      await expect(new TajoClient({ apiKey: `${key}x`, baseUrl: url! }).connectors.status('twilio-flex')).rejects.toMatchObject({ code: 'TAJO_API_KEY_INVALID' });
    } finally {
      stop();
    }
    expect(await running).toBe(0);
    expect(io.stdoutText()).not.toContain(emu.info.authToken);
  });
});
