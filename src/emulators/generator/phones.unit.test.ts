import { parsePhoneNumber } from 'awesome-phonenumber';
import { describe, expect, it } from 'vitest';
import { Rng } from './ids.js';
import type { Country, PhoneStyle } from './phones.js';
import { formatPhone, makePhone } from './phones.js';

describe('phones', () => {
  it('are valid E.164 numbers and every written form normalises back (default region US)', () => {
    const rng = new Rng(11);
    const taken = new Set<string>();
    const styles: PhoneStyle[] = ['e164', 'paren', 'national', 'international', 'dashes'];
    for (const country of ['US', 'GB', 'FR', 'DE'] as Country[]) {
      for (let i = 0; i < 1500; i++) {
        const e164 = makePhone(rng, country, taken);
        const p = parsePhoneNumber(e164);
        expect(p.valid, e164).toBe(true);
        expect(p.number?.e164).toBe(e164);
        for (const style of styles) {
          const text = formatPhone(e164, style);
          expect(parsePhoneNumber(text, { regionCode: 'US' }).number?.e164, `${style}: ${text}`).toBe(e164);
        }
      }
    }
    expect(taken.size).toBe(6000);
    expect(formatPhone('+14155550100', 'paren')).toBe('+1 (415) 555-0100');
  });
});
