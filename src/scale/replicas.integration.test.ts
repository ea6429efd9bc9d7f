/**
 * Three `tajo serve` replicas (child processes) on one Postgres, behind a round-robin balancer, against the
 * emulators at real-time speed. The Twilio emulator pushes signed Event Streams batches (30% duplicates, shuffled)
 * while the replicas run their scheduled sync; the replica owning the TaskRouter partition is SIGKILLed mid-sync,
 * under webhook load. Then:
 *  - nothing is lost: every push is acknowledged, every event is in the inbox once and processed, and the Brevo
 *    emulator's state equals the ground truth;
 *  - the only events Brevo received twice are among the killed replica's in-flight outbox rows;
 *  - a surviving replica took the TaskRouter partition over and finished it from the committed checkpoint;
 *  - the emulators answered no 429 (shared budgets keep the sum of replicas within the vendors' limits).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/test-helpers/runCli.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { diffAgainstTruth, problems } from '../engine/sync/test-helpers/compare.js';
import { createTestDatabase, postgresAvailable } from '../store/postgres/test-helpers/testDatabase.js';
import { startBalancer, startReplica, type Balancer, type Replica } from './test-helpers/cluster.js';

const available = await postgresAvailable();
const BASIC = { user: 'sink', pass: 'sink-pass-0123' };
const LEASE_SECONDS = 4;

describe.runIf(available)('three replicas on one Postgres: SIGKILL under webhook load and during a sync', () => {
  let emu: RunningEmulator;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let lb: Balancer;
  let sql: pg.Client;
  let lists: { support_contacts: number; csat_respondents: number };
  const replicas: Replica[] = [];
  let env: NodeJS.ProcessEnv;
  let args: string[];

  const one = async <T>(q: string, p: unknown[] = []): Promise<T | undefined> => (await sql.query(q, p)).rows[0] as T | undefined;
  const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${replicas.map((r) => `--- ${r.id}\n${r.logs().slice(-1500)}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };

  beforeAll(async () => {
    emu = await startEmulator({ seed: 31, scale: 'small', timeScale: 3 });
    db = await createTestDatabase();
    dir = await tempDir('tajo-replicas-');
    lb = await startBalancer();
    env = { ...process.env, TAJO_DATABASE_URL: db.url, TAJO_MASTER_KEY: 'b'.repeat(64), TAJO_LOG_LEVEL: 'warn' };
    const cliEnv = { TAJO_DATABASE_URL: db.url, TAJO_MASTER_KEY: 'b'.repeat(64) };
    expect((await runCli(['--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url], { env: cliEnv })).code).toBe(0);
    const boot = (await runCli(['--json', '--data-dir', dir.path, 'connectors', 'bootstrap', 'twilio-flex', '--create-lists'], { env: cliEnv })).json<{ lists: { key: 'support_contacts' | 'csat_respondents'; id: number }[] }>();
    lists = Object.fromEntries(boot.lists.map((l) => [l.key, l.id])) as typeof lists;
    const cfg = join(dir.path, 'tajo.yaml');
    await writeFile(cfg, [
      'server:',
      `  public_url: ${lb.url}`,
      `  sink_basic_auth: { user: ${BASIC.user}, pass: ${BASIC.pass} }`,
      'connectors:',
      '  twilio_flex:',
      `    lists: { support_contacts: ${lists.support_contacts}, csat_respondents: ${lists.csat_respondents} }`,
      '',
    ].join('\n'));
    args = ['--json', '--config', cfg, '--data-dir', dir.path, 'serve', '--role', 'all', '--port', '0', '--sync-every', '3600', '--lease-seconds', String(LEASE_SECONDS)];
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.kill('SIGKILL')));
    await sql?.end();
    await lb?.close();
    await emu?.close();
    await db?.drop();
    await dir?.cleanup();
  });

  it('loses nothing, re-sends only the killed replica\'s in-flight rows, hands its stream over, and never overshoots a budget', async () => {
    // Webhook load through the balancer (it holds requests until the replicas are up): the last 12 emulated hours
    // of TaskRouter events as Event Streams batches.
    const until = new Date(emu.clock.nowMs()).toISOString();
    const since = new Date(emu.clock.nowMs() - 12 * 3_600_000).toISOString();
    const push = emu.twilio.push({
      kind: 'event-streams', url: `${lb.url}/webhooks/twilio/event-streams`, since, until, duplicateRate: 0.3, shuffle: true, seed: 5, batchSize: 10, concurrency: 6, basicAuth: BASIC,
    });
    replicas.push(...(await Promise.all([1, 2, 3].map(() => startReplica(args, env)))));
    lb.setBackends(replicas.map((r) => r.url));

    // Mid-sync: as soon as the TaskRouter partition's owner has committed its first pages, SIGKILL it.
    const trLease = 'sync:twilio-flex:taskrouter:%';
    let owner: { holder: string } | undefined;
    await waitFor('a replica to own the TaskRouter partition', async () => Boolean((owner = await one('SELECT holder FROM leases WHERE name LIKE $1', [trLease]))), 45_000, 20);
    const victim = replicas.find((r) => r.id === owner?.holder)!;
    expect(victim).toBeDefined();
    await waitFor('the sync to commit TaskRouter pages under webhook load', async () =>
      (lb.stats().byBackend[victim.url] ?? 0) >= 3 && Boolean(await one("SELECT 1 FROM checkpoints WHERE stream = 'taskrouter_events'")), 45_000, 5);
    // Best effort: catch the victim with Brevo writes in flight (its delivery worker claims the pages it commits).
    const deadline = Date.now() + 3_000;
    const victimInflight = "SELECT 1 FROM outbox WHERE status = 'inflight' AND kind = 'event' AND claimed_by = $1 LIMIT 1";
    while (Date.now() < deadline && !(await one(victimInflight, [`serve-${victim.id}`]))) await new Promise((r) => setTimeout(r, 2));
    victim.child.kill('SIGKILL');
    await victim.kill('SIGKILL');
    const killedAtEmulated = emu.clock.nowMs();
    const cpAtKill = await one<{ version: number; value: { windowEndMs: number } }>("SELECT version, value FROM checkpoints WHERE stream = 'taskrouter_events'");
    // The run reads up to its start (at most a minute before the kill): a cursor 10 minutes short of that is mid-run.
    expect(cpAtKill!.value.windowEndMs, 'the kill must land during the sync').toBeLessThan(killedAtEmulated - 10 * 60_000);
    const inflight = (await sql.query<{ key: string }>("SELECT key FROM outbox WHERE status = 'inflight' AND kind = 'event' AND claimed_by = $1", [`serve-${victim.id}`])).rows.map((r) => r.key);
    lb.setBackends(replicas.filter((r) => r !== victim).map((r) => r.url));

    // Nothing lost on the webhook side: every delivery acknowledged (retried through the balancer), each event once.
    const pushed = await push;
    expect(pushed.failures).toBe(0);
    expect(pushed.duplicates).toBeGreaterThan(0);
    const inbox = await one<{ n: number; keys: number }>('SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys FROM inbox');
    expect(inbox).toEqual({ n: pushed.events, keys: pushed.events });

    // The stream is taken over by a survivor and finished from the committed checkpoint.
    await waitFor('a survivor to finish the TaskRouter partition', async () => {
      const cp = await one<{ value: string; version: number }>("SELECT value::text, version FROM checkpoints WHERE stream = 'taskrouter_events'");
      const v = cp ? (JSON.parse(cp.value) as { windowEndMs?: number; readingWindow?: unknown }) : undefined;
      return Boolean(v && !v.readingWindow && (v.windowEndMs ?? 0) >= killedAtEmulated);
    }, 60_000, 250);
    const newOwner = await one<{ holder: string }>('SELECT holder FROM leases WHERE name LIKE $1', [trLease]);
    expect(replicas.filter((r) => r !== victim).map((r) => r.id)).toContain(newOwner?.holder);
    expect((await one<{ version: number }>("SELECT version FROM checkpoints WHERE stream = 'taskrouter_events'"))!.version).toBeGreaterThan(cpAtKill!.version);

    // Everything processed and delivered (the victim's claims expire after the lease).
    await waitFor('inbox and outbox to drain', async () => {
      const s = await one<{ inbox: number; outbox: number }>(
        "SELECT (SELECT count(*)::int FROM inbox WHERE status <> 'processed') AS inbox, (SELECT count(*)::int FROM outbox WHERE status IN ('pending', 'inflight')) AS outbox");
      return s?.inbox === 0 && s.outbox === 0;
    }, 60_000, 250);
    await emu.brevo.settle();

    const state = (await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as Parameters<typeof diffAgainstTruth>[0];
    const diff = diffAgainstTruth(state, emu.truth(), lists);
    expect(problems(diff)).toEqual({});
    const inflightSet = new Set(inflight);
    expect([...diff.duplicates.keys()].filter((k) => !inflightSet.has(k)), 'duplicates outside the killed replica\'s in-flight batch').toEqual([]);
    console.log(`replicas: ${pushed.events} pushed events (${pushed.duplicates} duplicate deliveries), victim ${victim.id} had ${inflight.length} events in flight, ` +
      `Brevo re-sent ${diff.duplicates.size}; balancer ${JSON.stringify(lb.stats())}`);

    // No 429 caused by Tajo: the replicas' calls together stayed within every vendor budget.
    const brevo = (await (await fetch(`${emu.url}/_emulator/brevo/requests`)).json()) as { rateLimited: { total: number; injected: number } };
    const twilio = (await (await fetch(`${emu.url}/_emulator/twilio/requests`)).json()) as Record<string, { requests: number; rateLimited: number }>;
    expect(brevo.rateLimited.total).toBe(0);
    expect(Object.entries(twilio).filter(([, v]) => v.rateLimited > 0)).toEqual([]);

    // Status shows each replica and who owns which partition.
    type Status = { replicas: { id: string; alive: boolean; leases: string[] }[] };
    const statusNow = async () =>
      (await runCli(['--json', '--data-dir', dir.path, 'connectors', 'status', 'twilio-flex'], { env: { TAJO_DATABASE_URL: db.url, TAJO_MASTER_KEY: 'b'.repeat(64) } })).json<Status>();
    const survivors = replicas.filter((r) => r !== victim).map((r) => r.id).sort();
    let status: Status = await statusNow();
    await waitFor('status to show the victim silent', async () => {
      status = await statusNow();
      return JSON.stringify(status.replicas.filter((r) => r.alive).map((r) => r.id).sort()) === JSON.stringify(survivors);
    }, 15_000, 500);
    expect(status.replicas.map((r) => r.id)).toContain(victim.id);
    expect(status.replicas.find((r) => r.id === newOwner!.holder)!.leases.some((l) => l.startsWith('sync:twilio-flex:taskrouter:'))).toBe(true);
    const metrics = await (await fetch(`${replicas.find((r) => r !== victim)!.url}/metrics`)).text();
    expect(metrics).toMatch(/tajo_replicas\{[^}]*state="alive"[^}]*\} 2/);
    expect(metrics).toMatch(/tajo_webhook_received_total\{[^}]*replica="[^"]+"[^}]*\}/);
  }, 110_000);
});
