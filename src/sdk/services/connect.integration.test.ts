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

describe('connectors install again', () => {
  it('keeps the last sync (the cursors stay), and refuses another account or workspace before storing anything', async () => {
    const b = await installed({ brevo: { api_key: suite.emu.info.brevoApiKey } });
    try {
      const store = await b.ctx.store();
      const at = '2026-11-30T10:00:00.000Z';
      await store.markSynced('twilio-flex', at);
      const params = { accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken, flexFlowSid: suite.emu.info.flexFlowSid, baseUrls: suite.emu.info.twilio, brevoBaseUrl: suite.emu.info.brevo };
      await b.connect('twilio-flex', params);
      expect((await store.getConnector('twilio-flex'))?.lastSyncAt).toBe(at);
      expect((await b.status('twilio-flex')).lastSync).toBe(at);

      // the stored connector belongs to another workspace, then to another account: refused, nothing replaced
      const rec = (await store.getConnector('twilio-flex'))!;
      const otherWs = `WS${'e'.repeat(32)}`;
      const otherAc = `AC${'e'.repeat(32)}`;
      await store.saveConnector({ ...rec, settings: { ...rec.settings, workspaceSid: otherWs } });
      await expect(b.connect('twilio-flex', params)).rejects.toMatchObject({
        code: 'TAJO_CONNECTOR_ACCOUNT_CHANGED', exitCode: 78, details: [{ path: 'workspaceSid' }], hint: expect.stringContaining('uninstall'),
      });
      await store.saveConnector({ ...rec, settings: { ...rec.settings, accountSid: otherAc } });
      const err = await b.connect('twilio-flex', params).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'TAJO_CONNECTOR_ACCOUNT_CHANGED', details: [{ path: 'accountSid', message: expect.stringContaining(otherAc) }], hint: expect.stringContaining('data dir') });
      expect(JSON.stringify(err) + String((err as Error).message)).not.toContain(suite.emu.info.authToken);
      expect((await store.getConnector('twilio-flex'))?.settings.accountSid).toBe(otherAc);
    } finally {
      await b.ctx.close();
    }
  });
});
