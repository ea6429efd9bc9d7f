import { json } from '../rows.js';

/**
 * JSON text Postgres' `jsonb` accepts. jsonb refuses the escape `\u0000` (text cannot hold NUL) and a lone UTF-16
 * surrogate (`\ud800`), both valid JSON that JSON.stringify writes for such strings: the insert fails with
 * "unsupported Unicode escape sequence", which would fail a whole commit (a webhook delivery answered 503 and retried
 * by Twilio for hours, a sync that never passes the record). Each becomes U+FFFD, the replacement character, as a
 * UTF-8 decoder does with bytes it cannot read. An escaped backslash before `u` (`\\u0000`, the six characters
 * themselves) is text, and stays.
 */
export function jsonbText(text: string): string {
  return text.includes('\\u') ? text.replace(UNSUPPORTED_ESCAPE, '$1\\ufffd') : text;
}

/** An odd run of backslashes (the last one starts an escape) followed by u0000 or a surrogate not part of a pair. */
const UNSUPPORTED_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2}\\u)d[c-f][0-9a-f]{2})/gi;

/** `json(v)` for a jsonb column. */
export const jsonb = (v: unknown): string => jsonbText(json(v));
