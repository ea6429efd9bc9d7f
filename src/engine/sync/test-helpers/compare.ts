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
