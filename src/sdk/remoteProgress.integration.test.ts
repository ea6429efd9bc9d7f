/**
 * A remote sync reports its progress as an embedded one does ("same types, same results, either way"): the server
 * streams each progress event (`Accept: application/x-ndjson`) and the remote client hands it to `onProgress`; the
 * report at the end is the embedded one's. Aborting it (the caller's signal, its timeout) still stops it on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../server/app.js';
import { TajoClient, type SyncProgressEvent, type SyncReport } from './index.js';
import { emulatorSuite } from './test-helpers/emulatorSuite.js';
import { startRecordingServer, type RecordingServer } from './test-helpers/recordingServer.js';

const suite = emulatorSuite(11, { timeScale: 2 });
let fx: RecordingServer;
let server: RunningServer;
let embedded: TajoClient;
let key: string;
let serverSyncs: string[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fx = await startRecordingServer(suite, 'tajo-remote-progress-');
  ({ server, key, syncs: serverSyncs } = fx);
  embedded = new TajoClient({ dataDir: await suite.tempDir('tajo-remote-progress-embedded-'), env: {}, config: fx.config });
  const info = suite.emu.info;
  await embedded.connectors.connect('twilio-flex', { accountSid: info.accountSid, authToken: info.authToken, flexFlowSid: info.flexFlowSid, baseUrls: info.twilio });
});
afterAll(async () => {
  await embedded?.close();
  await fx?.close();
});

/** A report without what depends on when it ran (times, clock, rate waits, cursors). */
function comparable(r: SyncReport) {
  const { startedAt: _s, finishedAt: _f, durationMs: _d, syncedThrough: _t, ...rest } = r;
  return { ...rest, streams: r.streams.map(({ rateWaitMs: _w, cursor: _c, ...s }) => s) };
}

/** An event's kind and fields (budgetUse depends on timing: left out). */
const shape = (e: SyncProgressEvent) => JSON.stringify([e.kind, Object.keys(e.kind === 'warning' ? e : e.progress).filter((k) => k !== 'budgetUse').sort()]);
/** Each stream's last progress (done), as both modes must end it. */
function lastOfEachStream(events: SyncProgressEvent[]) {
  const last = new Map<string, unknown>();
  for (const e of events) if (e.kind === 'stream') last.set(`${e.progress.stream}/${e.progress.partition ?? ''}`, { records: e.progress.records, pages: e.progress.pages, done: e.progress.done });
  return Object.fromEntries([...last].sort(([a], [b]) => a.localeCompare(b)));
}

describe('a remote sync with onProgress', () => {
  it('receives the progress events an embedded sync reports, and the same report', async () => {
    const local: SyncProgressEvent[] = [];
    const embeddedReport = await embedded.connectors.sync('twilio-flex', { type: 'full', deliver: false }, { onProgress: (e) => local.push(e) });
    const remoteEvents: SyncProgressEvent[] = [];
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    const remoteReport = await remote.connectors.sync('twilio-flex', { type: 'full', deliver: false }, { onProgress: (e) => remoteEvents.push(e) });
    await remote.close();
    expect(embeddedReport.status).toBe('ok');
    expect(comparable(remoteReport)).toEqual(comparable(embeddedReport));
    expect(remoteEvents.length).toBeGreaterThanOrEqual(1);
    expect(new Set(remoteEvents.map(shape))).toEqual(new Set(local.map(shape)));
    expect(lastOfEachStream(remoteEvents)).toEqual(lastOfEachStream(local));
  }, 120_000);

  it('is still aborted by its signal on the server (the abort route), and answers its report', async () => {
    const before = serverSyncs.length;
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    const ac = new AbortController();
    const events: SyncProgressEvent[] = [];
    const report = await remote.connectors.sync('twilio-flex', { type: 'full', deliver: false }, {
      signal: ac.signal,
      onProgress: (e) => {
        events.push(e);
        ac.abort();
      },
    });
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(report.status).toBe('aborted');
    expect(serverSyncs.slice(before)).toEqual(['aborted']);
    await remote.close();
  }, 60_000);

  it('a caller that gives up mid-stream (its timeout) leaves no sync running on the server', async () => {
    const before = serverSyncs.length;
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url, timeoutMs: 400 });
    const events: SyncProgressEvent[] = [];
    // Every Twilio answer 1 s late (2 emulated s at ×2): the sync outlasts the caller's 400 ms on any machine (a fast
    // one finished a full sync of this small world within it: fresh-clone CI at fb8e7e9)
    suite.emu.faults.load({ seed: 1, rules: [{ vendor: 'twilio', latencyMs: 2000, errorStatus: 503 }] });
    try {
      await expect(remote.connectors.sync('twilio-flex', { type: 'full', deliver: false }, { onProgress: (e) => events.push(e) })).rejects.toMatchObject({
        code: 'TAJO_SERVER_UNAVAILABLE',
        message: expect.stringContaining('did not answer within 400 ms'),
      });
      for (let i = 0; i < 200 && serverSyncs.length === before; i++) await sleep(50);
      expect(serverSyncs.slice(before)).toEqual(['aborted']);
    } finally {
      suite.emu.faults.load({ seed: 1, rules: [] });
      await remote.close();
    }
  }, 60_000);
});
