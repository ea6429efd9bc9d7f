import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

const DAY_MS = 86_400_000;
let dir: { path: string; cleanup(): Promise<void> };
const emus: RunningEmulator[] = [];

/** An emulator whose world's "now" is `shiftMs` from the real clock, with a connector installed against it. */
async function world(shiftMs: number, seed: number, timeScale = 1): Promise<{ emu: RunningEmulator; args: string[]; nowMs: () => Promise<number> }> {
  const emu = await startEmulator({ seed, scale: 'small', now: Date.now() + shiftMs, timeScale });
  emus.push(emu);
  const args = ['--data-dir', `${dir.path}/${seed}`];
  expect((await runCli([...args, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
  const nowMs = async () => ((await (await fetch(`${emu.url}/_emulator/clock`)).json()) as { nowMs: number }).nowMs;
  return { emu, args, nowMs };
}

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  for (const e of emus) await e.close();
  await dir?.cleanup();
});

describe('connectors sync --since is checked against the clock the sync reads (an emulator world has its own now)', () => {
  it('a world ahead of the real clock: a --since in its past is taken, and the sync reads from it', async () => {
    const w = await world(10 * DAY_MS, 51);
    const since = new Date((await w.nowMs()) - 3 * DAY_MS).toISOString(); // 7 days ahead of the real clock
    const r = await runCli(['--json', ...w.args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--dry-run', '--since', since]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = r.json<{ status: string; outbox: { event: number }; syncedThrough: string; warnings: string[] }>();
    expect(rep.status).toBe('ok');
    expect(rep.outbox.event).toBeGreaterThan(0);
    expect(Date.parse(rep.syncedThrough)).toBeGreaterThan(Date.parse(since));
  });

  it('a world behind the real clock: a --since after its now is refused (TAJO_USAGE, naming that now), not read as an empty range', async () => {
    const w = await world(-60 * DAY_MS, 52);
    const emuNow = await w.nowMs();
    const since = new Date(emuNow + DAY_MS).toISOString(); // 59 days in the real past
    const r = await runCli(['--json', ...w.args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--dry-run', '--since', since]);
    expect(r.code, r.stdout + r.stderr).toBe(64);
    const err = r.json<{ error: { code: string; message: string } }>().error;
    expect(err.code).toBe('TAJO_USAGE');
    expect(err.message).toMatch(/is in the future/);
    expect(err.message).toContain(new Date(emuNow).toISOString().slice(0, 10));
    const human = await runCli([...w.args, 'connectors', 'sync', 'twilio-flex', '--since', since]);
    expect(human.code).toBe(64);
    expect(human.stderr).toMatch(/error\[TAJO_USAGE\]: .*is in the future/);
  });
});

describe('connectors sync --since on an incremental sync that has a cursor', () => {
  it('says the --since is not used (the run resumes from its cursor), and a full sync reads from it without that warning', async () => {
    const w = await world(0, 53, 60);
    const first = await runCli(['--json', ...w.args, 'connectors', 'sync', 'twilio-flex', '--no-deliver']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const since = new Date((await w.nowMs()) - 2 * DAY_MS).toISOString();
    const notUsed = (r: { json<T>(): T }) => r.json<{ warnings: string[] }>().warnings.filter((m) => m.includes('--since') && m.includes('not used'));
    const inc = await runCli(['--json', ...w.args, 'connectors', 'sync', 'twilio-flex', '--dry-run', '--since', since]);
    expect(inc.code, inc.stdout + inc.stderr).toBe(0);
    expect(notUsed(inc)).toHaveLength(1);
    const human = await runCli([...w.args, 'connectors', 'sync', 'twilio-flex', '--dry-run', '--since', since]);
    expect(human.stdout + human.stderr).toMatch(/--since .*not used/);
    const full = await runCli(['--json', ...w.args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--dry-run', '--since', since]);
    expect(full.code, full.stdout + full.stderr).toBe(0);
    expect(notUsed(full)).toEqual([]);
  });
});
