import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { TajoConfig } from './config';
import type { DeliveryResult, FetchLike } from './deliver';
import { collectingLogger, fakeFlex, fakeTask, RESERVATION_SID, scriptedServer, setFpbGlobals, TASK_SID } from './test-helpers/fakeFlex';

setFpbGlobals(); // before TajoPlugin is constructed: FlexPlugin's constructor reads __FPB_* build constants
const { TajoPlugin } = await import('./TajoPlugin');

const TOKEN = 'agent-flex-token-123';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Starts a plugin against a scripted server; `done` resolves with the delivery result of the first task. */
async function setup(script: Array<number | 'hang'>, config: Partial<TajoConfig> = {}, token: string | null = TOKEN) {
  const server = await scriptedServer(script);
  cleanups.push(server.close);
  const { lines, logger } = collectingLogger();
  let resolve!: (r: DeliveryResult) => void;
  const done = new Promise<DeliveryResult>((r) => (resolve = r));
  const plugin = new TajoPlugin({
    config: { endpoint: server.url, auth: 'flex_token', baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4, ...config },
    onResult: (_sid, r) => resolve(r),
    logger,
  });
  const f = fakeFlex({ token: token ?? undefined });
  plugin.init(f.flex, f.manager);
  return { server, done, lines, ...f };
}

