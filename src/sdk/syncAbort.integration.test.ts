/**
 * Aborting a remote sync stops the sync on the server, as aborting an embedded one stops it in-process: the caller's
 * signal and `close()` get the server's report (`aborted`, cursors kept), and a caller that goes away (its timeout, a
 * crash) leaves no sync running on the server for nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../server/app.js';
import { TajoClient } from './index.js';
import { emulatorSuite } from './test-helpers/emulatorSuite.js';
import { startRecordingServer, type RecordingServer } from './test-helpers/recordingServer.js';

// a slow emulated clock: a full sync of the small world takes seconds, so an abort after 300 ms lands mid-sync
const suite = emulatorSuite(5, { timeScale: 2 });
let fx: RecordingServer;
let server: RunningServer;
let key: string;
let serverSyncs: string[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fx = await startRecordingServer(suite, 'tajo-sync-abort-');
  ({ server, key, syncs: serverSyncs } = fx);
});
afterAll(async () => {
  await fx?.close();
});

async function serverSyncEnded(count: number): Promise<string[]> {
  for (let i = 0; i < 200 && serverSyncs.length < count; i++) await sleep(50);
  return serverSyncs.slice(count - 1, count);
}

describe('a remote sync', () => {
  it("aborted by the caller's signal stops on the server and answers its report, as embedded", async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const report = await remote.connectors.sync('twilio-flex', { type: 'full', deliver: false }, { signal: ac.signal });
    expect(report.status).toBe('aborted');
    expect(await serverSyncEnded(1)).toEqual(['aborted']);
    // already aborted when called: the same
    const pre = new AbortController();
    pre.abort();
    expect((await remote.connectors.sync('twilio-flex', { type: 'full', deliver: false }, { signal: pre.signal })).status).toBe('aborted');
    expect(await serverSyncEnded(2)).toEqual(['aborted']);
    await remote.close();
  }, 60_000);

  it('close() aborts it on the server: the call answers the aborted report', async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    const running = remote.connectors.sync('twilio-flex', { type: 'full', deliver: false });
    await sleep(300);
    await remote.close();
    expect((await running).status).toBe('aborted');
    expect(await serverSyncEnded(3)).toEqual(['aborted']);
  }, 60_000);

  it('a caller that gives up (its timeout) leaves no sync running on the server', async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url, timeoutMs: 300 });
    await expect(remote.connectors.sync('twilio-flex', { type: 'full', deliver: false })).rejects.toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', message: expect.stringContaining('did not answer within 300 ms') });
    expect(await serverSyncEnded(4)).toEqual(['aborted']);
    await remote.close();
  }, 60_000);
});
