import { describe, expect, it } from 'vitest';
import { jsonb, jsonbText } from './jsonb.js';

describe('jsonb', () => {
  it('replaces NUL and lone surrogates with U+FFFD, keeps everything else', () => {
    const v = { a: 'x\u0000y', b: '\ud800', c: 'z\udc00', emoji: '😀', pair: '\ud83d\ude00', text: '\\u0000', plain: 'é' };
    expect(JSON.parse(jsonb(v))).toEqual({ a: 'x\ufffdy', b: '\ufffd', c: 'z\ufffd', emoji: '😀', pair: '😀', text: '\\u0000', plain: 'é' });
  });

  it('reads escapes in text as received: upper case, pairs, and escaped backslashes', () => {
    expect(jsonbText('["\\u0000","\\uD800x","\\uD83D\\uDE00","\\\\u0000","\\\\\\u0000","\\uDC00"]')).toBe(
      '["\\ufffd","\\ufffdx","\\uD83D\\uDE00","\\\\u0000","\\\\\\ufffd","\\ufffd"]',
    );
    const untouched = '{"a":"\\u00e9","b":"\\n"}';
    expect(jsonbText(untouched)).toBe(untouched);
  });
});
