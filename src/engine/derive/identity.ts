import { parsePhoneNumber } from 'awesome-phonenumber';
import type { Channel } from '../../config/defaults.js';

/** The keys a customer can be recognised by (docs/SEMANTICS.md §2). */
export interface CustomerIdentity {
  /** ext_id: the first present of phone, email, `chat:<identity>`. */
  extId: string;
  phone?: string;
  email?: string;
  /** `chat:<identity>` (webchat `from`). */
  chat?: string;
  /** E.164 of a WhatsApp interaction's `from` (sets the WHATSAPP attribute). */
  whatsapp?: string;
}

/** E.164 (`+…`) of a phone written in any common format, `whatsapp:` prefix allowed; undefined when invalid. */
export function normalizePhone(raw: unknown, defaultRegion = 'US'): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim().replace(/^whatsapp:/i, '').trim();
  if (s === '') return undefined;
  const parsed = parsePhoneNumber(s, { regionCode: defaultRegion });
  return parsed.valid ? parsed.number.e164 : undefined;
}

/** Trimmed, lower-cased email; undefined when empty or without an `@`. */
export function normalizeEmail(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim().toLowerCase();
  return s.includes('@') ? s : undefined;
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/**
 * The customer keys of one interaction, in priority order: E.164 phone (`attributes.phone`, else `from` for
 * voice/sms/whatsapp), lower-cased email, `chat:<from>` for webchat. Undefined when none is present.
 */
export function identityFromAttributes(
  attributes: Readonly<Record<string, unknown>>,
  channel: Channel | undefined,
  defaultRegion = 'US',
): CustomerIdentity | undefined {
  const from = nonEmptyString(attributes.from);
  const fromIsPhone = channel === 'voice' || channel === 'sms' || channel === 'whatsapp';
  const phone = normalizePhone(attributes.phone, defaultRegion) ?? (fromIsPhone ? normalizePhone(from, defaultRegion) : undefined);
  const email = normalizeEmail(attributes.email);
  const chat = channel === 'webchat' && from !== undefined ? `chat:${from}` : undefined;
  const whatsapp = channel === 'whatsapp' ? normalizePhone(from, defaultRegion) : undefined;
  const extId = phone ?? email ?? chat;
  if (extId === undefined) return undefined;
  return {
    extId,
    ...(phone !== undefined ? { phone } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(chat !== undefined ? { chat } : {}),
    ...(whatsapp !== undefined ? { whatsapp } : {}),
  };
}
