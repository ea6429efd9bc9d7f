import { parsePhoneNumber } from 'awesome-phonenumber';
import { badRequest, type BrevoHttpError } from './errors.js';

/**
 * Brevo accepts phone identifiers (SMS, WHATSAPP, LANDLINE_NUMBER) "only with proper country code & number
 * combination": `91xxxxxxxxxx`, `+91xxxxxxxxxx`, `0091xxxxxxxxxx`, `+44 (0)7771234567`, `+1 (206) 123-4567`
 * (brevo.md §2.1). The emulator strips formatting, reads the digits as international, and requires a number that
 * is *possible* for its country (libphonenumber; `valid` would reject Brevo's own `+1 (206) 123-4567` example).
 * Returns the E.164 form (`+14155550100`), which is what the emulator stores and indexes.
 */
export function normalizePhone(input: string): string | undefined {
  const hit = memo.get(input);
  if (hit !== undefined || memo.has(input)) return hit;
  const out = parse(input);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(input, out);
  return out;
}

// libphonenumber costs ~50 µs a number; the same numbers come back with every event
const MEMO_MAX = 50_000;
const memo = new Map<string, string | undefined>();

function parse(input: string): string | undefined {
  let s = input.trim().replace(/\(0\)/g, '').replace(/[\s().-]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  else if (!s.startsWith('+')) s = `+${s}`;
  if (!/^\+\d{6,15}$/.test(s)) return undefined;
  const p = parsePhoneNumber(s);
  return p.possible && p.number?.e164 ? p.number.e164 : undefined;
}

export const PHONE_ATTRIBUTES = ['SMS', 'WHATSAPP', 'LANDLINE_NUMBER'] as const;
export type PhoneAttribute = (typeof PHONE_ATTRIBUTES)[number];

export function isPhoneAttribute(name: string): name is PhoneAttribute {
  return (PHONE_ATTRIBUTES as readonly string[]).includes(name);
}

/** The error Brevo answers for a malformed phone identifier. */
export function invalidPhone(attr: PhoneAttribute): BrevoHttpError {
  const label = attr === 'SMS' ? 'SMS phone number' : attr === 'WHATSAPP' ? 'WhatsApp number' : 'Landline number';
  return badRequest(`Invalid phone number, ${label} should be in format: 91xxxxxxxxxx or +91xxxxxxxxxx.`);
}
