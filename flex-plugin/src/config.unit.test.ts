import { describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from './config';

describe('config', () => {
  it('accepts flex_token (default) and {hmacSecret}', () => {
    expect(parseConfig({ endpoint: 'https://t.example/x' })).toEqual({ ok: true, config: { endpoint: 'https://t.example/x', auth: 'flex_token' } });
    expect(parseConfig({ endpoint: 'https://t.example/x', auth: { hmacSecret: 's' }, maxAttempts: 3 })).toEqual({
      ok: true,
      config: { endpoint: 'https://t.example/x', auth: { hmacSecret: 's' }, maxAttempts: 3 },
    });
  });

  it('rejects a missing endpoint or an unknown auth', () => {
    expect(parseConfig(undefined).ok).toBe(false);
    expect(parseConfig({ endpoint: 'ftp://x' }).ok).toBe(false);
    expect(parseConfig({ endpoint: 'https://x', auth: 'basic' }).ok).toBe(false);
    expect(parseConfig({ endpoint: 'https://x', auth: { hmacSecret: '' } }).ok).toBe(false);
  });

  it('refuses an endpoint that fetch could not post to: credentials in it, or not a URL; the reason never echoes it', () => {
    for (const endpoint of ['https://agent:s3cret@t.example/x', 'https://agent@t.example/x', 'https://:s3cret@t.example/x', 'https://t.example:99999/x', 'http://[::1/x']) {
      const r = parseConfig({ endpoint });
      expect(r.ok, endpoint).toBe(false);
      expect(JSON.stringify(r)).not.toContain('s3cret');
      expect(JSON.stringify(r)).not.toContain('t.example');
    }
    expect(parseConfig({ endpoint: 'https://agent:s3cret@t.example/x' })).toEqual({ ok: false, reason: expect.stringContaining('credentials') });
  });

  it('reads maxInFlight (1..20) and maxQueued (1..1000), ignoring other values', () => {
    expect(parseConfig({ endpoint: 'https://t.example/x', maxInFlight: 2.7, maxQueued: 5_000 })).toMatchObject({ ok: true, config: { maxInFlight: 2, maxQueued: 1_000 } });
    expect(parseConfig({ endpoint: 'https://t.example/x', maxInFlight: 99 })).toMatchObject({ ok: true, config: { maxInFlight: 20 } });
    const r = parseConfig({ endpoint: 'https://t.example/x', maxInFlight: 0.5, maxQueued: -1 });
    expect(r.ok && r.config.maxInFlight === undefined && r.config.maxQueued === undefined).toBe(true);
  });

  it('prefers the constructor option over serviceConfiguration.attributes.tajo', () => {
    const attrs = { tajo: { endpoint: 'https://from-service/x' } };
    expect(resolveConfig(undefined, attrs)).toMatchObject({ ok: true, config: { endpoint: 'https://from-service/x' } });
    expect(resolveConfig({ endpoint: 'https://from-option/x', auth: 'flex_token' }, attrs)).toMatchObject({ ok: true, config: { endpoint: 'https://from-option/x' } });
  });
});
