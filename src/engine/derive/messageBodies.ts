/**
 * `connectors.twilio_flex.message_bodies` (docs/SEMANTICS.md §4): what of a customer's message text may reach Brevo.
 * The stored Conversation snapshot keeps the raw first and last customer bodies (only when the mode is not `off`);
 * these transforms run when the events are built, so the same stored data and config always give the same value.
 */
import { createHmac } from 'node:crypto';
import type { MessageBodyMode } from '../../config/defaults.js';
import { TajoError } from '../../core/errors.js';
import { maskPiiInText } from '../../core/maskText.js';

/** Appended where a body was cut. */
export const ELLIPSIS = '…';
/**
 * Upper bound of one body property, in bytes of its JSON encoding (escapes included). Brevo caps `event_properties`
 * at 50 KB per event (brevo.md §5.1, §7): two bodies of at most 16 KB leave well over 10 KB for the other
 * properties. Twilio bodies are at most 1,600 characters (twilio.md, Conversations Message), so only pathological
 * text (e.g. thousands of combining marks) ever reaches this bound.
 */
export const BODY_MAX_JSON_BYTES = 16 * 1024;
/** HKDF purpose of the `hashed` key (Vault.deriveKey): one key per connector, from the install's master key. */
export const messageBodyKeyPurpose = (connectorId: string): string => `message-bodies/v1/${connectorId}`;

export type BodyTransform = (body: string) => string;

export interface MessageBodyConfig {
  message_bodies: MessageBodyMode;
  message_body_max_chars: number;
}

// Made on first use: building a Segmenter loads ICU's break data (about 20 ms of every CLI start-up otherwise).
let segmenter: Intl.Segmenter | undefined;
const graphemes = (): Intl.Segmenter => (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' }));
const jsonBytes = (s: string): number => Buffer.byteLength(JSON.stringify(s), 'utf8');

/**
 * The transform of the configured mode; undefined for `off` (no body property at all). `hashed` needs the key
 * derived from the master key (`Vault.deriveKey(messageBodyKeyPurpose(id))`): without it → TAJO_MESSAGE_BODY_KEY_MISSING.
 */
export function bodyTransform(cfg: MessageBodyConfig, key?: Uint8Array): BodyTransform | undefined {
  switch (cfg.message_bodies) {
    case 'off':
      return undefined;
    case 'truncated':
      return (body) => truncateBody(body, cfg.message_body_max_chars);
    case 'hashed': {
      if (!key || key.length === 0) throw new TajoError('TAJO_MESSAGE_BODY_KEY_MISSING');
      const k = Buffer.from(key);
      return (body) => hashBody(body, k);
    }
    case 'full':
      return fullBody;
  }
}

/**
 * `truncated`: e-mail addresses and phone numbers masked as the logger masks them, then the first `maxChars`
 * user-perceived characters (grapheme clusters: an emoji or an accented letter is one, never split) followed by `…`
 * when anything was cut; also bounded by BODY_MAX_JSON_BYTES.
 */
export function truncateBody(body: string, maxChars: number): string {
  const masked = maskPiiInText(body);
  let out = '';
  let n = 0;
  for (const { segment } of graphemes().segment(masked)) {
    if (n === maxChars) return fitJsonBytes(`${out}${ELLIPSIS}`);
    out += segment;
    n++;
  }
  return fitJsonBytes(out);
}

/**
 * `hashed`: hex HMAC-SHA256 of the exact body (UTF-8) under the connector's key. Equal bodies give equal hashes (across
 * events and runs, for as long as the master key is unchanged); without the key a hash cannot be checked against
 * guessed texts.
 */
export function hashBody(body: string, key: Uint8Array): string {
  return createHmac('sha256', key).update(body, 'utf8').digest('hex');
}

/** `full`: the body as is, cut (with `…`) only where its JSON encoding would exceed BODY_MAX_JSON_BYTES. */
export function fullBody(body: string): string {
  return fitJsonBytes(body);
}

/** The longest grapheme prefix whose JSON encoding, with `…` appended, fits `maxBytes`; the text itself when it fits. */
export function fitJsonBytes(text: string, maxBytes = BODY_MAX_JSON_BYTES): string {
  if (jsonBytes(text) <= maxBytes) return text;
  const budget = maxBytes - jsonBytes(ELLIPSIS);
  let out = '';
  let used = 0;
  for (const { segment } of graphemes().segment(text)) {
    const cost = jsonBytes(segment) - 2;
    if (used + cost > budget) break;
    out += segment;
    used += cost;
  }
  return `${out}${ELLIPSIS}`;
}
