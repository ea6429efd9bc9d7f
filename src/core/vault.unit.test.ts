import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isTajoError } from './errors.js';
import { thrownTajoError } from './test-helpers/thrownTajoError.js';
import { parseMasterKey, Vault } from './vault.js';

const key = randomBytes(32);
const slot = { connectorId: 'twilio-flex', name: 'auth_token' };
const SECRET = 'f00dfacecafebeef0123456789abcdef';

const thrown = thrownTajoError;

describe('parseMasterKey', () => {
  it('accepts 32 bytes as hex, base64 and base64url', () => {
    expect(parseMasterKey(key.toString('hex'))).toEqual(key);
    expect(parseMasterKey(`  ${key.toString('base64')}\n`)).toEqual(key);
    expect(parseMasterKey(key.toString('base64url'))).toEqual(key);
  });

  it.each(['', 'short', randomBytes(16).toString('base64'), randomBytes(33).toString('hex'), `${'g'.repeat(64)}`, randomBytes(31).toString('base64')])(
    'rejects %j without echoing it',
    (bad) => {
      const err = thrown(() => parseMasterKey(bad));
      expect(err.code).toBe('TAJO_MASTER_KEY_INVALID');
      if (bad.length > 4) expect(JSON.stringify(err.toJSON()) + err.message).not.toContain(bad);
    },
  );
});

describe('Vault', () => {
  it('round-trips and uses a fresh IV each time', () => {
    const v = new Vault(key);
    const a = v.seal(SECRET, slot);
    const b = v.seal(SECRET, slot);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(Buffer.from(a.ciphertext, 'base64').toString('utf8')).not.toContain(SECRET);
    expect(v.open(a, slot)).toBe(SECRET);
    expect(v.openAll('c', v.sealAll('c', { x: 'é ünïcode', y: '' }))).toEqual({ x: 'é ünïcode', y: '' });
  });

  it('a wrong key, another slot or tampering fails with TAJO_CREDENTIALS_DECRYPT and no secret in the error', () => {
    const sealed = new Vault(key).seal(SECRET, slot);
    const cases = [
      () => new Vault(randomBytes(32)).open(sealed, slot),
      () => new Vault(key).open(sealed, { ...slot, name: 'api_key_secret' }),
      () => new Vault(key).open(sealed, { ...slot, connectorId: 'other' }),
      () => new Vault(key).open({ ...sealed, ciphertext: Buffer.from('x'.repeat(32)).toString('base64') }, slot),
      () => new Vault(key).open({ ...sealed, tag: 'AAAA' }, slot),
    ];
    for (const c of cases) {
      const err = thrown(c);
      expect(isTajoError(err, 'TAJO_CREDENTIALS_DECRYPT')).toBe(true);
      const text = `${err.message} ${err.hint ?? ''} ${JSON.stringify(err.toJSON())} ${String(err.cause ?? '')}`;
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(key.toString('base64'));
      expect(text).not.toContain(key.toString('hex'));
    }
  });

  it('derives a stable 32-byte key per purpose that is neither the master key nor another purpose\'s', () => {
    const v = new Vault(key);
    const a = v.deriveKey('message-bodies/v1/twilio-flex');
    expect(a).toHaveLength(32);
    expect(new Vault(Buffer.from(key)).deriveKey('message-bodies/v1/twilio-flex').equals(a)).toBe(true);
    expect(a.equals(key)).toBe(false);
    expect(v.deriveKey('message-bodies/v1/other').equals(a)).toBe(false);
    expect(new Vault(randomBytes(32)).deriveKey('message-bodies/v1/twilio-flex').equals(a)).toBe(false);
    expect(() => v.deriveKey('')).toThrow();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(thrown(() => new Vault(randomBytes(16))).code).toBe('TAJO_MASTER_KEY_INVALID');
  });
});
