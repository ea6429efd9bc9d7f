/**
 * The demo's report: what landed in the Brevo emulator (`GET /_emulator/brevo/state`), compared with the
 * generator's ground truth (contacts by ext_id with attribute values, list memberships, events as a multiset of
 * name + ext_id + source SID). Shapes are declared here structurally: the CLI never imports emulator internals.
 */
import { isTimeoutReason } from '../../store/cancelReason.js';

export interface BrevoStateDoc {
  contacts: { email: string | null; ext_id: string | null; attributes: Record<string, unknown>; listIds: number[]; smsBlacklisted?: boolean; whatsappBlacklisted?: boolean }[];
  lists: { id: number; name: string; contactIds: number[] }[];
  events: { event_name: string; identifiers: { ext_id?: string; email_id?: string }; event_date: string; event_properties?: Record<string, unknown> }[];
}

export interface TruthDoc {
  counts: { interactions: number; customers: number; agents: number; events: number; surveys: number; deadLetters: number };
  contacts: { ext_id: string; email?: string; attributes: Record<string, string | number>; listKeys: ('support_contacts' | 'csat_respondents')[] }[];
  events: { name: string; ext_id: string; source_sid: string; event_date: string }[];
  deadLetters: { source_sid: string; reason: string }[];
  metrics?: { channels?: Record<string, number>; csat?: { count: number; avg: number | null } };
}

export interface Comparison {
  contacts: { expected: number; found: number; matching: number };
  attributes: { expected: number; matching: number; mismatches: string[] };
  lists: { key: string; id: number | null; expected: number; found: number }[];
  events: {
    expected: number;
    found: number;
    unique: number;
    matching: number;
    missing: number;
    /** Present with another event_date. */
    dateMismatches: number;
    unexpected: number;
    byName: Record<string, { expected: number; found: number }>;
    samples: string[];
  };
  match: boolean;
}

