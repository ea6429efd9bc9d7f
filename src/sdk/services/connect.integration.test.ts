import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { startEmulator, type RunningEmulator } from '../../emulators/index.js';
import { EmbeddedBackend } from '../embedded.js';
import { loadConnection } from './connection.js';

let emu: RunningEmulator;
const dirs: string[] = [];

beforeAll(async () => {
  emu = await startEmulator({ seed: 3, scale: 'small', timeScale: 20 });
});
afterAll(async () => {
  await emu?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function installed(config: unknown): Promise<EmbeddedBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'tajo-rotate-'));
  dirs.push(dir);
  const b = await EmbeddedBackend.open({ dataDir: dir, env: {}, config: ConfigSchema.parse(config) });
  await b.connect('twilio-flex', {
    accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio,
    brevoApiKey: emu.info.brevoApiKey, brevoBaseUrl: emu.info.brevo,
  });
  return b;
}

describe('connectors rotate', () => {
  it('refuses (TAJO_CREDENTIAL_OVERRIDDEN, nothing stored) a credential the configuration sets, since the config wins', async () => {
    const b = await installed({ connectors: { twilio_flex: { auth_token: emu.info.authToken } }, brevo: { api_key: emu.info.brevoApiKey } });
    try {
      const err = await b.rotate('twilio-flex', { apiKeySid: emu.info.apiKeySid, apiKeySecret: emu.info.apiKeySecret, brevoApiKey: 'xkeysib-new' }).then(() => undefined, (e: unknown) => e);
      // an API key would win over the configured token: only the Brevo key is overridden
      expect(err).toMatchObject({ code: 'TAJO_CREDENTIAL_OVERRIDDEN', exitCode: 78, details: [{ path: 'brevo.api_key' }] });
      await expect(b.rotate('twilio-flex', { authToken: 'f'.repeat(32) })).rejects.toMatchObject({
        code: 'TAJO_CREDENTIAL_OVERRIDDEN',
        details: [{ path: 'connectors.twilio_flex.auth_token' }],
      });
      const msg = JSON.stringify(err) + String((err as Error).message);
      for (const secret of [emu.info.authToken, emu.info.brevoApiKey, emu.info.apiKeySecret, 'xkeysib-new']) expect(msg).not.toContain(secret);
      // nothing was stored: still the token, no API key
      const conn = await loadConnection(b.ctx, 'twilio-flex');
      expect(conn.creds).toEqual({ accountSid: emu.info.accountSid, authToken: emu.info.authToken });
      expect(conn.record.settings.authMode).toBe('auth_token');
    } finally {
      await b.ctx.close();
    }
  });

  it('rotates what the configuration does not set', async () => {
    const b = await installed({ brevo: { api_key: emu.info.brevoApiKey } });
    try {
      const r = await b.rotate('twilio-flex', { apiKeySid: emu.info.apiKeySid, apiKeySecret: emu.info.apiKeySecret });
      expect(r).toMatchObject({ authMode: 'api_key', apiKeySid: emu.info.apiKeySid });
      expect((await loadConnection(b.ctx, 'twilio-flex')).creds).toMatchObject({ apiKeySid: emu.info.apiKeySid });
    } finally {
      await b.ctx.close();
    }
  });
});
