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

  it('prefers the constructor option over serviceConfiguration.attributes.tajo', () => {
    const attrs = { tajo: { endpoint: 'https://from-service/x' } };
    expect(resolveConfig(undefined, attrs)).toMatchObject({ ok: true, config: { endpoint: 'https://from-service/x' } });
    expect(resolveConfig({ endpoint: 'https://from-option/x', auth: 'flex_token' }, attrs)).toMatchObject({ ok: true, config: { endpoint: 'https://from-option/x' } });
  });
});
