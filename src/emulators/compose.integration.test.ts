import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmulatorProcess, startEmulator, type RunningEmulator } from './index.js';
import { SpecValidators } from './twilio/test-helpers/specSchemas.js';

const NOW = '2026-05-20T12:00:00Z';
const specs = new SpecValidators(fileURLToPath(new URL('../../specs/twilio', import.meta.url)));

let emu: RunningEmulator;
beforeAll(async () => {
  delete process.env.TWILIO_EDGE;
  delete process.env.TWILIO_REGION;
  emu = await startEmulator({ seed: 7, scale: 'small', now: NOW, twilio: { limits: { taskrouterReadRps: 1e6, taskrouterEventsRps: 1e6 } } });
});
afterAll(async () => {
  await emu.close();
});

const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

async function getJson(url: string, auth?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, auth ? { headers: { authorization: auth } } : {});
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('startEmulator', () => {
  it('reads a now without a zone as UTC, whatever the machine\'s zone (as the tajo CLI reads every date)', async () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const e = await startEmulator({ seed: 11, scale: 'small', now: '2026-05-20T12:00:00', timeScale: 1 });
      try {
        // the clock runs on from the given now: seconds, never the 4 h of New York's offset
        expect(Math.abs(e.clock.nowMs() - Date.UTC(2026, 4, 20, 12))).toBeLessThan(10 * 60_000);
      } finally {
        await e.close();
      }
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('generateMore back to back: the emulated clock moves on so new interactions have time to happen', async () => {
    const e = await startEmulator({ seed: 11, scale: 'small', now: NOW });
    try {
      const t0 = e.clock.nowMs();
      let last = e.generateMore(5);
      // Back-to-back batches leave the world fresh (latest event close to now): this used to throw.
      for (let i = 0; i < 12; i++) {
        const next = e.generateMore(5);
        expect(next.counts.interactions).toBe(last.counts.interactions + 5);
        last = next;
      }
      expect(e.clock.nowMs()).toBeGreaterThan(t0);
    } finally {
      await e.close();
    }
  });

  it('generateMore never dates a new row at or before what a reader already read: an incremental read with a 10-min lookback finds every new event', async () => {
    const e = await startEmulator({ seed: 11, scale: 'small', now: NOW, twilio: { limits: { taskrouterReadRps: 1e6, taskrouterEventsRps: 1e6 } } });
    try {
      const auth = basic(e.info.accountSid, e.info.authToken);
      const ws = `${e.info.twilio.taskrouter}/v1/Workspaces/${e.info.workspaceSid}`;
      const readEvents = async (query: string): Promise<Map<string, number>> => {
        const seen = new Map<string, number>();
        let url: string | null = `${ws}/Events?PageSize=1000&${query}`;
        while (url) {
          const r = await getJson(url, auth);
          expect(r.status, url).toBe(200);
          for (const ev of r.body.events as Array<{ sid: string; event_date_ms: string }>) seen.set(ev.sid, Number(ev.event_date_ms));
          url = (r.body.meta as { next_page_url: string | null }).next_page_url;
        }
        return seen;
      };
      const readAt = e.clock.nowMs();
      const all = `StartDate=${new Date(Date.parse(NOW) - 29 * 86_400_000).toISOString()}`;
      const created = (): number[] => ['events:event_date_ms', 'tasks:date_created_ms', 'reservations:date_created_ms', 'conversations:date_created_ms',
        'participants:date_created_ms', 'messages:date_created_ms'].map((tc) => {
        const [table, col] = tc.split(':') as [string, string];
        return (e.world.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${col} <= ?`).get(readAt) as { n: number }).n;
      });

      // A full read up to the emulated now, as a sync does.
      const first = await readEvents(`${all}&EndDate=${new Date(readAt).toISOString()}`);
      const rowsBefore = created();
      const before = new Set(e.truth().events.map((t) => `${t.name}|${t.source_sid}`));
      // Less than the sync's 10-minute lookback later, more interactions happen.
      e.clock.advance(5 * 60_000);
      const truth = e.generateMore(10);

      // Nothing was added to the time already read: not in the world, not in the ground truth.
      expect(created()).toEqual(rowsBefore);
      const fresh = truth.events.filter((t) => !before.has(`${t.name}|${t.source_sid}`));
      expect(fresh.length).toBeGreaterThan(0);
      for (const t of fresh) expect(Date.parse(t.event_date), t.event_date).toBeGreaterThan(readAt);
      // An incremental read from the previous read minus the lookback finds every event the world holds now.
      const incremental = await readEvents(`StartDate=${new Date(readAt - 10 * 60_000).toISOString()}`);
      const now = await readEvents(all);
      expect(now.size).toBe(truth.counts.taskrouterEvents);
      const missed = [...now].filter(([sid]) => !first.has(sid) && !incremental.has(sid));
      expect(missed).toEqual([]);
      for (const [sid, at] of now) if (!first.has(sid)) expect(at, sid).toBeGreaterThan(readAt);
      // The batch has played out by the time anyone reads again: the clock is past every row of the world.
      const latest = (e.world.prepare('SELECT MAX(event_date_ms) AS m FROM events').get() as { m: number }).m;
      expect(e.clock.nowMs()).toBeGreaterThanOrEqual(latest);
      expect(truth.nowMs).toBeLessThanOrEqual(e.clock.nowMs());
    } finally {
      await e.close();
    }
  });

  it('publishes EmulatorInfo with exactly the documented keys, also at /_emulator/info', async () => {
    const i = emu.info;
    expect(Object.keys(i)).toEqual(['twilio', 'brevo', 'accountSid', 'authToken', 'apiKeySid', 'apiKeySecret', 'flexFlowSid', 'workspaceSid', 'brevoApiKey']);
    expect(i.twilio).toEqual({ flex: `${emu.url}/flex-api`, conversations: `${emu.url}/conversations`, taskrouter: `${emu.url}/taskrouter`, events: `${emu.url}/events` });
    expect(i.brevo).toBe(`${emu.url}/brevo/v3`);
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(i.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(i.apiKeySid).toMatch(/^SK[0-9a-f]{32}$/);
    expect(i.flexFlowSid).toMatch(/^FO[0-9a-f]{32}$/);
    expect(i.workspaceSid).toMatch(/^WS[0-9a-f]{32}$/);
    expect((await getJson(`${emu.url}/_emulator/info`)).body).toEqual(i);
  });

  it('serves the generated world to the official twilio client; Brevo answers on the same port', async () => {
    const i = emu.info;
    const client = twilio(i.apiKeySid, i.apiKeySecret, { accountSid: i.accountSid });
    client.flexApi.baseUrl = i.twilio.flex;
    client.taskrouter.baseUrl = i.twilio.taskrouter;
    const cfg = await client.flexApi.v1.configuration().fetch();
    expect(cfg.taskrouterWorkspaceSid).toBe(i.workspaceSid);
    const ws = client.taskrouter.v1.workspaces(i.workspaceSid);
    const events = await ws.events.list({ startDate: new Date(Date.parse(NOW) - 29 * 86_400_000), pageSize: 1000 });
    expect(events.length).toBe(emu.truth().counts.taskrouterEvents);
    const brevo = await fetch(`${i.brevo}/account`, { headers: { 'api-key': i.brevoApiKey } });
    expect(brevo.status).toBe(200);
  });

  it('generated data validates against the spec schemas (tasks, workers, events, conversations, messages)', async () => {
    const auth = basic(emu.info.accountSid, emu.info.authToken);
    const ws = `${emu.info.twilio.taskrouter}/v1/Workspaces/${emu.info.workspaceSid}`;
    const WSP = '/v1/Workspaces/{WorkspaceSid}';
    const pages: [string, string, string][] = [
      ['taskrouter_v1', `${WSP}/Tasks`, `${ws}/Tasks?PageSize=1000`],
      ['taskrouter_v1', `${WSP}/Workers`, `${ws}/Workers`],
      ['taskrouter_v1', `${WSP}/TaskQueues`, `${ws}/TaskQueues`],
      ['taskrouter_v1', `${WSP}/Events`, `${ws}/Events?StartDate=2026-04-01T00:00:00Z&PageSize=1000`],
      ['taskrouter_v1', `${WSP}/TaskQueues/Statistics`, `${ws}/TaskQueues/Statistics?Minutes=1440`],
      ['conversations_v1', '/v1/Conversations', `${emu.info.twilio.conversations}/v1/Conversations?PageSize=100`],
    ];
    for (const [spec, path, first] of pages) {
      let url: string | null = first;
      let n = 0;
      while (url) {
        const r = await getJson(url, auth);
        expect(r.status, url).toBe(200);
        const v = specs.validator(spec, path, 'GET', 200);
        expect(v(r.body), `${url} ${JSON.stringify(v.errors?.slice(0, 3))}`).toBe(true);
        url = (r.body.meta as { next_page_url: string | null }).next_page_url;
        n += 1;
      }
      expect(n).toBeGreaterThan(0);
    }
    const convs = (await getJson(`${emu.info.twilio.conversations}/v1/Conversations?PageSize=5`, auth)).body.conversations as { sid: string }[];
    for (const c of convs) {
      const m = await getJson(`${emu.info.twilio.conversations}/v1/Conversations/${c.sid}/Messages`, auth);
      expect(specs.validator('conversations_v1', '/v1/Conversations/{ConversationSid}/Messages', 'GET', 200)(m.body)).toBe(true);
    }
  });

  it('admin: truth, faults, clock, generate', async () => {
    const truth = await getJson(`${emu.url}/_emulator/truth`);
    expect((truth.body.counts as { interactions: number }).interactions).toBe(emu.truth().counts.interactions);
    const put = await fetch(`${emu.url}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seed: 2, rules: [{ vendor: 'twilio', flexDisabled: true }] }) });
    expect(put.status).toBe(200);
    expect((await getJson(`${emu.url}/_emulator/faults`)).body.rules).toHaveLength(1);
    expect((await getJson(`${emu.info.twilio.flex}/v1/Configuration`, basic(emu.info.accountSid, emu.info.authToken))).status).toBe(403);
    await fetch(`${emu.url}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [] }) });
    expect((await fetch(`${emu.url}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ bogus: 1 }] }) })).status).toBe(400);
    const before = emu.truth().counts.interactions;
    const adv = await fetch(`${emu.url}/_emulator/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 3_600_000 }) });
    expect(adv.status).toBe(200);
    const gen = await fetch(`${emu.url}/_emulator/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 5 }) });
    expect(gen.status).toBe(200);
    expect(emu.truth().counts.interactions).toBe(before + 5);
  });

  it('credentials: derived from the seed when given, random otherwise', async () => {
    const again = await startEmulator({ seed: 7, scale: 'small', now: NOW });
    const random1 = await startEmulator({ scale: 'small', now: NOW });
    try {
      expect(again.info.authToken).toBe(emu.info.authToken);
      expect(again.info.brevoApiKey).toBe(emu.info.brevoApiKey);
      expect(random1.info.authToken).not.toBe(emu.info.authToken);
      expect(random1.info.apiKeySecret).not.toBe(emu.info.apiKeySecret);
      const wrong = await getJson(`${random1.info.twilio.flex}/v1/Configuration`, basic(emu.info.accountSid, emu.info.authToken));
      expect(wrong.status).toBe(401);
    } finally {
      await again.close();
      await random1.close();
    }
  });

  it('runs as a child process printing the info line', async () => {
    const p = await runEmulatorProcess({ args: ['--seed', '3', '--scale', 'small', '--now', NOW] });
    try {
      expect(p.info.twilio.taskrouter).toBe(`${p.url}/taskrouter`);
      const r = await getJson(`${p.info.twilio.flex}/v1/Configuration`, basic(p.info.accountSid, p.info.authToken));
      expect(r.body.taskrouter_workspace_sid).toBe(p.info.workspaceSid);
    } finally {
      await p.close();
    }
    expect(p.child.exitCode !== null || p.child.signalCode !== null).toBe(true);
  });
});
