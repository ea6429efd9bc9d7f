import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** Everything a logger writes, once flushed. */
function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } });
  return { logger: createLogger({ destination: sink, level: 'info' }), text: () => lines.join('') };
}

describe('createLogger redaction', () => {
  it('censors every credential field name and header, at the top level and two levels down; other fields stay', () => {
    const { logger, text } = capture();
    // the config's own spellings (SECRET_PATHS), the code's, and the headers that carry credentials
    logger.info({
      server: { plugin_hmac_secret: 'S-plugin-hmac', dashboard_token: 'S-dashboard', sink_basic_auth: { user: 'sink-user', pass: 'S-sink-pass' } },
      connectors: { twilio_flex: { auth_token: 'S-auth-token', api_key_secret: 'S-key-secret', account_sid: 'AC-visible' } },
      brevo: { api_key: 'S-brevo' },
      opts: { twilioAuthToken: 'S-twilio-token', pluginHmacSecret: 'S-hmac-2', sinkBasicAuth: { user: 'sink-user', pass: 'S-pass-2' }, dashboardToken: 'S-dash-2' },
      pluginAuth: { hmacSecret: 'S-hmac-3', flexToken: 'S-flex' },
      master_key: 'S-master',
      req: { headers: { authorization: 'Bearer S-bearer', 'x-flex-token': 'S-flex-2', 'x-tajo-signature': 'sha256=S-sig', 'x-twilio-signature': 'S-twsig', cookie: 'S-cookie' }, path: '/visible' },
      fetch: { init: { headers: { Authorization: 'Basic S-basic', 'api-key': 'S-api-key' } } },
    }, 'config');
    const out = text();
    expect(out).toContain('config');
    for (const visible of ['sink-user', 'AC-visible', '/visible']) expect(out).toContain(visible);
    expect(out.match(/S-[a-z0-9-]+/g) ?? []).toEqual([]);
  });
});
