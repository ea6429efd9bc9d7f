import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { EmbeddedBackend } from '../embedded.js';
import { emulatorSuite } from '../test-helpers/emulatorSuite.js';
import { DEFAULT_EVENT_TYPES } from './webhooks.js';

const TR = (t: string) => `com.twilio.taskrouter.${t}`;
const suite = emulatorSuite(19);
let backend: EmbeddedBackend;
let server: RunningServer;

beforeAll(async () => {
  const emu = suite.emu;
  const dir = await suite.tempDir('tajo-webhooks-');
  const config = ConfigSchema.parse({});
  backend = await EmbeddedBackend.open({ dataDir: dir, env: {}, config });
  await backend.connect('twilio-flex', { accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio });
  // the sink's test-event handshake needs a server that records the test_id (what `tajo serve` does)
  server = await startServer({ store: await backend.ctx.store(), config, logger: silentLogger(), twilioAuthToken: emu.info.authToken, accountSid: emu.info.accountSid, host: '127.0.0.1', port: 0, rateLimit: false });
});
afterAll(async () => {
  await server?.close();
  await backend?.close();
});

/** What Twilio's Events API holds for a subscription. */
async function subscribed(subSid: string): Promise<string[]> {
  const res = await fetch(`${suite.emu.info.twilio.events}/v1/Subscriptions/${subSid}/SubscribedEvents?PageSize=1000`, {
    headers: { authorization: `Basic ${Buffer.from(`${suite.emu.info.accountSid}:${suite.emu.info.authToken}`).toString('base64')}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { types: { type: string }[] }).types.map((t) => t.type).sort();
}

describe('connectors webhooks --event-types', () => {
  it('brings an existing subscription in line with the asked types and reports what Twilio holds; unknown types are refused', async () => {
    const first = await backend.webhooks('twilio-flex', { publicUrl: server.url, eventTypes: [TR('task.created'), TR('task.completed')], activationWaitSeconds: 15 });
    expect(first).toMatchObject({ sinkStatus: 'active', subscriptionCreated: true, eventTypes: [TR('task.created'), TR('task.completed')] });
    const sub = first.subscriptionSid!;
    expect(await subscribed(sub)).toEqual([TR('task.completed'), TR('task.created')]);

    const second = await backend.webhooks('twilio-flex', { publicUrl: server.url, eventTypes: [TR('task.completed'), TR('reservation.accepted')] });
    expect(second).toMatchObject({
      subscriptionSid: sub, subscriptionCreated: false, sinkCreated: false,
      eventTypes: [TR('task.completed'), TR('reservation.accepted')], eventTypesAdded: [TR('reservation.accepted')], eventTypesRemoved: [TR('task.created')],
    });
    expect(await subscribed(sub)).toEqual([TR('reservation.accepted'), TR('task.completed')]);

    await expect(backend.webhooks('twilio-flex', { publicUrl: server.url, eventTypes: [TR('task.completed'), 'task.created', 'com.twilio.nope'] })).rejects.toMatchObject({
      code: 'TAJO_USAGE', message: 'Unknown Event Streams event types: task.created, com.twilio.nope',
    });
    expect(await subscribed(sub)).toEqual([TR('reservation.accepted'), TR('task.completed')]);

    // without --event-types: the ones Tajo reads
    const defaults = await backend.webhooks('twilio-flex', { publicUrl: server.url });
    expect(defaults).toMatchObject({ subscriptionSid: sub, eventTypes: DEFAULT_EVENT_TYPES, eventTypesRemoved: [] });
    expect(await subscribed(sub)).toEqual([...DEFAULT_EVENT_TYPES].sort());
  });
});
