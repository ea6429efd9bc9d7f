import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { TajoClient, createWebhookHandler, webhookOptions } from './index.js';

let emu: RunningEmulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ seed: 5, scale: 'small', timeScale: 20 });
  dir = await mkdtemp(join(tmpdir(), 'tajo-sdk-webhooks-'));
});
afterAll(async () => {
  await emu?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('webhookOptions / createWebhookHandler', () => {
  it('honour server.cors_origins: a preflight from the configured Flex UI origin is allowed', async () => {
    const config = ConfigSchema.parse({ server: { cors_origins: ['https://flex.acme.example'], plugin_auth: 'hmac', plugin_hmac_secret: 's'.repeat(32) } });
    const tajo = new TajoClient({ dataDir: dir, env: {}, config });
    try {
      await tajo.connectors.connect('twilio-flex', { accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio });
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
