/** A key written into a base URL (`http://user:KEY@host`) never reaches an error's message, details or hint. */
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { isTajoError } from '../core/errors.js';
import { budgetsForBrevo } from '../engine/budget.js';
import { BrevoClient } from '../sinks/brevo/client.js';
import { TajoClient } from './index.js';
import { redactUrlCredentials } from './services/vendorProbe.js';
import { emulatorSuite } from './test-helpers/emulatorSuite.js';

const KEY = 'xkeysib-sekritbrevo0123456789';
const suite = emulatorSuite(5);
const client = async (opts: { brevoBaseUrl?: string } = {}) => {
  const dir = await suite.tempDir('tajo-secrets-');
  return new TajoClient({ dataDir: dir, env: {}, config: ConfigSchema.parse({}), ...opts });
};
const twilio = () => ({ accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken, flexFlowSid: suite.emu.info.flexFlowSid, baseUrls: suite.emu.info.twilio });
const shown = (err: unknown) => (isTajoError(err) ? JSON.stringify(err.toJSON()) : String(err));

describe('a key in a base URL', () => {
  it('connect refuses a base URL with credentials, without echoing them', async () => {
    const tajo = await client();
    try {
      const err = await tajo.connectors.connect('twilio-flex', { ...twilio(), brevoApiKey: 'k', brevoBaseUrl: `http://user:${KEY}@127.0.0.1:1/v3` }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TAJO_USAGE', details: [{ path: 'brevoBaseUrl', message: expect.stringContaining('credentials') }] });
      expect(shown(err)).not.toContain(KEY);
    } finally {
      await tajo.close();
    }
  });

  it('a Brevo base URL with credentials from the options or config is redacted from the network error', async () => {
    const tajo = await client({ brevoBaseUrl: suite.emu.info.brevo.replace('http://', `http://user:${KEY}@`) });
    try {
      const err = await tajo.connectors.connect('twilio-flex', { ...twilio(), brevoApiKey: suite.emu.info.brevoApiKey }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TAJO_BREVO_UNAVAILABLE' });
      expect(shown(err)).not.toContain(KEY);
      expect(shown(err)).toContain('[redacted]@');
    } finally {
      await tajo.close();
    }
  });

  it('the Brevo client refuses such a base URL up front, without quoting it', () => {
    const err = (() => {
      try {
        return new BrevoClient({ baseUrl: `https://user:${KEY}@api.brevo.com/v3`, apiKey: 'k', budgets: budgetsForBrevo() });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'TAJO_CONFIG_INVALID' });
    expect(shown(err)).not.toContain(KEY);
  });

  it('redactUrlCredentials hides every userinfo in a text', () => {
    expect(redactUrlCredentials(`cannot fetch http://u:${KEY}@h:1/v3/account, nor https://${KEY}@x.io`)).toBe('cannot fetch http://[redacted]@h:1/v3/account, nor https://[redacted]@x.io');
    expect(redactUrlCredentials('mail a@b.co at http://host/x')).toBe('mail a@b.co at http://host/x');
  });
});
