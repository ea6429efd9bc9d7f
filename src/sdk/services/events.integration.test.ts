import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { openStore } from '../../store/openStore.js';
import { TajoClient } from '../index.js';
import { emulatorSuite } from '../test-helpers/emulatorSuite.js';

const suite = emulatorSuite(5);
let dir: string;
beforeAll(async () => {
  dir = await suite.tempDir('tajo-live-');
});

describe('the SDK live loops', () => {
  it('a failed start is not cached: the next handleEvent starts the loops again', async () => {
    const tajo = new TajoClient({ dataDir: dir, env: {}, config: ConfigSchema.parse({}) });
    const store = await openStore({ dataDir: dir });
    try {
      await tajo.connectors.connect('twilio-flex', {
        accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken, flexFlowSid: suite.emu.info.flexFlowSid, baseUrls: suite.emu.info.twilio,
        brevoApiKey: suite.emu.info.brevoApiKey, brevoBaseUrl: suite.emu.info.brevo,
      });
      const good = (await store.getConnector('twilio-flex'))!;
      // a stored Brevo base URL the Brevo client refuses: the delivery worker cannot be created, the loops cannot start
      await store.saveConnector({ ...good, settings: { ...good.settings, brevoBaseUrl: suite.emu.info.brevo.replace('://', '://user:pw@') } });
      const completed = suite.emu.truth().events.filter((e) => e.name === 'SUPPORT_RESOLVED');
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
