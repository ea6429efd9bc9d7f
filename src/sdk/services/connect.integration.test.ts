import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { EmbeddedBackend } from '../embedded.js';
import { loadConnection } from './connection.js';
import { emulatorSuite } from '../test-helpers/emulatorSuite.js';

const suite = emulatorSuite(3);

async function installed(config: unknown): Promise<EmbeddedBackend> {
  const dir = await suite.tempDir('tajo-rotate-');
  const b = await EmbeddedBackend.open({ dataDir: dir, env: {}, config: ConfigSchema.parse(config) });
  await b.connect('twilio-flex', {
    accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken, flexFlowSid: suite.emu.info.flexFlowSid, baseUrls: suite.emu.info.twilio,
    brevoApiKey: suite.emu.info.brevoApiKey, brevoBaseUrl: suite.emu.info.brevo,
  });
  return b;
}

describe('connectors rotate', () => {
  it('refuses (TAJO_CREDENTIAL_OVERRIDDEN, nothing stored) a credential the configuration sets, since the config wins', async () => {
    const b = await installed({ connectors: { twilio_flex: { auth_token: suite.emu.info.authToken } }, brevo: { api_key: suite.emu.info.brevoApiKey } });
    try {
      const err = await b.rotate('twilio-flex', { apiKeySid: suite.emu.info.apiKeySid, apiKeySecret: suite.emu.info.apiKeySecret, brevoApiKey: 'xkeysib-new' }).then(() => undefined, (e: unknown) => e);
      // an API key would win over the configured token: only the Brevo key is overridden
      expect(err).toMatchObject({ code: 'TAJO_CREDENTIAL_OVERRIDDEN', exitCode: 78, details: [{ path: 'brevo.api_key' }] });
      await expect(b.rotate('twilio-flex', { authToken: 'f'.repeat(32) })).rejects.toMatchObject({
        code: 'TAJO_CREDENTIAL_OVERRIDDEN',
        details: [{ path: 'connectors.twilio_flex.auth_token' }],
      });
      const msg = JSON.stringify(err) + String((err as Error).message);
      for (const secret of [suite.emu.info.authToken, suite.emu.info.brevoApiKey, suite.emu.info.apiKeySecret, 'xkeysib-new']) expect(msg).not.toContain(secret);
      // nothing was stored: still the token, no API key
      const conn = await loadConnection(b.ctx, 'twilio-flex');
      expect(conn.creds).toEqual({ accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken });
      expect(conn.record.settings.authMode).toBe('auth_token');
    } finally {
      await b.ctx.close();
    }
  });

  it('rotates what the configuration does not set', async () => {
    const b = await installed({ brevo: { api_key: suite.emu.info.brevoApiKey } });
    try {
      const r = await b.rotate('twilio-flex', { apiKeySid: suite.emu.info.apiKeySid, apiKeySecret: suite.emu.info.apiKeySecret });
      expect(r).toMatchObject({ authMode: 'api_key', apiKeySid: suite.emu.info.apiKeySid });
      expect((await loadConnection(b.ctx, 'twilio-flex')).creds).toMatchObject({ apiKeySid: suite.emu.info.apiKeySid });
    } finally {
      await b.ctx.close();
    }
  });
});
