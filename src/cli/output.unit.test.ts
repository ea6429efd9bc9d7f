import { describe, expect, it } from 'vitest';
import { TajoError } from '../core/errors.js';
import { bufferIo } from './io.js';
import { Output, stripSecrets } from './output.js';

describe('Output', () => {
  it('--json: one document on stdout, human lines on stderr, registered secrets scrubbed everywhere', () => {
    const io = bufferIo();
    const out = new Output(io, true);
    out.addSecrets('s3cr3t-token', 'ab');
    out.line('using s3cr3t-token');
    out.result({ ok: true, note: 'token=s3cr3t-token', authToken: 'x', nested: [{ apiKeySecret: 'y', keep: 1 }] });
    expect(io.stdoutText()).toBe('{"ok":true,"note":"token=[redacted]","nested":[{"keep":1}]}\n');
    expect(io.stderrText()).toBe('using [redacted]\n');
  });

  it('errors: JSON {error} or human lines with details and hint; the exit code comes from the catalogue', () => {
    const err = new TajoError('TAJO_CONFIG_INVALID', 'Configuration is invalid', { details: [{ path: 'a.b', line: 3, message: 'bad' }], hint: 'fix it' });
    const j = bufferIo();
    expect(new Output(j, true).error(err)).toBe(78);
    expect(JSON.parse(j.stdoutText())).toEqual({ error: { code: 'TAJO_CONFIG_INVALID', message: 'Configuration is invalid', details: [{ path: 'a.b', line: 3, message: 'bad' }], hint: 'fix it' } });
    const h = bufferIo();
    expect(new Output(h, false).error(err)).toBe(78);
    expect(h.stderrText()).toBe('error[TAJO_CONFIG_INVALID]: Configuration is invalid\n  a.b (line 3): bad\nhint: fix it\n');
    expect(new Output(bufferIo(), false).error(new Error('boom'))).toBe(70);
  });

  it('stripSecrets drops secret-named keys at any depth', () => {
    expect(stripSecrets({ a: 1, auth_token: 'x', b: { brevoApiKey: 'y', c: [{ password: 'z', d: 2 }] } })).toEqual({ a: 1, b: { c: [{ d: 2 }] } });
    // the server's secrets, as the config names them
    expect(stripSecrets({ server: { sink_basic_auth: { user: 'twilio', pass: 'p' }, plugin_hmac_secret: 'h', dashboard_token: 't', port: 8787 } }))
      .toEqual({ server: { sink_basic_auth: { user: 'twilio' }, port: 8787 } });
  });
});
