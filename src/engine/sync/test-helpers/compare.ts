import type { BrevoState } from '../../../emulators/brevo/index.js';
import type { GroundTruth } from '../../../emulators/index.js';
import type { ContactPayload } from '../../derive/contact.js';

type TruthContact = GroundTruth['contacts'][number];

/** The contact payload the truth implies, with the run's list ids. */
export function expectedContact(c: TruthContact, lists: { support_contacts: number; csat_respondents: number }): ContactPayload {
  return {
    ext_id: c.ext_id,
    ...(c.email !== undefined ? { email: c.email } : {}),
    attributes: c.attributes,
    listIds: c.listKeys.map((k) => lists[k]).sort((a, b) => a - b),
    ...(c.smsBlacklisted ? { smsBlacklisted: true as const } : {}),
    ...(c.whatsappBlacklisted ? { whatsappBlacklisted: true as const } : {}),
  };
}

/**
 * Known contract gap (reported): the Conversations API gives `timers.date_closed` at second precision (the emulator
 * renders it with isoSeconds, as Twilio does), while the ground truth keeps the generator's 100 ms close time. A
 * polling connector cannot observe the milliseconds, so messaging CONVERSATION_ENDED dates are compared to the second.
 */
export function observableDate(e: { name: string; event_date: string; properties: Record<string, unknown> }): string {
  return e.name === 'CONVERSATION_ENDED' && e.properties.channel !== 'voice' ? e.event_date.replace(/\.\d{3}Z$/, '.000Z') : e.event_date;
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

type BrevoStateLike = Pick<BrevoState, 'contacts' | 'events'>;

export interface TruthDiff {
  /** ext_ids missing from Brevo / present but not in the truth. */
  missingContacts: string[];
  extraContacts: string[];
  /** Contacts whose email, attributes, lists or consent flags differ (first few). */
  wrongContacts: unknown[];
  /** tajo_ids of the truth not in Brevo, and Brevo tajo_ids not in the truth. */
  missingEvents: string[];
  extraEvents: string[];
  /** Events whose name, identifiers, date or properties differ (first few). */
  wrongEvents: unknown[];
  /** tajo_id → times Brevo accepted it, for those accepted more than once. */
  duplicates: Map<string, number>;
}

/**
 * The Brevo emulator's state against the ground truth: contacts by ext_id with exact values (email, attributes, lists,
 * consent), events by tajo_id after dedupe (name, identifiers, observable date, properties) plus the re-sent ones.
 */
export function diffAgainstTruth(s: BrevoStateLike, truth: GroundTruth, lists: { support_contacts: number; csat_respondents: number }): TruthDiff {
  const got = new Map(s.contacts.map((c) => [c.ext_id ?? `id:${c.id}`, c]));
  const want = new Set(truth.contacts.map((c) => c.ext_id));
  const d: TruthDiff = {
    missingContacts: [...want].filter((k) => !got.has(k)),
    extraContacts: [...got.keys()].filter((k) => !want.has(k)),
    wrongContacts: [],
    missingEvents: [],
    extraEvents: [],
    wrongEvents: [],
    duplicates: new Map(),
  };
  for (const t of truth.contacts) {
    const c = got.get(t.ext_id);
    if (!c) continue;
    const e = expectedContact(t, lists);
    const w = { email: e.email ?? null, attributes: sortKeys(e.attributes), listIds: e.listIds, smsBlacklisted: e.smsBlacklisted === true, whatsappBlacklisted: e.whatsappBlacklisted === true };
    const h = { email: c.email, attributes: sortKeys(c.attributes), listIds: [...c.listIds].sort((a, b) => a - b), smsBlacklisted: c.smsBlacklisted, whatsappBlacklisted: c.whatsappBlacklisted };
    if (JSON.stringify(h) !== JSON.stringify(w) && d.wrongContacts.length < 5) d.wrongContacts.push({ ext_id: t.ext_id, want: w, have: h });
  }
  const byTajo = new Map<string, BrevoStateLike['events'][number]>();
  const count = new Map<string, number>();
  for (const e of s.events) {
    const id = String(e.event_properties?.tajo_id);
    count.set(id, (count.get(id) ?? 0) + 1);
    if (!byTajo.has(id)) byTajo.set(id, e);
  }
  for (const [id, n] of count) if (n > 1) d.duplicates.set(id, n);
  const truthIds = new Set<string>();
  for (const t of truth.events) {
    const id = `${t.name}:${t.source_sid}`;
    truthIds.add(id);
    const e = byTajo.get(id);
    if (!e) {
      d.missingEvents.push(id);
      continue;
    }
    const w = { name: t.name, ids: sortKeys({ ext_id: t.ext_id, ...(t.email_id ? { email_id: t.email_id } : {}) }), date: observableDate(t), props: sortKeys(t.properties) };
    const h = { name: e.event_name, ids: sortKeys(e.identifiers), date: e.event_date, props: sortKeys(e.event_properties) };
    if (JSON.stringify(h) !== JSON.stringify(w) && d.wrongEvents.length < 5) d.wrongEvents.push({ want: w, have: h });
  }
  d.extraEvents = [...byTajo.keys()].filter((k) => !truthIds.has(k));
  return d;
}

/** The diff without duplicates, shortened for an `expect(...).toEqual(...)` with a readable failure. */
export function problems(d: TruthDiff): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const add = (k: string, v: unknown[]) => {
    if (v.length) out[k] = { count: v.length, first: v.slice(0, 3) };
  };
  add('missingContacts', d.missingContacts);
  add('extraContacts', d.extraContacts);
  add('wrongContacts', d.wrongContacts);
  add('missingEvents', d.missingEvents);
  add('extraEvents', d.extraEvents);
  add('wrongEvents', d.wrongEvents);
  return out;
}
