import { describe, expect, it } from 'vitest';
import { validate } from './validate.js';

const WT = `WT${'0123456789abcdef'.repeat(2)}`;
const completed = (payload: Record<string, unknown>) => ({ type: 'task.completed', payload: { taskSid: WT, ...payload } });

describe('validate.event (handleEvent)', () => {
  it('takes a duration up to 366 days and a completion time a Date can hold, from 1970 on', () => {
    expect(validate.event(completed({ duration: 366 * 86_400, completedAt: '2026-12-06T10:00:00Z' }))).toMatchObject({ payload: { duration: 31_622_400 } });
    expect(validate.event(completed({ completedAt: 1_765_000_000_000 }))).toBeDefined();
    expect(validate.event(completed({ completedAt: '1765000000000' }))).toBeDefined();
    expect(validate.event(completed({ completedAt: '2026-12-06T10:00' }))).toBeDefined();
    expect(validate.event(completed({ customerEmail: ' Ann.Lee@Example.COM ' }))).toBeDefined();
    expect(validate.event(completed({ customerEmail: '' }))).toBeDefined(); // no email
  });

  it('refuses, with a coded error naming the field, a duration no task lives or a time no Date holds', () => {
    for (const [payload, path] of [
      [{ duration: 1e300 }, 'payload.duration'],
      [{ duration: 366 * 86_400 + 1 }, 'payload.duration'],
      [{ completedAt: -1e20 }, 'payload.completedAt'],
      [{ completedAt: -1 }, 'payload.completedAt'],
      [{ completedAt: 1e20 }, 'payload.completedAt'],
      [{ completedAt: 'yesterday' }, 'payload.completedAt'],
      // not ISO 8601: Date.parse would take it, in whatever zone it guesses
      [{ completedAt: 'Dec 6, 2026 10:00' }, 'payload.completedAt'],
      [{ completedAt: '2026-02-30T10:00:00Z' }, 'payload.completedAt'],
      // an address Brevo would refuse: said now, not dropped when the contact is written
      [{ customerEmail: 'not an email' }, 'payload.customerEmail'],
      [{ customerEmail: 'ann@localhost' }, 'payload.customerEmail'],
      [{ customerEmail: 'ann lee@example.com' }, 'payload.customerEmail'],
    ] as const) {
      expect(() => validate.event(completed(payload)), JSON.stringify(payload)).toThrow(expect.objectContaining({
        code: 'TAJO_RECORD_INVALID', details: expect.arrayContaining([expect.objectContaining({ path })]),
      }));
    }
  });
});

describe('validate.sync', () => {
  it('says where onProgress and signal go when they are given among the sync parameters', () => {
    for (const params of [{ type: 'incremental', onProgress: () => undefined }, { signal: AbortSignal.timeout(1000) }]) {
      expect(() => validate.sync(params)).toThrow(expect.objectContaining({
        code: 'TAJO_USAGE', hint: expect.stringContaining("sync's third argument"), details: [expect.objectContaining({ path: '(root)' })],
      }));
    }
    expect(() => validate.sync({ typo: 1 })).toThrow(expect.objectContaining({ code: 'TAJO_USAGE', hint: undefined }));
  });
});
