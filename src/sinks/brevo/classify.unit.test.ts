import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeValueProblem, planAttributes, wantedAttributes } from './bootstrap.js';
import { chunk, classifyRejection, duplicateIdentifiers, jsonBytes, parseImportReport, splitEventBatches } from './classify.js';
import type { EventItem } from './types.js';

const ev = (i: number, pad = 0): EventItem => ({
  event_name: 'SUPPORT_REQUESTED',
  identifiers: { ext_id: `+1415555${String(i).padStart(4, '0')}` },
  event_date: '2026-01-01T00:00:00.000Z',
  event_properties: { tajo_id: `SUPPORT_REQUESTED:WT${i}`, pad: 'x'.repeat(pad) },
});

describe('classifyRejection', () => {
  const rows: [string, number, unknown, string][] = [
    ['duplicate SMS by metadata (duplicate_parameter)', 400, { code: 'duplicate_parameter', message: 'Unable to create contact, SMS phone number is already associated with another Contact', metadata: { duplicate_identifiers: ['SMS'] } }, 'brevo_duplicate_sms'],
    ['duplicate SMS with the 2026 code', 400, { code: 'invalid_parameter', message: 'x', metadata: { duplicate_identifiers: ['sms'] } }, 'brevo_duplicate_sms'],
    ['duplicate SMS by message only', 400, { code: 'invalid_parameter', message: 'SMS phone number is already associated with another Contact' }, 'brevo_duplicate_sms'],
    ['duplicate WhatsApp counts as phone', 400, { code: 'duplicate_parameter', message: 'm', metadata: { duplicate_identifiers: ['WHATSAPP'] } }, 'brevo_duplicate_sms'],
    ['duplicate ext_id', 400, { code: 'duplicate_parameter', message: 'Unable to update contact, ext_id is already associated with another Contact', metadata: { duplicate_identifiers: ['ext_id'] } }, 'brevo_duplicate_ext_id'],
    ['invalid phone', 400, { code: 'invalid_parameter', message: 'Invalid phone number, SMS phone number should be in format: 91xxxxxxxxxx or +91xxxxxxxxxx.' }, 'brevo_invalid_phone'],
    ['duplicate email is a plain rejection', 400, { code: 'duplicate_parameter', message: 'email is already associated with another Contact', metadata: { duplicate_identifiers: ['email'] } }, 'brevo_rejected'],
    ['413', 413, 'too big', 'payload_too_large'],
    ['other 400', 400, { code: 'invalid_parameter', message: 'event_name is invalid' }, 'brevo_rejected'],
    ['non-JSON body', 400, 'Bad Request', 'brevo_rejected'],
  ];
  it.each(rows)('%s', (_n, status, body, reason) => expect(classifyRejection(status, body)).toBe(reason));

  it('duplicateIdentifiers', () => {
    expect(duplicateIdentifiers({ metadata: { duplicate_identifiers: ['ext_id', 'SMS'] } })).toEqual(['ext_id', 'sms']);
    expect(duplicateIdentifiers({ code: 'duplicate_parameter', message: 'Contact already exist' })).toEqual(['ext_id']);
    expect(duplicateIdentifiers({ code: 'invalid_parameter', message: 'Unable to create contact, email is already associated with another Contact' })).toEqual(['email']);
    expect(duplicateIdentifiers({ code: 'invalid_parameter', message: 'Invalid phone number' })).toEqual([]);
  });
});

