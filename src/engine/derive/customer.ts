import type { Channel } from '../../config/defaults.js';
import type { InteractionRow, SurveyRow } from '../../store/types.js';
import type { Attributes } from './attributes.js';
import { identityFromAttributes } from './identity.js';
import { secs1 } from './numbers.js';

export const DAY_MS = 86_400_000;
export const ABANDON_WINDOW_MS = 30 * DAY_MS;

/** The object `field_mapping` paths read (docs/SEMANTICS.md §3). Absent values are left out. */
export interface CustomerRecord {
  identity: string;
  friendly_name?: string;
  attributes: Attributes;
  customer_tier?: unknown;
  account_id?: unknown;
  last_conversation_date?: string;
  total_conversations: number;
  avg_wait_time?: number;
  last_wait_time?: number;
  abandons_30d: number;
  last_csat_score?: number;
  preferred_channel?: Channel;
}

/** Keys of the customer beside the record: for the contact's email, WHATSAPP and the customers table. */
export interface CustomerKeys {
  email?: string;
  phone?: string;
  whatsapp?: string;
  chat?: string;
}

export interface DerivedCustomer {
  key: string;
  record: CustomerRecord;
  keys: CustomerKeys;
  surveyCount: number;
}

/** Latest first by created time, then task sid (a total order, so the result never depends on input order). */
function byRecency(a: InteractionRow, b: InteractionRow): number {
  return (b.createdMs ?? -Infinity) - (a.createdMs ?? -Infinity) || (a.taskSid < b.taskSid ? 1 : a.taskSid > b.taskSid ? -1 : 0);
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Most interactions; ties → the channel of the most recent interaction among the tied channels. */
export function preferredChannel(rowsLatestFirst: readonly InteractionRow[]): Channel | undefined {
  const counts = new Map<Channel, number>();
  for (const r of rowsLatestFirst) if (r.channel) counts.set(r.channel, (counts.get(r.channel) ?? 0) + 1);
  const max = Math.max(0, ...counts.values());
  if (max === 0) return undefined;
  for (const r of rowsLatestFirst) if (r.channel && counts.get(r.channel) === max) return r.channel;
  return undefined;
}

/**
 * Builds a customer from all its interactions and surveys. `nowMs` anchors `abandons_30d`
 * (abandoned interactions created within the 30 days before now).
 */
export function deriveCustomer(key: string, interactions: readonly InteractionRow[], surveys: readonly SurveyRow[], nowMs: number, defaultRegion = 'US'): DerivedCustomer {
  const rows = [...interactions].sort(byRecency);
  const latest = rows[0];
  const latestAttrs: Attributes = latest && latest.attributes !== null && typeof latest.attributes === 'object' ? (latest.attributes as Attributes) : {};
  const record: CustomerRecord = { identity: key, attributes: latestAttrs, total_conversations: rows.length, abandons_30d: 0 };

  if (typeof latestAttrs.name === 'string' && latestAttrs.name !== '') record.friendly_name = latestAttrs.name;
  const tier = rows.map((r) => (r.attributes as Attributes | null)?.customer_tier).find(present);
  if (tier !== undefined) record.customer_tier = tier;
  const account = rows.map((r) => (r.attributes as Attributes | null)?.account_id).find(present);
  if (account !== undefined) record.account_id = account;
  if (latest?.createdMs !== null && latest?.createdMs !== undefined) record.last_conversation_date = isoDate(latest.createdMs);

  // Means are taken over milliseconds and rounded once (secs1), so no intermediate rounding leaks in.
  const waitMs = (r: InteractionRow): number | null => (r.answeredMs !== null && r.createdMs !== null ? r.answeredMs - r.createdMs : null);
  const answered = rows.filter((r) => waitMs(r) !== null);
  if (answered.length > 0) {
    const sum = answered.reduce((s, r) => s + (waitMs(r) ?? 0), 0);
    record.avg_wait_time = secs1(sum / answered.length);
    record.last_wait_time = secs1(waitMs(answered[0] as InteractionRow) ?? 0);
  }
  record.abandons_30d = rows.filter((r) => r.outcome === 'abandoned' && r.createdMs !== null && r.createdMs >= nowMs - ABANDON_WINDOW_MS).length;

  const lastSurvey = [...surveys].sort((a, b) => b.completedMs - a.completedMs || (a.surveyTaskSid < b.surveyTaskSid ? 1 : -1))[0];
  if (lastSurvey) record.last_csat_score = lastSurvey.score;
  const pref = preferredChannel(rows);
  if (pref) record.preferred_channel = pref;

  const keys: CustomerKeys = {};
  for (const r of rows) {
    const id = identityFromAttributes((r.attributes as Attributes | null) ?? {}, r.channel ?? undefined, defaultRegion);
    if (!id) continue;
    if (keys.email === undefined && id.email !== undefined) keys.email = id.email;
    if (keys.phone === undefined && id.phone !== undefined) keys.phone = id.phone;
    if (keys.whatsapp === undefined && id.whatsapp !== undefined) keys.whatsapp = id.whatsapp;
    if (keys.chat === undefined && id.chat !== undefined) keys.chat = id.chat;
  }
  return { key, record, keys, surveyCount: surveys.length };
}
