import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { startEmulator, type RunningEmulator } from '../../emulators/index.js';
import { openStore } from '../../store/openStore.js';
import { TajoClient } from '../index.js';

let emu: RunningEmulator;
let dir: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 5, scale: 'small', timeScale: 20 });
  dir = await mkdtemp(join(tmpdir(), 'tajo-live-'));
});

afterAll(async () => {
  await emu?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the SDK live loops', () => {
  it('a failed start is not cached: the next handleEvent starts the loops again', async () => {
    const tajo = new TajoClient({ dataDir: dir, env: {}, config: ConfigSchema.parse({}) });
    const store = await openStore({ dataDir: dir });
    try {
      await tajo.connectors.connect('twilio-flex', {
        accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio,
        brevoApiKey: emu.info.brevoApiKey, brevoBaseUrl: emu.info.brevo,
      });
      const good = (await store.getConnector('twilio-flex'))!;
      // a stored Brevo base URL the Brevo client refuses: the delivery worker cannot be created, the loops cannot start
      await store.saveConnector({ ...good, settings: { ...good.settings, brevoBaseUrl: emu.info.brevo.replace('://', '://user:pw@') } });
      const completed = emu.truth().events.filter((e) => e.name === 'SUPPORT_RESOLVED');
      const event = (i: number) => {
        const e = completed[i]!;
        return { type: 'task.completed' as const, payload: { taskSid: e.source_sid, channel: String(e.properties.channel), queueName: String(e.properties.queue), customerPhone: '+14155550100' } };
      };
      await expect(tajo.connectors.handleEvent('twilio-flex', event(0))).rejects.toMatchObject({ code: 'TAJO_CONFIG_INVALID' });

      await store.saveConnector(good);
      const next = await tajo.connectors.handleEvent('twilio-flex', event(1));
      expect(next).toMatchObject({ accepted: true, duplicate: false });
      // the loops run now: the item left behind by the failed call is processed too
      expect(next.enqueued).toBeGreaterThan(0);
      await expect(tajo.connectors.status('twilio-flex')).resolves.toMatchObject({ conversationsTracked: 2 });
    } finally {
      await store.close();
      await tajo.close();
    }
  });
});