describe('splitEventBatches', () => {
  it('splits by count (200)', () => {
    const s = splitEventBatches(Array.from({ length: 450 }, (_, i) => ev(i)));
    expect(s.batches.map((b) => b.length)).toEqual([200, 200, 50]);
    expect(s.tooLarge).toEqual([]);
  });
  it('splits by bytes (512 KB) before the count binds', () => {
    const items = Array.from({ length: 60 }, (_, i) => ev(i, 20_000));
    const s = splitEventBatches(items);
    expect(s.batches.length).toBeGreaterThan(1);
    for (const b of s.batches) expect(jsonBytes({ events: b.map((i) => items[i]) })).toBeLessThanOrEqual(512 * 1024);
  });
  it('flags events whose properties exceed 50 KB', () => {
    const s = splitEventBatches([ev(1), ev(2, 60_000), ev(3)]);
    expect(s.tooLarge).toEqual([1]);
    expect(s.batches).toEqual([[0, 2]]);
  });
  it('property: order kept, every item once, each body within both limits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 300 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 2_000, max: 600_000 }), (pads, maxCount, maxBytes) => {
        const items = pads.map((p, i) => ev(i, p));
        const s = splitEventBatches(items, { maxCount, maxBytes });
        const flat = s.batches.flat();
        const all = [...flat, ...s.tooLarge].sort((a, b) => a - b);
        const sorted = flat.every((v, i) => i === 0 || v > flat[i - 1]!);
        return (
          sorted &&
          all.length === items.length &&
          all.every((v, i) => v === i) &&
          s.batches.every((b) => b.length > 0 && b.length <= maxCount && jsonBytes({ events: b.map((i) => items[i]) }) <= maxBytes)
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('helpers', () => {
  it('chunk ≤ 150', () => {
    expect(chunk(Array.from({ length: 301 }, (_, i) => i), 150).map((c) => c.length)).toEqual([150, 150, 1]);
  });
  it('parseImportReport reads CSV (; or ,) and JSON', () => {
    expect(parseImportReport('EXT_ID;SMS\n"+14155550100";+14155550100\n')).toEqual(['EXT_ID', 'SMS', '+14155550100', '+14155550100']);
    expect(parseImportReport('["a","b"]')).toEqual(['a', 'b']);
    expect(parseImportReport('[{"ext_id":"x","SMS":"+1"}]')).toEqual(['x', '+1']);
    expect(parseImportReport('')).toEqual([]);
  });
  it('planAttributes: create missing, accept compatible, report mismatches', () => {
    const wanted = wantedAttributes(['FLEX_IDENTITY', 'email', 'LAST_SUPPORT_DATE', 'CSAT_SCORE', 'MY_CUSTOM']);
    expect(wanted).toEqual({ FLEX_IDENTITY: 'text', LAST_SUPPORT_DATE: 'date', CSAT_SCORE: 'float', MY_CUSTOM: 'text' });
    const plan = planAttributes(wanted, [
      { name: 'FLEX_IDENTITY', type: 'text' },
      { name: 'LAST_SUPPORT_DATE', type: 'text' },
      { name: 'my_custom', type: 'id' },
    ]);
    expect(plan.create).toEqual([{ name: 'CSAT_SCORE', type: 'float' }]);
    expect(plan.ok).toEqual(['FLEX_IDENTITY', 'MY_CUSTOM']);
    expect(plan.mismatched).toEqual([{ name: 'LAST_SUPPORT_DATE', want: 'date', have: 'text' }]);
  });
});

describe('attributeValueProblem', () => {
  it('judges values as Brevo takes them: text/id string or number, float number, date YYYY-MM-DD, boolean true/false', () => {
    expect(attributeValueProblem('FIRSTNAME', 'text', 'Ann')).toBeUndefined();
    expect(attributeValueProblem('VIP_TIER', 'text', 3)).toBeUndefined();
    expect(attributeValueProblem('VIP_TIER', 'text', true)).toBe('wrong_type');
    expect(attributeValueProblem('AVG_WAIT_TIME', 'float', 12.5)).toBeUndefined();
    expect(attributeValueProblem('AVG_WAIT_TIME', 'float', '12.5')).toBeUndefined();
    expect(attributeValueProblem('AVG_WAIT_TIME', 'float', 'soon')).toBe('wrong_type');
    expect(attributeValueProblem('LAST_SUPPORT_DATE', 'date', '2026-01-05')).toBeUndefined();
    expect(attributeValueProblem('LAST_SUPPORT_DATE', 'date', '2026-02-30')).toBe('wrong_type');
    expect(attributeValueProblem('LAST_SUPPORT_DATE', 'date', '2026-01-05T10:00:00Z')).toBe('wrong_type');
    expect(attributeValueProblem('OPTED', 'boolean', 'true')).toBe('wrong_type');
    expect(attributeValueProblem('OPTED', 'boolean', false)).toBeUndefined();
    expect(attributeValueProblem('MISSING', undefined, 'x')).toBe('unknown_attribute');
    expect(attributeValueProblem('SMS', undefined, '+14155550100')).toBeUndefined();
    expect(attributeValueProblem('COLOUR', 'category', 'red')).toBeUndefined();
  });
});
