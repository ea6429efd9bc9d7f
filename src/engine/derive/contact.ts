import { EMAIL_TARGET, SMS_TARGET, normaliseTarget } from '../../config/fieldMapping.js';
import type { CustomerRow } from '../../store/types.js';
import { readPath } from './attributes.js';
import type { DerivedCustomer } from './customer.js';
import { contentHash } from './hash.js';
import { normalizeEmail, normalizePhone } from './identity.js';

/** The Brevo contact write Tajo enqueues (outbox kind `contact`, key `contact:<ext_id>`). */
export interface ContactPayload {
  ext_id: string;
  email?: string;
  attributes: Record<string, string | number | boolean>;
  listIds: number[];
  smsBlacklisted?: true;
  whatsappBlacklisted?: true;
}

export interface ContactLists {
  support_contacts?: number | undefined;
  csat_respondents?: number | undefined;
}

export interface ContactFlags {
  smsBlacklisted: boolean;
  whatsappBlacklisted: boolean;
}

/**
 * Applies `field_mapping` (record path → Brevo target, normalised as config load does: `email`, `SMS` whatever their
 * case, other attributes upper-cased). `email` sets the contact's email (lower-cased), `SMS` the
 * E.164 phone; every other target is an attribute. Absent values (undefined, null, '') and values that are not
 * string/number/boolean are not sent. The contact's email is the mapped one (default: the latest interaction's
 * `attributes.email`), so a customer whose latest interaction has no email is sent without one.
 */
export function buildContact(c: DerivedCustomer, mapping: Readonly<Record<string, string>>, lists: ContactLists, flags: ContactFlags, defaultRegion = 'US'): ContactPayload {
  const attributes: Record<string, string | number | boolean> = {};
  let email: string | undefined;
  for (const path of Object.keys(mapping).sort()) {
    const given = mapping[path];
    if (given === undefined) continue;
    const target = normaliseTarget(given);
    const value = readPath(c.record, path);
    if (value === undefined || value === null || value === '') continue;
    if (target === EMAIL_TARGET) {
      email = normalizeEmail(value) ?? email;
    } else if (target === SMS_TARGET) {
      const phone = normalizePhone(typeof value === 'number' ? String(value) : value, defaultRegion);
      if (phone) attributes.SMS = phone;
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      attributes[target] = value;
    }
  }
  if (c.keys.whatsapp) attributes.WHATSAPP = c.keys.whatsapp;
  const listIds: number[] = [];
  if (lists.support_contacts !== undefined) listIds.push(lists.support_contacts);
  if (lists.csat_respondents !== undefined && c.surveyCount > 0) listIds.push(lists.csat_respondents);
  return {
    ext_id: c.key,
    ...(email !== undefined ? { email } : {}),
    attributes,
    listIds: listIds.sort((a, b) => a - b),
    ...(flags.smsBlacklisted ? { smsBlacklisted: true as const } : {}),
    ...(flags.whatsappBlacklisted ? { whatsappBlacklisted: true as const } : {}),
  };
}

/** Content hash for change detection: the payload plus the mapping that produced it. */
export function contactHash(payload: ContactPayload, mapping: Readonly<Record<string, string>>): string {
  return contentHash({ payload, mapping });
}

/**
 * The customers-table row for a derived customer; consent flags are sticky (never cleared by Tajo). It carries the
 * version of `prev` (0 without one): the commit refuses it if the stored row has moved on since it was read.
 */
export function toCustomerRow(c: DerivedCustomer, prev: CustomerRow | undefined, flags: ContactFlags, pushedHash: string | null, updatedAt: string): CustomerRow {
  return {
    key: c.key,
    email: c.keys.email ?? prev?.email ?? null,
    phone: c.keys.phone ?? prev?.phone ?? null,
    whatsapp: c.keys.whatsapp ?? prev?.whatsapp ?? null,
    chatIdentity: c.keys.chat ? c.keys.chat.slice('chat:'.length) : (prev?.chatIdentity ?? null),
    smsBlacklisted: flags.smsBlacklisted || (prev?.smsBlacklisted ?? false),
    whatsappBlacklisted: flags.whatsappBlacklisted || (prev?.whatsappBlacklisted ?? false),
    pushedHash,
    updatedAt,
    version: prev?.version ?? 0,
  };
}
