import { isoMillis } from '../common/clock.js';
import { badRequest } from './errors.js';
import { normalizePhone, type PhoneAttribute } from './phone.js';
import type { BrevoStore } from './store.js';
import type { Contact } from './types.js';

/** `getContactDetails` (+ `whatsappBlacklisted`, SDK v6). ext_id is reported as the EXT_ID attribute. */
export function contactDetails(c: Contact): Record<string, unknown> {
  return {
    ...(c.email !== undefined ? { email: c.email } : {}),
    id: c.id,
    emailBlacklisted: c.emailBlacklisted,
    smsBlacklisted: c.smsBlacklisted,
    whatsappBlacklisted: c.whatsappBlacklisted,
    createdAt: isoMillis(c.createdAt),
    modifiedAt: isoMillis(c.modifiedAt),
    listIds: [...c.listIds].sort((a, b) => a - b),
    listUnsubscribed: [],
    attributes: { ...c.attributes, ...(c.ext_id !== undefined ? { EXT_ID: c.ext_id } : {}) },
  };
}

export type IdentifierType = 'email_id' | 'contact_id' | 'ext_id' | 'phone_id' | 'whatsapp_id' | 'landline_number_id';

const PHONE_TYPES: Record<string, PhoneAttribute> = { phone_id: 'SMS', whatsapp_id: 'WHATSAPP', landline_number_id: 'LANDLINE_NUMBER' };

/**
 * Find the contact a `{identifier}` path segment names. Without `identifierType`, Brevo reads an email or a contact
 * id (and, for GET only, an SMS number) (brevo.md §2.2-2.3).
 */
export function resolveContact(store: BrevoStore, identifier: unknown, type: unknown, allowSmsWithoutType: boolean): Contact | undefined {
  const id = String(identifier ?? '');
  switch (type as IdentifierType | undefined) {
    case 'email_id':
      return store.findByEmail(id);
    case 'contact_id':
      if (!/^\d+$/.test(id)) throw badRequest('Invalid contact id');
      return store.get(Number(id));
    case 'ext_id':
      return store.findByExtId(id);
    case 'phone_id':
    case 'whatsapp_id':
    case 'landline_number_id': {
      const e164 = normalizePhone(id);
      return e164 ? store.findByPhone(PHONE_TYPES[type as string] as PhoneAttribute, e164) : undefined;
    }
    default:
      if (id.includes('@')) return store.findByEmail(id);
      if (/^\d+$/.test(id)) return store.get(Number(id));
      if (allowSmsWithoutType) {
        const e164 = normalizePhone(id);
        return e164 ? store.findByPhone('SMS', e164) : undefined;
      }
      return undefined;
  }
}
