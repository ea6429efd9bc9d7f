import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { TajoClient, createWebhookHandler, webhookOptions } from './index.js';
import { emulatorSuite } from './test-helpers/emulatorSuite.js';

const suite = emulatorSuite(5);
let dir: string;
beforeAll(async () => {
  dir = await suite.tempDir('tajo-sdk-webhooks-');
});

describe('webhookOptions / createWebhookHandler', () => {
  it('honour server.cors_origins: a preflight from the configured Flex UI origin is allowed', async () => {
    const config = ConfigSchema.parse({ server: { cors_origins: ['https://flex.acme.example'], plugin_auth: 'hmac', plugin_hmac_secret: 's'.repeat(32) } });
    const tajo = new TajoClient({ dataDir: dir, env: {}, config });
    try {
      await tajo.connectors.connect('twilio-flex', { accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken, flexFlowSid: suite.emu.info.flexFlowSid, baseUrls: suite.emu.info.twilio });
      expect((await webhookOptions(tajo)).corsOrigins).toEqual(['https://flex.acme.example']);
      const handler = await createWebhookHandler(tajo);
      const server = createServer(handler);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/flex/task-complete`;
        const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://flex.acme.example', 'access-control-request-method': 'POST' } });
        expect(pre.status).toBe(204);
        expect(pre.headers.get('access-control-allow-origin')).toBe('https://flex.acme.example');
        const other = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://flex.twilio.com', 'access-control-request-method': 'POST' } });
        expect(other.status).toBe(403);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
        await handler.close();
      }
    } finally {
      await tajo.close();
    }
  });
});
