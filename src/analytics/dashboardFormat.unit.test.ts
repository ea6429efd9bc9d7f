/** The dashboard's number formats (dashboard/src/format.ts; vitest runs only src/, so the test sits here). */
import { describe, expect, it } from 'vitest';
import { age, dec } from '../../dashboard/src/format.js';

describe('dashboard formats', () => {
  it('ages and lags in s, min, h + min, d; minutes never read 60', () => {
    expect([age(null), age(45), age(89.6), age(90), age(5399)]).toEqual(['–', '45 s', '90 s', '2 min', '90 min']);
    expect(age(5400)).toBe('1 h 30 min');
    expect(age(7190)).toBe('2 h 0 min'); // 1 h 59 min 50 s
    expect(age(3 * 3600 + 59 * 60 + 31)).toBe('4 h 0 min');
    expect(age(47 * 3600)).toBe('47 h 0 min');
    expect(age(72 * 3600)).toBe('3 d');
    expect([dec(null), dec(2), dec(12.25, ' s')]).toEqual(['–', '2.0', '12.3 s']);
  });
});
