import { coerceAttributeValue } from './attributeValues.js';
import { badRequest, duplicate, type BrevoHttpError } from './errors.js';
import { invalidPhone, isPhoneAttribute, normalizePhone, PHONE_ATTRIBUTES, type PhoneAttribute } from './phone.js';
import type { BrevoStore } from './store.js';
import type { AttrValue, Contact, IgnoredAttribute } from './types.js';

/** Fields a create/update/batch/import/event may carry for a contact (wire names). */
export interface ContactInput {
  email?: unknown;
  ext_id?: unknown;
  attributes?: Record<string, unknown>;
  emailBlacklisted?: boolean;
  smsBlacklisted?: boolean;
  whatsappBlacklisted?: boolean;
  listIds?: number[];
  unlinkListIds?: number[];
  smtpBlacklistSender?: string[];
}

export type IdentifierName = 'email' | 'ext_id' | PhoneAttribute;
type Ignored = Pick<IgnoredAttribute, 'name' | 'value' | 'reason'>;

/** A validated change set: identifiers normalised, attribute values coerced, ignored values collected. */
export interface Prepared {
  email?: string | null;
  ext_id?: string | null;
  phones: Partial<Record<PhoneAttribute, string | null>>;
  attrs: Map<string, AttrValue | null>;
  ignored: Ignored[];
  emailBlacklisted?: boolean;
  smsBlacklisted?: boolean;
  whatsappBlacklisted?: boolean;
  listIds: number[];
  unlinkListIds: number[];
  smtpBlacklistSender?: string[];
}

export interface PrepareOptions {
  /** `throw`: 400 invalid phone (API calls); `ignore`: record and skip (event contact_properties). */
  phoneErrors?: 'throw' | 'ignore';
  /** Whether listIds must exist (400 otherwise). */
  checkLists?: boolean;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LABELS: Record<IdentifierName, string> = {
  email: 'email',
  ext_id: 'ext_id',
  SMS: 'SMS phone number',
  WHATSAPP: 'WhatsApp number',
  LANDLINE_NUMBER: 'landline number',
};

export function isEmail(s: string): boolean {
  return EMAIL_RE.test(s.trim());
}

/** Create/update logic shared by every endpoint that writes contacts. */
export class ContactWriter {
  constructor(
    private readonly store: BrevoStore,
    private readonly now: () => number,
    private readonly logIgnored: (entries: Omit<IgnoredAttribute, 'at'>[]) => void,
  ) {}

  prepare(input: ContactInput, opts: PrepareOptions = {}): Prepared {
    const p: Prepared = { phones: {}, attrs: new Map(), ignored: [], listIds: input.listIds ?? [], unlinkListIds: input.unlinkListIds ?? [] };
    const setEmail = (v: unknown) => {
      if (typeof v !== 'string' || v.trim() === '') return;
      if (!isEmail(v)) throw badRequest('Invalid email address');
      p.email = v.trim().toLowerCase();
    };
    const setExt = (v: unknown) => {
      if (typeof v === 'string' || typeof v === 'number') p.ext_id = String(v) === '' ? null : String(v);
    };
    for (const [k, v] of Object.entries(input.attributes ?? {})) {
      const name = k.toUpperCase();
      if (name === 'EMAIL') setEmail(v);
      else if (name === 'EXT_ID') setExt(v);
      else if (isPhoneAttribute(name)) {
        if (v === '' || v === null) p.phones[name] = null;
        else {
          const e164 = typeof v === 'string' || typeof v === 'number' ? normalizePhone(String(v)) : undefined;
          if (e164) p.phones[name] = e164;
          else if (opts.phoneErrors === 'ignore') p.ignored.push({ name, value: v, reason: 'invalid_phone' });
          else throw invalidPhone(name);
        }
      } else {
        const attr = this.store.attributes.get(name);
        if (!attr) {
          p.ignored.push({ name, value: v, reason: 'unknown_attribute' });
          continue;
        }
        const c = coerceAttributeValue(attr, v);
        if (c.ok) p.attrs.set(name, c.value);
        else p.ignored.push({ name, value: v, reason: c.reason });
      }
    }
    // top-level fields win over their attribute spelling
    setEmail(input.email);
    setExt(input.ext_id);
    for (const f of ['emailBlacklisted', 'smsBlacklisted', 'whatsappBlacklisted'] as const) if (typeof input[f] === 'boolean') p[f] = input[f];
    if (input.smtpBlacklistSender) p.smtpBlacklistSender = input.smtpBlacklistSender;
    if (opts.checkLists !== false) {
      const missing = p.listIds.filter((id) => !this.store.lists.has(id));
      if (missing.length) throw badRequest(`List ID(s) ${missing.join(',')} do not exist`);
    }
    return p;
  }