export interface DemoMetrics {
  contacts: number;
  listSizes: { id: number; name: string; size: number }[];
  eventsByType: Record<string, number>;
  preferredChannels: Record<string, number>;
  avgWaitSeconds: number | null;
  csatResponses: number;
  avgCsat: number | null;
  /** SUPPORT_ABANDONED of customer abandonments (docs/SEMANTICS.md §1). */
  abandoned: number;
  /** SUPPORT_ABANDONED whose cancel_reason is a timeout (TaskRouter canceled the queued task). */
  timedOut: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function sameValue(expected: string | number, actual: unknown): boolean {
  if (typeof expected === 'number') {
    const a = typeof actual === 'number' ? actual : typeof actual === 'string' ? Number(actual) : NaN;
    return Number.isFinite(a) && round1(a) === round1(expected);
  }
  if (typeof actual !== 'string') return false;
  // Brevo answers dates as YYYY-MM-DD (or a date-time); the truth has YYYY-MM-DD.
  return actual === expected || (/^\d{4}-\d{2}-\d{2}$/.test(expected) && actual.slice(0, 10) === expected);
}

export function metricsOf(state: BrevoStateDoc): DemoMetrics {
  const eventsByType: Record<string, number> = {};
  const seen = new Set<string>();
  let csatSum = 0;
  let csatN = 0;
  let timedOut = 0;
  for (const e of state.events) {
    const tajoId = typeof e.event_properties?.tajo_id === 'string' ? e.event_properties.tajo_id : undefined;
    if (tajoId && seen.has(tajoId)) continue;
    if (tajoId) seen.add(tajoId);
    eventsByType[e.event_name] = (eventsByType[e.event_name] ?? 0) + 1;
    const reason = e.event_properties?.cancel_reason;
    if (e.event_name === 'SUPPORT_ABANDONED' && typeof reason === 'string' && isTimeoutReason(reason)) timedOut++;
    const score = e.event_properties?.csat_score;
    if (typeof score === 'number') {
      csatSum += score;
      csatN++;
    }
  }
  const preferredChannels: Record<string, number> = {};
  let waitSum = 0;
  let waitN = 0;
  for (const c of state.contacts) {
    const ch = c.attributes.PREFERRED_CHANNEL;
    if (typeof ch === 'string') preferredChannels[ch] = (preferredChannels[ch] ?? 0) + 1;
    const w = c.attributes.AVG_WAIT_TIME;
    if (typeof w === 'number') {
      waitSum += w;
      waitN++;
    }
  }
  return {
    contacts: state.contacts.length,
    listSizes: state.lists.map((l) => ({ id: l.id, name: l.name, size: l.contactIds.length })),
    eventsByType,
    preferredChannels,
    avgWaitSeconds: waitN ? round1(waitSum / waitN) : null,
    csatResponses: csatN,
    avgCsat: csatN ? Math.round((csatSum / csatN) * 100) / 100 : null,
    abandoned: (eventsByType.SUPPORT_ABANDONED ?? 0) - timedOut,
    timedOut,
  };
}

export function compare(state: BrevoStateDoc, truth: TruthDoc, listIds: { support_contacts?: number; csat_respondents?: number }): Comparison {
  const byExt = new Map(state.contacts.filter((c) => c.ext_id).map((c) => [c.ext_id as string, c]));
  let matchingContacts = 0;
  let expectedAttrs = 0;
  let matchingAttrs = 0;
  const mismatches: string[] = [];
  for (const t of truth.contacts) {
    const c = byExt.get(t.ext_id);
    let ok = Boolean(c);
    for (const [name, value] of Object.entries(t.attributes)) {
      expectedAttrs++;
      if (c && sameValue(value, c.attributes[name])) matchingAttrs++;
      else {
        ok = false;
        if (mismatches.length < 5) mismatches.push(`${name} of one contact: expected ${JSON.stringify(value)}, found ${c ? JSON.stringify(c.attributes[name] ?? null) : 'no contact'}`);
      }
    }
    if (c && t.email && (c.email ?? '').toLowerCase() !== t.email) ok = false;
    for (const key of ['support_contacts', 'csat_respondents'] as const) {
      const id = listIds[key];
      if (c && id !== undefined && t.listKeys.includes(key) !== c.listIds.includes(id)) ok = false;
    }
    if (ok) matchingContacts++;
  }

  const lists = (['support_contacts', 'csat_respondents'] as const).map((key) => {
    const id = listIds[key] ?? null;
    return { key, id, expected: truth.contacts.filter((t) => t.listKeys.includes(key)).length, found: id === null ? 0 : (state.lists.find((l) => l.id === id)?.contactIds.length ?? 0) };
  });

  // Events: present = same (name, ext_id, source SID); then the event_date must match too.
  const received = new Map<string, string[]>();
  const byName: Record<string, { expected: number; found: number }> = {};
  for (const e of state.events) {
    const tajoId = typeof e.event_properties?.tajo_id === 'string' ? e.event_properties.tajo_id : '';
    const k = `${e.event_name}|${e.identifiers.ext_id ?? ''}|${tajoId.slice(tajoId.indexOf(':') + 1)}`;
    const dates = received.get(k);
    if (dates) dates.push(e.event_date);
    else {
      received.set(k, [e.event_date]);
      (byName[e.event_name] ??= { expected: 0, found: 0 }).found++;
    }
  }
  let matching = 0;
  let missing = 0;
  let dateMismatches = 0;
  const samples: string[] = [];
  const expectedKeys = new Set<string>();
  for (const e of truth.events) {
    const k = `${e.name}|${e.ext_id}|${e.source_sid}`;
    expectedKeys.add(k);
    (byName[e.name] ??= { expected: 0, found: 0 }).expected++;
    const dates = received.get(k);
    if (!dates) {
      missing++;
      if (samples.length < 5) samples.push(`${e.name} of ${e.source_sid} at ${e.event_date}: not in Brevo`);
    } else if (!dates.includes(e.event_date)) {
      dateMismatches++;
      if (samples.length < 5) samples.push(`${e.name} of ${e.source_sid}: event_date expected ${e.event_date}, found ${dates[0] ?? '?'}`);
    } else matching++;
  }
  const unexpected = [...received.keys()].filter((k) => !expectedKeys.has(k)).length;
  const events = { expected: truth.events.length, found: state.events.length, unique: received.size, matching, missing, dateMismatches, unexpected, byName, samples };
  const listsOk = lists.every((l) => l.id === null || l.expected === l.found);
  const match = matchingContacts === truth.contacts.length && state.contacts.length === truth.contacts.length && missing === 0 && dateMismatches === 0 && unexpected === 0 && listsOk;
  return { contacts: { expected: truth.contacts.length, found: state.contacts.length, matching: matchingContacts }, attributes: { expected: expectedAttrs, matching: matchingAttrs, mismatches }, lists, events, match };
}
