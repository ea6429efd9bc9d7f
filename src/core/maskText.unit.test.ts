import { describe, expect, it } from 'vitest';
import { maskEmail, maskPhone } from './logger.js';
import { maskPiiInText } from './maskText.js';

describe('maskPiiInText', () => {
  it('masks e-mail addresses and phone numbers inside text as the logger does', () => {
    expect(maskPiiInText('Write to Jane.Doe+bills@Example.co.uk please')).toBe('Write to J•••@Example.co.uk please');
    expect(maskPiiInText('call +14155550123 or +1 (415) 555-0123!')).toBe('call +1415•••0123 or +1415•••0123!');
    expect(maskPiiInText('my number is 415-555-0123.')).toBe('my number is •••0123.');
    expect(maskPiiInText('whatsapp:+447700900123 works')).toBe('whatsapp:+4477•••0123 works');
    expect(maskPiiInText('desk 555 0199 ext')).toBe('desk ••• ext');
  });

  it('leaves ordinary text, short numbers, ISO dates and words with digits alone', () => {
    for (const t of ['Order 12345 arrived on 2026-06-01 at 10:30', 'I was charged $129.99 twice', 'Room B12, code A1234567B', 'no @ here', 'a@b']) {
      expect(maskPiiInText(t)).toBe(t);
    }
  });
});

describe('maskPiiInText reuses the logger masks', () => {
  it('gives for an E.164 number or an address alone exactly what the logger gives', () => {
    for (const phone of ['+14155550123', '+447700900123', '+33612345678']) expect(maskPiiInText(phone)).toBe(maskPhone(phone));
    for (const email of ['ann@x.io', 'jane.doe@example.com']) expect(maskPiiInText(email)).toBe(maskEmail(email));
  });
});
