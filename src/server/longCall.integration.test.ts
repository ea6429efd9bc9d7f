import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { TajoClient } from '../sdk/client.js';
import type { Store } from '../store/store.js';
import { startServer, type RunningServer } from './app.js';
import { createKey } from './keys.js';
import type { ManagementHandlers } from './management.js';
import { ACCOUNT_SID, AUTH_TOKEN, tempStore, testConfig } from './test-helpers/fixtures.js';

const SOCKET_IDLE_MS = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const handlers: ManagementHandlers = {
  connect: async () => ({}),
  // a sync that keeps its socket silent for 4× the server's inactivity timeout
  sync: async () => (await sleep(SOCKET_IDLE_MS * 4), { status: 'ok', type: 'full' }),
  status: async () => ({}),
  handleEvent: async () => ({}),
  dlqList: async () => [],
  dlqReplay: async () => ({}),
  dlqDiscard: async () => ({}),
};

let store: Store;
let cleanup: () => Promise<void>;
let server: RunningServer;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
  server = await startServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, sdkHandlers: handlers, host: '127.0.0.1', port: 0, rateLimit: false, timeouts: { connectionTimeout: SOCKET_IDLE_MS } });
});
afterEach(async () => {
  await server.close();
  await cleanup();
});

describe('server timeouts', () => {
  it('a management call may run longer than the socket inactivity timeout (a remote sync gets its report)', async () => {
    const { key } = await createKey(store, 'ci');
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    const started = Date.now();
    await expect(remote.connectors.sync('twilio-flex', { type: 'full' })).resolves.toEqual({ status: 'ok', type: 'full' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(SOCKET_IDLE_MS * 4);
    // and the kept-alive connection still serves the next call
    await expect(remote.connectors.status('twilio-flex')).resolves.toEqual({});
  });

  it('a webhook sender that stalls mid-request is still cut off by the inactivity timeout', async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - started)));
    socket.on('error', () => undefined);
    socket.write('POST /webhooks/twilio/taskrouter HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nSid=EV');
    const after = await Promise.race([closed, sleep(SOCKET_IDLE_MS * 6).then(() => -1)]);
    socket.destroy();
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(SOCKET_IDLE_MS * 4);
  });

  it('an authenticated /api/v1 call whose body stalls keeps the timeout (lifted only once the body is in)', async () => {
    const { key } = await createKey(store, 'ci');
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - started)));
    socket.on('error', () => undefined);
    socket.write(`POST /api/v1/connectors/twilio-flex/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const after = await Promise.race([closed, sleep(SOCKET_IDLE_MS * 6).then(() => -1)]);
    socket.destroy();
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(SOCKET_IDLE_MS * 4);
  });
});