describe('TajoPlugin', () => {
  it('posts the TASK sid (not the reservation sid) with the Flex token and serialized attributes', async () => {
    const s = await setup([200]);
    const task = fakeTask();
    s.emit('afterCompleteTask', { task, sid: RESERVATION_SID });
    expect(await s.done).toEqual({ ok: true, status: 200, attempts: 1 });
    expect(s.server.received).toHaveLength(1);
    const req = s.server.received[0]!;
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body.TaskSid).toBe(TASK_SID);
    expect(body.TaskSid).not.toBe(RESERVATION_SID);
    expect(body.ReservationSid).toBe(RESERVATION_SID);
    expect(typeof body.TaskAttributes).toBe('string');
    expect(JSON.parse(body.TaskAttributes as string)).toEqual(task.attributes);
    expect(body).toMatchObject({ TaskChannelUniqueName: 'chat', Age: 184, TaskQueueFriendlyName: 'Support' });
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-tajo-signature']).toBeUndefined();
  });

  it('signs the raw body with X-Tajo-Signature in HMAC mode (no token sent)', async () => {
    const s = await setup([200], { auth: { hmacSecret: 'shared-secret' } });
    s.emit('afterCompleteTask', { task: fakeTask() });
    expect((await s.done).ok).toBe(true);
    const req = s.server.received[0]!;
    expect(req.headers['x-tajo-signature']).toBe(`sha256=${createHmac('sha256', 'shared-secret').update(req.body).digest('hex')}`);
    expect(req.headers.authorization).toBeUndefined();
  });

  it('retries a 503 and then succeeds, resending the same body', async () => {
    const s = await setup([503, 200]);
    s.emit('afterCompleteTask', { task: fakeTask() });
    expect(await s.done).toEqual({ ok: true, status: 200, attempts: 2 });
    expect(s.server.received).toHaveLength(2);
    expect(s.server.received[1]!.body).toBe(s.server.received[0]!.body);
  });

  it('retries 429 and network errors, and gives up after maxAttempts', async () => {
    const s = await setup([429, 500, 502], { maxAttempts: 3 });
    s.emit('afterCompleteTask', { task: fakeTask() });
    expect(await s.done).toEqual({ ok: false, attempts: 3, status: 502, reason: 'exhausted' });
    expect(s.server.received).toHaveLength(3);
    expect(s.lines.some((l) => l.includes('not delivered: exhausted'))).toBe(true);

    const gone = await scriptedServer([]);
    await gone.close(); // connection refused from now on
    let resolve!: (r: DeliveryResult) => void;
    const done = new Promise<DeliveryResult>((r) => (resolve = r));
    const f = fakeFlex({ token: TOKEN });
    const cfg: TajoConfig = { endpoint: gone.url, auth: 'flex_token', baseDelayMs: 5, maxAttempts: 3 };
    new TajoPlugin({ config: cfg, onResult: (_s, r) => resolve(r), logger: collectingLogger().logger }).init(f.flex, f.manager);
    f.emit('afterCompleteTask', { task: fakeTask() });
    expect(await done).toEqual({ ok: false, attempts: 3, reason: 'exhausted' });
  });

  it('retries a 408 (the server timed out waiting for the body: a slow agent network)', async () => {
    const s = await setup([408, 200]);
    s.emit('afterCompleteTask', { task: fakeTask() });
    expect(await s.done).toEqual({ ok: true, status: 200, attempts: 2 });
  });

  it('does not retry a 400', async () => {
    const s = await setup([400, 200]);
    s.emit('afterCompleteTask', { task: fakeTask() });
    expect(await s.done).toEqual({ ok: false, attempts: 1, status: 400, reason: 'rejected' });
    await new Promise((r) => setTimeout(r, 50)); // longer than any backoff here
    expect(s.server.received).toHaveLength(1);
  });

  it('returns from the listener at once, even when the server hangs', async () => {
    const s = await setup(['hang'], { maxAttempts: 1, timeoutMs: 300 });
    const t0 = performance.now();
    const returned = s.emit('afterCompleteTask', { task: fakeTask() });
    const elapsed = performance.now() - t0;
    expect(returned).toEqual([undefined]); // not a promise Flex could wait on
    expect(elapsed).toBeLessThan(50);
    await expect.poll(() => s.server.received.length).toBe(1); // the post did start
    expect(await s.done).toEqual({ ok: false, attempts: 1, reason: 'exhausted' }); // the per-attempt timeout fired
  });

  it('sends nothing without a Flex token, and never logs the token or secret', async () => {
    const s = await setup([200], {}, null);
    s.emit('afterCompleteTask', { task: fakeTask() });
    expect(await s.done).toEqual({ ok: false, attempts: 0, reason: 'no_token' });
    expect(s.server.received).toHaveLength(0);

    const t = await setup([503, 400]);
    t.emit('afterCompleteTask', { task: fakeTask() });
    await t.done;
    expect(t.lines.join('\n')).not.toContain(TOKEN);
    expect(t.lines.join('\n')).not.toContain('ana@example.com');
  });

  it('reads its config from serviceConfiguration.attributes.tajo, and stays off without one', async () => {
    const server = await scriptedServer([200]);
    cleanups.push(server.close);
    let resolve!: (r: DeliveryResult) => void;
    const done = new Promise<DeliveryResult>((r) => (resolve = r));
    const f = fakeFlex({ token: TOKEN, serviceAttributes: { tajo: { endpoint: server.url, auth: 'flex_token' } } });
    new TajoPlugin({ onResult: (_s, r) => resolve(r), logger: collectingLogger().logger }).init(f.flex, f.manager);
    f.emit('afterCompleteTask', { task: fakeTask() });
    expect((await done).ok).toBe(true);

    const off = fakeFlex({ token: TOKEN });
    const log = collectingLogger();
    new TajoPlugin({ logger: log.logger }).init(off.flex, off.manager);
    expect(off.listeners.size).toBe(0);
    expect(log.lines.join('\n')).toContain('plugin disabled');
  });

  it('uses keepalive only for bodies a browser accepts (64 KiB of UTF-8 bytes, not UTF-16 units)', async () => {
    const server = await scriptedServer([200]);
    cleanups.push(server.close);
    // a browser's fetch: a keepalive request whose body exceeds 64 KiB is a network error (Fetch spec, HTTP-network-or-cache fetch)
    const browserFetch: FetchLike = async (url, init) => {
      if (init.keepalive && new TextEncoder().encode(init.body).length > 64 * 1024) throw new TypeError('Failed to fetch');
      return fetch(url, init);
    };
    let resolve!: (r: DeliveryResult) => void;
    const done = new Promise<DeliveryResult>((r) => (resolve = r));
    const f = fakeFlex({ token: TOKEN });
    const cfg: TajoConfig = { endpoint: server.url, auth: 'flex_token', baseDelayMs: 5, maxAttempts: 3 };
    new TajoPlugin({ config: cfg, fetch: browserFetch, onResult: (_s, r) => resolve(r), logger: collectingLogger().logger }).init(f.flex, f.manager);
    // 30,000 UTF-16 units, 90,000 UTF-8 bytes: well within the server's 256 KiB attributes bound
    f.emit('afterCompleteTask', { task: fakeTask({ attributes: { name: '名'.repeat(30_000) } }) });
    expect(await done).toEqual({ ok: true, status: 200, attempts: 1 });
    expect(server.received).toHaveLength(1);
  });

  it("keeps its keepalive posts in flight within the browser's 64 KiB for the page: one that would pass it goes without", async () => {
    const server = await scriptedServer([200, 200]);
    cleanups.push(server.close);
    // a browser's fetch: keepalive bodies in flight count against one 64 KiB quota for the page (Fetch spec,
    // "inflight keepalive bytes"); a keepalive request past it is a network error
    let inflight = 0;
    const browserFetch: FetchLike = async (url, init) => {
      const n = new TextEncoder().encode(init.body).length;
      if (init.keepalive) {
        if (inflight + n > 64 * 1024) throw new TypeError('Failed to fetch');
        inflight += n;
      }
      try {
        await new Promise((r) => setTimeout(r, 100)); // a slow network: both posts are in flight together
        return await fetch(url, init);
      } finally {
        if (init.keepalive) inflight -= n;
      }
    };
    const results = new Map<string, DeliveryResult>();
    const f = fakeFlex({ token: TOKEN });
    const cfg: TajoConfig = { endpoint: server.url, auth: 'flex_token', baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 };
    new TajoPlugin({ config: cfg, fetch: browserFetch, onResult: (sid, r) => results.set(sid, r), logger: collectingLogger().logger }).init(f.flex, f.manager);
    const other = `WT${'f'.repeat(32)}`;
    f.emit('afterCompleteTask', { task: fakeTask({ attributes: { note: 'x'.repeat(40_000) } }) });
    f.emit('afterCompleteTask', { task: fakeTask({ taskSid: other, attributes: { note: 'y'.repeat(40_000) } }) });
    await expect.poll(() => results.size).toBe(2);
    expect(results.get(TASK_SID)).toEqual({ ok: true, status: 200, attempts: 1 });
    expect(results.get(other)).toEqual({ ok: true, status: 200, attempts: 1 });
  });

  it('posts a delivery waiting for its retry once more, with keepalive, when the page is unloaded (pagehide)', async () => {
    const server = await scriptedServer([503, 200]);
    cleanups.push(server.close);
    const keepalives: Array<boolean | undefined> = [];
    const recording: FetchLike = (url, init) => {
      keepalives.push(init.keepalive);
      return fetch(url, init);
    };
    const win = new EventTarget();
    const f = fakeFlex({ token: TOKEN });
    new TajoPlugin({
      config: { endpoint: server.url, auth: 'flex_token' },
      fetch: recording,
      sleep: () => new Promise<void>(() => undefined), // the backoff outlasts the page
      window: win,
      logger: collectingLogger().logger,
    }).init(f.flex, f.manager);
    f.emit('afterCompleteTask', { task: fakeTask() });
    await expect.poll(() => server.received.length).toBe(1);
    await new Promise((r) => setTimeout(r, 30)); // the 503 is answered: the delivery waits for its retry
    expect(server.received).toHaveLength(1);
    win.dispatchEvent(new Event('pagehide'));
    expect(keepalives).toEqual([true, true]); // started within the handler, while the page still exists
    await expect.poll(() => server.received.length).toBe(2);
    expect(server.received[1]!.body).toBe(server.received[0]!.body);
    expect(server.received[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    win.dispatchEvent(new Event('pagehide')); // posted once, not at every pagehide
    await new Promise((r) => setTimeout(r, 30));
    expect(server.received).toHaveLength(2);
  });

  it('posts the completions still queued once, with keepalive, when the page is unloaded (pagehide)', async () => {
    const server = await scriptedServer([503, 200, 200, 200]);
    cleanups.push(server.close);
    const sent: Array<[string, boolean | undefined]> = [];
    const recording: FetchLike = (url, init) => {
      sent.push([(JSON.parse(init.body) as { TaskSid: string }).TaskSid, init.keepalive]);
      return fetch(url, init);
    };
    const win = new EventTarget();
    const f = fakeFlex({ token: TOKEN });
    new TajoPlugin({
      config: { endpoint: server.url, auth: 'flex_token', maxInFlight: 1 },
      fetch: recording,
      sleep: () => new Promise<void>(() => undefined), // the backoff outlasts the page
      window: win,
      logger: collectingLogger().logger,
    }).init(f.flex, f.manager);
    const [a, b, c] = ['1', '2', '3'].map((d) => `WT${d.repeat(32)}`) as [string, string, string];
    for (const sid of [a, b, c]) f.emit('afterCompleteTask', { task: fakeTask({ taskSid: sid }) });
    await expect.poll(() => server.received.length).toBe(1);
    await new Promise((r) => setTimeout(r, 30)); // a waits for its retry; b and c wait in the queue
    expect(sent).toEqual([[a, true]]);
    win.dispatchEvent(new Event('pagehide'));
    expect(sent).toEqual([[a, true], [a, true], [b, true], [c, true]]); // all started within the handler
    await expect.poll(() => server.received.length).toBe(4);
    expect(server.received.slice(1).map((r) => r.headers.authorization)).toEqual(Array(3).fill(`Bearer ${TOKEN}`));
    win.dispatchEvent(new Event('pagehide')); // each posted once, not at every pagehide
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).toHaveLength(4);
  });

  it('posts a task once when Flex reports its completion again, and lets a failed one be sent again', async () => {
    const s = await setup([200, 400, 200]);
    const results: DeliveryResult[] = [];
    s.emit('afterCompleteTask', { task: fakeTask() });
    s.emit('afterCompleteTask', { task: fakeTask() }); // while the first post is in flight
    results.push(await s.done);
    s.emit('afterCompleteTask', { task: fakeTask() }); // after it was delivered
    await new Promise((r) => setTimeout(r, 50));
    expect(results).toEqual([{ ok: true, status: 200, attempts: 1 }]);
    expect(s.server.received).toHaveLength(1);

    const other = `WT${'f'.repeat(32)}`;
    s.emit('afterCompleteTask', { task: fakeTask({ taskSid: other }) }); // 400: not delivered
    await expect.poll(() => s.server.received.length).toBe(2);
    await new Promise((r) => setTimeout(r, 20));
    s.emit('afterCompleteTask', { task: fakeTask({ taskSid: other }) }); // a later completion of it may try again
    await expect.poll(() => s.server.received.length).toBe(3);
    expect(JSON.parse(s.server.received[2]!.body)).toMatchObject({ TaskSid: other });
  });

  it('retries a 401 once Flex has refreshed the token it was sent with, and not otherwise', async () => {
    const s = await setup([401, 200]);
    s.server.onRequest = () => {
      s.session.ssoTokenPayload = { token: 'refreshed-token-456' }; // Flex replaced the expired token meanwhile
    };
    s.emit('afterCompleteTask', { task: fakeTask() });
    expect(await s.done).toEqual({ ok: true, status: 200, attempts: 2 });
    expect(s.server.received.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, 'Bearer refreshed-token-456']);

    const t = await setup([401, 200]); // the same token would be refused again
    t.emit('afterCompleteTask', { task: fakeTask() });
    expect(await t.done).toEqual({ ok: false, attempts: 1, status: 401, reason: 'rejected' });
  });

  it('posts the payload sid when the action carries no task object (`{sid}`, a documented CompleteTask payload)', async () => {
    const s = await setup([200]);
    s.emit('afterCompleteTask', { sid: RESERVATION_SID });
    expect((await s.done).ok).toBe(true);
    expect(JSON.parse(s.server.received[0]!.body)).toMatchObject({ TaskSid: RESERVATION_SID }); // the server resolves the reservation
  });

  it('ignores a payload without a task and never throws into Flex', async () => {
    const s = await setup([200]);
    expect(() => s.emit('afterCompleteTask', {})).not.toThrow();
    expect(() => s.emit('afterCompleteTask', { task: fakeTask({ sid: 'x', taskSid: 'y' }) })).not.toThrow();
    await new Promise((r) => setTimeout(r, 30));
    expect(s.server.received).toHaveLength(0);
  });
  describe('posts in flight are bounded', () => {
    const sid = (i: number) => `WT${i.toString(16).padStart(32, '0')}`;

    /** A plugin whose server answers 503 until `recover()`; counts the requests in flight (each takes ~10 ms). */
    async function downServer(config: Partial<TajoConfig>) {
      const script: Array<number | 'hang'> = Array.from({ length: 10_000 }, () => 503);
      const server = await scriptedServer(script, 200);
      cleanups.push(server.close);
      let inflight = 0;
      let maxSeen = 0;
      const counting: FetchLike = async (url, init) => {
        inflight++;
        maxSeen = Math.max(maxSeen, inflight);
        try {
          await new Promise((r) => setTimeout(r, 10));
          return await fetch(url, init);
        } finally {
          inflight--;
        }
      };
      const results: Array<[string, DeliveryResult]> = [];
      const log = collectingLogger();
      const f = fakeFlex({ token: TOKEN });
      const cfg: TajoConfig = { endpoint: server.url, auth: 'flex_token', baseDelayMs: 5, maxDelayMs: 40, maxAttempts: 20, ...config };
      new TajoPlugin({ config: cfg, fetch: counting, onResult: (s, r) => results.push([s, r]), logger: log.logger }).init(f.flex, f.manager);
      return {
        server,
        results,
        lines: log.lines,
        emit: f.emit,
        maxSeen: () => maxSeen,
        recover: () => void (script.length = 0),
        /** TaskSids in the order of their first post. */
        firstPosts: () => [...new Set(server.received.map((r) => (JSON.parse(r.body) as { TaskSid: string }).TaskSid))],
      };
    }

    it('20 completions while the server answers 503: at most 4 requests in flight; all 20 delivered once it recovers, started in order', async () => {
      const s = await downServer({});
      for (let i = 0; i < 20; i++) s.emit('afterCompleteTask', { task: fakeTask({ taskSid: sid(i) }) });
      await new Promise((r) => setTimeout(r, 300)); // several retry rounds while down (20 attempts last longer)
      expect(s.server.received.length).toBeGreaterThan(8);
      expect(s.firstPosts()).toEqual([0, 1, 2, 3].map(sid)); // the 16 others wait their turn
      expect(s.results).toEqual([]);
      s.recover();
      await expect.poll(() => s.results.length, { timeout: 10_000 }).toBe(20);
      expect(s.maxSeen()).toBe(4);
      expect(s.results.every(([, r]) => r.ok)).toBe(true);
      expect(s.firstPosts()).toEqual(Array.from({ length: 20 }, (_, i) => sid(i)));
    });

    it('with maxInFlight 1 the completions are delivered strictly in order', async () => {
      const s = await downServer({ maxInFlight: 1 });
      for (let i = 0; i < 20; i++) s.emit('afterCompleteTask', { task: fakeTask({ taskSid: sid(i) }) });
      await new Promise((r) => setTimeout(r, 150));
      s.recover();
      await expect.poll(() => s.results.length, { timeout: 10_000 }).toBe(20);
      expect(s.maxSeen()).toBe(1);
      expect(s.results.map(([k]) => k)).toEqual(Array.from({ length: 20 }, (_, i) => sid(i)));
      expect(s.results.every(([, r]) => r.ok)).toBe(true);
    });

    it('a full queue drops its oldest completion, logged and reported as dropped; a later completion of it is posted', async () => {
      const s = await downServer({ maxInFlight: 1, maxQueued: 3 });
      for (let i = 0; i < 6; i++) s.emit('afterCompleteTask', { task: fakeTask({ taskSid: sid(i) }) });
      // 0 in flight; 1, 2, 3 queued; 4 then 5 push out 1 then 2
      expect(s.results).toEqual([
        [sid(1), { ok: false, attempts: 0, reason: 'dropped' }],
        [sid(2), { ok: false, attempts: 0, reason: 'dropped' }],
      ]);
      expect(s.lines.filter((l) => l.includes('dropped'))).toEqual([
        expect.stringContaining(`task ${sid(1)} not delivered: dropped`),
        expect.stringContaining(`task ${sid(2)} not delivered: dropped`),
      ]);
      s.emit('afterCompleteTask', { task: fakeTask({ taskSid: sid(1) }) }); // completed again: queued anew, pushing out 3
      s.recover();
      await expect.poll(() => s.results.length, { timeout: 10_000 }).toBe(7);
      expect(s.results.slice(2)).toEqual([
        [sid(3), { ok: false, attempts: 0, reason: 'dropped' }],
        ...[0, 4, 5, 1].map((i) => [sid(i), expect.objectContaining({ ok: true })]),
      ]);
      expect(s.firstPosts()).toEqual([0, 4, 5, 1].map(sid)); // a dropped completion is never posted
    });
  });

  it('posts once more without keepalive when the browser refuses the keepalive request at once, within the same attempt', async () => {
    const server = await scriptedServer([200, 200]);
    cleanups.push(server.close);
    // an old Chromium: a keepalive request that needs a CORS preflight is a network error before anything is sent
    const calls: Array<boolean | undefined> = [];
    const refusingFetch: FetchLike = async (url, init) => {
      calls.push(init.keepalive);
      if (init.keepalive) throw new TypeError('Failed to fetch');
      return fetch(url, init);
    };
    const results = new Map<string, DeliveryResult>();
    const f = fakeFlex({ token: TOKEN });
    const cfg: TajoConfig = { endpoint: server.url, auth: 'flex_token', baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 };
    new TajoPlugin({ config: cfg, fetch: refusingFetch, onResult: (k, r) => results.set(k, r), logger: collectingLogger().logger }).init(f.flex, f.manager);
    f.emit('afterCompleteTask', { task: fakeTask() });
    await expect.poll(() => results.size).toBe(1);
    expect(results.get(TASK_SID)).toEqual({ ok: true, status: 200, attempts: 1 });
    const other = `WT${'f'.repeat(32)}`;
    f.emit('afterCompleteTask', { task: fakeTask({ taskSid: other }) });
    await expect.poll(() => results.size).toBe(2);
    expect(results.get(other)).toEqual({ ok: true, status: 200, attempts: 1 });
    expect(calls).toEqual([true, false, false]); // once refused, later posts go without keepalive
    expect(server.received).toHaveLength(2);
  });

  it('counts a keepalive network error and its fallback as one failed attempt when the server is unreachable', async () => {
    const gone = await scriptedServer([]);
    await gone.close(); // connection refused: a TypeError with or without keepalive
    const calls: Array<boolean | undefined> = [];
    const recording: FetchLike = (url, init) => {
      calls.push(init.keepalive);
      return fetch(url, init);
    };
    let resolve!: (r: DeliveryResult) => void;
    const done = new Promise<DeliveryResult>((r) => (resolve = r));
    const f = fakeFlex({ token: TOKEN });
    const cfg: TajoConfig = { endpoint: gone.url, auth: 'flex_token', baseDelayMs: 5, maxAttempts: 3 };
    new TajoPlugin({ config: cfg, fetch: recording, onResult: (_s, r) => resolve(r), logger: collectingLogger().logger }).init(f.flex, f.manager);
    f.emit('afterCompleteTask', { task: fakeTask() });
    expect(await done).toEqual({ ok: false, attempts: 3, reason: 'exhausted' });
    expect(calls).toEqual([true, false, true, false, true, false]); // keepalive still tried: it was never shown to be the problem
  });
});