  /** Identifiers carried by a change set, with their (normalised) values. */
  identifiers(p: Prepared): [IdentifierName, string][] {
    const out: [IdentifierName, string][] = [];
    if (p.email) out.push(['email', p.email]);
    if (p.ext_id) out.push(['ext_id', p.ext_id]);
    for (const a of PHONE_ATTRIBUTES) {
      const v = p.phones[a];
      if (v) out.push([a, v]);
    }
    return out;
  }

  owner(name: IdentifierName, value: string): Contact | undefined {
    if (name === 'email') return this.store.findByEmail(value);
    if (name === 'ext_id') return this.store.findByExtId(value);
    return this.store.findByPhone(name, value);
  }

  /** Existing contacts owning any identifier of `p`, in identifier order (email, ext_id, SMS, WHATSAPP, LANDLINE). */
  owners(p: Prepared): { name: IdentifierName; contact: Contact }[] {
    const out: { name: IdentifierName; contact: Contact }[] = [];
    for (const [name, value] of this.identifiers(p)) {
      const c = this.owner(name, value);
      if (c) out.push({ name, contact: c });
    }
    return out;
  }

  /** Identifier names of `p` already held by a contact other than `selfId`. */
  conflicts(p: Prepared, selfId?: number): IdentifierName[] {
    return this.owners(p)
      .filter((o) => o.contact.id !== selfId)
      .map((o) => o.name);
  }

  duplicateError(verb: 'create' | 'update', names: readonly IdentifierName[]): BrevoHttpError {
    const what = names.map((n) => LABELS[n]).join(' and ');
    return duplicate(`Unable to ${verb} contact, ${what} is already associated with another Contact`, names);
  }

  create(p: Prepared, endpoint: string): Contact {
    const c = this.store.newContact();
    this.apply(c, p, endpoint);
    return c;
  }

  /** Write a prepared change set onto a contact (indexes included). Conflicts must have been checked. */
  apply(c: Contact, p: Prepared, endpoint: string): void {
    if (p.email !== undefined) this.store.setEmail(c, p.email ?? undefined);
    if (p.ext_id !== undefined) this.store.setExtId(c, p.ext_id ?? undefined);
    for (const a of PHONE_ATTRIBUTES) if (p.phones[a] !== undefined) this.store.setPhone(c, a, p.phones[a] ?? undefined);
    for (const [k, v] of p.attrs) {
      if (v === null) delete c.attributes[k];
      else c.attributes[k] = v;
    }
    if (p.emailBlacklisted !== undefined) c.emailBlacklisted = p.emailBlacklisted;
    if (p.smsBlacklisted !== undefined) c.smsBlacklisted = p.smsBlacklisted;
    if (p.whatsappBlacklisted !== undefined) c.whatsappBlacklisted = p.whatsappBlacklisted;
    if (p.smtpBlacklistSender) c.smtpBlacklistSender = [...p.smtpBlacklistSender];
    for (const id of p.listIds) this.store.addToList(c, id);
    for (const id of p.unlinkListIds) this.store.removeFromList(c, id);
    c.modifiedAt = this.now();
    if (p.ignored.length) this.logIgnored(p.ignored.map((i) => ({ ...i, contactId: c.id, endpoint })));
  }

  /**
   * `forceMerge` (SDK v6, brevo.md §2.1): the most recently modified contact survives; the others' attributes fill
   * its gaps, their lists are joined, and they are deleted.
   */
  merge(contacts: Contact[]): Contact {
    const sorted = [...new Set(contacts)].sort((a, b) => b.modifiedAt - a.modifiedAt || b.id - a.id);
    const survivor = sorted[0] as Contact;
    for (const other of sorted.slice(1)) {
      const email = other.email;
      const ext = other.ext_id;
      const phones = PHONE_ATTRIBUTES.map((a) => [a, other.attributes[a]] as const);
      const lists = [...other.listIds];
      const attrs = { ...other.attributes };
      this.store.deleteContact(other);
      if (survivor.email === undefined && email !== undefined) this.store.setEmail(survivor, email);
      if (survivor.ext_id === undefined && ext !== undefined) this.store.setExtId(survivor, ext);
      for (const [a, v] of phones) if (survivor.attributes[a] === undefined && typeof v === 'string') this.store.setPhone(survivor, a, v);
      for (const [k, v] of Object.entries(attrs)) if (!(k in survivor.attributes)) survivor.attributes[k] = v;
      for (const l of lists) this.store.addToList(survivor, l);
    }
    return survivor;
  }
}
