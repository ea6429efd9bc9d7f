import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAttributes } from './attributes.js';
import { resolveChannel } from './channel.js';
import { isStopKeyword } from './consent.js';
import { contentHash, stableJson } from './hash.js';
import { identityFromAttributes, normalizeEmail, normalizePhone } from './identity.js';
import { round1 } from './numbers.js';

describe('identity', () => {
  it('normalises formatted phones to E.164 (default region US) and strips whatsapp:', () => {
    expect(normalizePhone('+1 (415) 555-0100')).toBe('+14155550100');
    expect(normalizePhone('(415) 555-0100')).toBe('+14155550100');
    expect(normalizePhone('415-555-0100')).toBe('+14155550100');
    expect(normalizePhone('whatsapp:+447911123456')).toBe('+447911123456');
    expect(normalizePhone('+33 6 12 34 56 78')).toBe('+33612345678');
    expect(normalizePhone('12')).toBeUndefined();
    expect(normalizePhone('visitor-42')).toBeUndefined();
    expect(normalizePhone(42)).toBeUndefined();
  });

  it('lower-cases and trims emails', () => {
    expect(normalizeEmail('  Ann.Lee@Example.COM ')).toBe('ann.lee@example.com');
    expect(normalizeEmail('nope')).toBeUndefined();
  });

  it('orders keys phone > email > chat for ext_id', () => {
    expect(identityFromAttributes({ from: '+14155550100', email: 'a@b.co' }, 'voice')?.extId).toBe('+14155550100');
    expect(identityFromAttributes({ from: 'visitor-1', email: 'A@B.co' }, 'webchat')).toEqual({ extId: 'a@b.co', email: 'a@b.co', chat: 'chat:visitor-1' });
    expect(identityFromAttributes({ from: 'visitor-1' }, 'webchat')).toEqual({ extId: 'chat:visitor-1', chat: 'chat:visitor-1' });
    // attributes.phone wins over from
    expect(identityFromAttributes({ from: '+14155550100', phone: '+1 (212) 555-0199' }, 'sms')?.extId).toBe('+12125550199');
    // webchat `from` is never a phone; a phone attribute still is
    expect(identityFromAttributes({ from: '+14155550100', phone: '(212) 555-0199' }, 'webchat')?.extId).toBe('+12125550199');
    // invalid phone ignored as an identifier
    expect(identityFromAttributes({ from: '+1 555', email: 'x@y.z' }, 'voice')?.extId).toBe('x@y.z');
    expect(identityFromAttributes({ from: '+1 555' }, 'voice')).toBeUndefined();
  });

  it('sets the WhatsApp number for whatsapp interactions only', () => {
    expect(identityFromAttributes({ from: 'whatsapp:+14155550100' }, 'whatsapp')).toEqual({ extId: '+14155550100', phone: '+14155550100', whatsapp: '+14155550100' });
    expect(identityFromAttributes({ from: '+14155550100' }, 'sms')?.whatsapp).toBeUndefined();
  });
});

describe('channel', () => {
  it('follows §2 precedence', () => {
    expect(resolveChannel('voice', { channelType: 'sms' })).toBe('voice');
    expect(resolveChannel('chat', { channelType: 'web' })).toBe('webchat');
    expect(resolveChannel('chat', {}, 'whatsapp')).toBe('whatsapp');
    expect(resolveChannel('sms', { channelType: 'facebook' }, 'sms')).toBe('sms');
    expect(resolveChannel('default', {})).toBeUndefined();
  });
});

describe('attributes', () => {
  it('parses JSON objects and rejects the rest', () => {
    expect(parseAttributes('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseAttributes({ a: 1 })).toEqual({ ok: true, value: { a: 1 } });
    for (const bad of ['{"a":', 'null', '"x"', '[]', 7, null]) expect(parseAttributes(bad).ok).toBe(false);
  });
});

describe('consent', () => {
  it('recognises STOP keywords trimmed and case-insensitively', () => {
    for (const s of ['STOP', ' stop ', 'StopAll', 'unsubscribe', 'cancel', 'END', 'quit\n']) expect(isStopKeyword(s)).toBe(true);
    for (const s of ['stop please', 'STOPP', '', 'halt', undefined]) expect(isStopKeyword(s)).toBe(false);
  });
});

describe('hash and rounding', () => {
  it('hashes independently of key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(stableJson(reversed)).toBe(stableJson(obj));
        expect(contentHash(reversed)).toBe(contentHash(obj));
      }),
    );
  });

  it('rounds half away from zero at 1 decimal', () => {
    expect(round1(12.25)).toBe(12.3);
    expect(round1(12.35)).toBe(12.4);
    expect(round1(0.15)).toBe(0.2);
    expect(round1(7)).toBe(7);
    expect(round1(3.04)).toBe(3);
  });
});
