import { describe, expect, it } from 'vitest';
import { EmulatorClock } from '../common/clock.js';
import { coerceAttributeValue } from './attributeValues.js';
import { csvToItems, parseSemicolonCsv } from './csv.js';
import { BrevoLimits, bucketFor } from './limits.js';
import { normalizePhone } from './phone.js';
import type { Attribute } from './types.js';
import { fieldPath, toBrevoError } from './validation.js';

const attr = (type: NonNullable<Attribute['type']>, extra: Partial<Attribute> = {}): Attribute => ({ name: 'X', category: 'normal', type, ...extra });

describe('attribute value rules (wrong types are ignored)', () => {
  it.each([
    ['float', 3, 3],
    ['float', '4.5', 4.5],
    ['float', 'abc', 'wrong_type'],
    ['float', true, 'wrong_type'],
    ['date', '2026-01-04', '2026-01-04'],
    ['date', '2026-02-30', 'invalid_date'],
    ['date', '04/01/2026', 'invalid_date'],
    ['date', '2026-01-04T10:00:00Z', 'invalid_date'],
    ['boolean', true, true],
    ['boolean', 'true', 'wrong_type'],
    ['text', 'gold', 'gold'],
    ['text', 12, '12'],
    ['text', ['a'], 'wrong_type'],
  ] as const)('%s ← %j', (type, raw, expected) => {
    const r = coerceAttributeValue(attr(type), raw);
    if (r.ok) expect(r.value).toEqual(expected);
    else expect(r.reason).toBe(expected);
  });

  it('category, multiple-choice, calculated and clearing', () => {
    const cat = attr('category', { category: 'category', enumeration: [{ value: 1, label: 'gold' }] });
    expect(coerceAttributeValue(cat, 'gold')).toEqual({ ok: true, value: 1 });
    expect(coerceAttributeValue(cat, 2)).toEqual({ ok: false, reason: 'wrong_type' });
    const mc = attr('multiple-choice', { multiCategoryOptions: ['a', 'b'] });
    expect(coerceAttributeValue(mc, ['a', 'b'])).toEqual({ ok: true, value: ['a', 'b'] });
    expect(coerceAttributeValue(mc, ['c'])).toEqual({ ok: false, reason: 'wrong_type' });
    expect(coerceAttributeValue({ name: 'C', category: 'calculated' }, 1)).toEqual({ ok: false, reason: 'not_settable' });
    expect(coerceAttributeValue(attr('float'), '')).toEqual({ ok: true, value: null });
  });
});

describe('phone numbers', () => {
  it.each([
    ['+14155550100', '+14155550100'],
    ['14155550100', '+14155550100'],
    ['0014155550100', '+14155550100'],
    ['+1 (206) 123-4567', '+12061234567'],
    ['+44 (0)7771234567', '+447771234567'],
    ['+91 9788824675', '+919788824675'],
    ['12345', undefined],
    ['+1415555010099999', undefined],
    ['abc', undefined],
  ])('%s → %s', (input, out) => {
    expect(normalizePhone(input)).toBe(out);
    expect(normalizePhone(input)).toBe(out); // memoised answer is the same
  });
});

describe('CSV fileBody', () => {
  it('parses ; separated rows with quotes and CRLF', () => {
    expect(parseSemicolonCsv('A;B\r\n"x;1";"say ""hi"""\n\n2;\n')).toEqual([
      ['A', 'B'],
      ['x;1', 'say "hi"'],
      ['2', ''],
    ]);
    expect(csvToItems('email;ext_id;firstname\na@x.co;e1;Ann')).toEqual({
      columns: ['EMAIL', 'EXT_ID', 'FIRSTNAME'],
      items: [{ email: 'a@x.co', ext_id: 'e1', attributes: { FIRSTNAME: 'Ann' } }],
    });
  });
});

describe('rate-limit buckets', () => {
  it('classifies paths as brevo.md §6 says', () => {
    expect(bucketFor('POST', '/contacts')).toBe('contacts');
    expect(bucketFor('POST', '/contacts/import')).toBe('contacts');
    expect(bucketFor('GET', '/contacts/lists/3/contacts')).toBe('contacts');
    expect(bucketFor('POST', '/events')).toBe('events');
    expect(bucketFor('GET', '/events')).toBe('hourly');
    expect(bucketFor('POST', '/events/batch')).toBe('hourly');
    expect(bucketFor('GET', '/processes/1')).toBe('hourly');
    expect(bucketFor('GET', '/account')).toBe('hourly');
  });

  it('token bucket refills with emulated time only', () => {
    let real = 0;
    const clock = new EmulatorClock(0, 1, () => real);
    const l = new BrevoLimits({ contactsPerSecond: 2, eventsPerSecond: 1, otherPerHour: 1, enabled: true }, clock);
    expect([l.take('contacts').allowed, l.take('contacts').allowed, l.take('contacts').allowed]).toEqual([true, true, false]);
    real = 500;
    expect(l.take('contacts').allowed).toBe(true);
    expect(l.take('hourly')).toMatchObject({ allowed: true, remaining: 0 });
    expect(l.take('hourly')).toMatchObject({ allowed: false, resetSeconds: 3600 });
  });
});

describe('ajv errors → Brevo error bodies', () => {
  it('maps keywords to codes', () => {
    expect(fieldPath('/contacts/0/email')).toBe('contacts[0].email');
    expect(toBrevoError([{ keyword: 'required', instancePath: '', schemaPath: '', params: { missingProperty: 'name' } }]).body).toEqual({
      code: 'missing_parameter',
      message: 'name is missing',
    });
    expect(toBrevoError([{ keyword: 'maxItems', instancePath: '/emails', schemaPath: '', params: { limit: 150 }, message: 'must NOT have more than 150 items' }]).body).toMatchObject({
      code: 'out_of_range',
    });
    expect(toBrevoError([{ keyword: 'type', instancePath: '/folderId', schemaPath: '', params: { type: 'integer' }, message: 'must be integer' }]).body).toEqual({
      code: 'invalid_parameter',
      message: 'folderId must be integer',
    });
  });
});
