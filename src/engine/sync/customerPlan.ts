import type { TwilioFlexConfig } from '../../config/schema.js';
import type { CommitBatch, CustomerRow, DeadLetterReason, InteractionRow, OutboxInput, SurveyRow } from '../../store/types.js';
import { buildContact, contactHash, toCustomerRow, type ContactLists, type ContactPayload } from '../derive/contact.js';
import { deriveCustomer } from '../derive/customer.js';
import { eventOutbox, interactionEvents, surveyEvent, type EventContext } from '../derive/events.js';
import type { BodyTransform } from '../derive/messageBodies.js';
import { toInteractionRow } from '../derive/rows.js';
import type { StoreReader } from './storeAccess.js';
import type { TaskPlan } from './taskPlan.js';
import type { ContactSample } from './types.js';

export interface CustomerPlanDeps {
  connectorId: string;
  reader: StoreReader;
  config: Pick<TwilioFlexConfig, 'field_mapping' | 'event_mapping' | 'csat_low_score_threshold' | 'default_phone_region'>;
  lists: ContactLists;
  nowMs: number;
  priority: 0 | 1;
  /** Which writes this run makes (sync.* switches and --resources). */
  emit: { contacts: boolean; events: boolean; csat: boolean };
  /** Dry run: collects up to `max` contact diffs against the stored state. */
  samples?: { max: number; out: ContactSample[] } | undefined;
  /** Mapping and lists of the last pushes, for the dry-run "before" payload (default: the current ones). */
  previous?: { fieldMapping: Record<string, string>; lists: ContactLists } | undefined;
  /** `message_bodies` other than `off` (derive/messageBodies.ts `bodyTransform`); undefined: no body is sent. */
  messageBody?: BodyTransform | undefined;
}

export interface PlannedBatch {
  batch: Omit<CommitBatch, 'checkpoint'>;
  planned: { contact: number; event: number };
  deadLetters: Partial<Record<DeadLetterReason, number>>;
}

/**
 * Recomputes every customer a task plan touched from ALL their interactions and surveys (stored rows overlaid with
 * the plan's), enqueues a contact only when its content hash differs from `customers.pushedHash`, and enqueues the
 * events of the plan's interactions and surveys (the store drops tajo_ids already in the outbox or ledger).
 */
export async function planCustomers(deps: CustomerPlanDeps, plan: TaskPlan): Promise<PlannedBatch> {
  const at = new Date(deps.nowMs).toISOString();
  const region = deps.config.default_phone_region;
  const rows = plan.interactions.map((i) => toInteractionRow(i, at));
  const rowByTask = new Map(rows.map((r) => [r.taskSid, r]));
  const surveyRows = plan.surveys.map((s) => s.row);
  const keys = [...new Set([...rows.map((r) => r.customerKey), ...surveyRows.map((s) => s.customerKey), ...plan.previousKeys].filter((k): k is string => k !== null))];

  const [storedRows, storedSurveys, prevCustomers] = await Promise.all([
    deps.reader.interactionsForCustomers(deps.connectorId, keys),
    deps.reader.surveysForCustomers(deps.connectorId, keys),
    deps.reader.getCustomers(deps.connectorId, keys),
  ]);
  const byCustomer = groupBy(overlay(storedRows, rows, (r) => r.taskSid), (r) => r.customerKey);
  const surveysByCustomer = groupBy(overlay(storedSurveys, surveyRows, (s) => s.surveyTaskSid), (s) => s.customerKey);
  const prevByKey = new Map(prevCustomers.map((c) => [c.key, c]));
  const optOut = new Map<string, { sms: boolean; whatsapp: boolean }>();
  for (const i of plan.interactions) {
    if (!i.optOut) continue;
    const o = optOut.get(i.customer.extId) ?? { sms: false, whatsapp: false };
    if (i.channel === 'sms') o.sms = true;
    if (i.channel === 'whatsapp') o.whatsapp = true;
    optOut.set(i.customer.extId, o);
  }

  const customers: CustomerRow[] = [];
  const outbox: OutboxInput[] = [];
  const emails = new Map<string, string | undefined>();
  const mapping = deps.config.field_mapping;
  for (const key of keys) {
    const list = byCustomer.get(key) ?? [];
    if (list.length === 0) continue;
    const derived = deriveCustomer(key, list, surveysByCustomer.get(key) ?? [], deps.nowMs, region);
    const prev = prevByKey.get(key);
    const flags = { smsBlacklisted: (prev?.smsBlacklisted ?? false) || (optOut.get(key)?.sms ?? false), whatsappBlacklisted: (prev?.whatsappBlacklisted ?? false) || (optOut.get(key)?.whatsapp ?? false) };
    const payload = buildContact(derived, mapping, deps.lists, flags, region);
    emails.set(key, payload.email);
    const hash = contactHash(payload, mapping);
    const changed = deps.emit.contacts && hash !== (prev?.pushedHash ?? null);
    if (changed) {
      outbox.push({ kind: 'contact', key: `contact:${key}`, payload, priority: deps.priority, contentHash: hash, customerKey: key });
      if (deps.samples && deps.samples.out.length < deps.samples.max) deps.samples.out.push(await sampleDiff(deps, key, payload, prev));
    }
    customers.push(toCustomerRow(derived, prev, flags, changed ? hash : (prev?.pushedHash ?? null), at));
  }

  const ctx = (extId: string, fallbackEmail?: string): EventContext => ({
    eventMapping: deps.config.event_mapping, extId, email: emails.has(extId) ? emails.get(extId) : fallbackEmail, messageBody: deps.messageBody,
  });
  if (deps.emit.events) {
    for (const i of plan.interactions) for (const e of interactionEvents(i, ctx(i.customer.extId))) outbox.push({ ...eventOutbox(e, deps.priority), customerKey: i.customer.extId });
  }
  if (deps.emit.csat) {
    for (const s of plan.surveys) {
      if (s.row.customerKey === null) continue;
      const linked = (s.linked && rowByTask.get(s.linked.taskSid)) ?? s.linked;
      const e = surveyEvent(s.survey, linked, ctx(s.row.customerKey, s.survey.ownIdentity?.email), deps.config.csat_low_score_threshold);
      outbox.push({ ...eventOutbox(e, deps.priority), customerKey: s.row.customerKey });
    }
  }

  const deadLetters: Partial<Record<DeadLetterReason, number>> = {};
  for (const d of plan.deadLetters) deadLetters[d.reason] = (deadLetters[d.reason] ?? 0) + 1;
  return {
    batch: { rawEvents: plan.rawEvents, interactions: rows, surveys: surveyRows, customers, outbox, deadLetters: plan.deadLetters },
    planned: { contact: outbox.filter((o) => o.kind === 'contact').length, event: outbox.filter((o) => o.kind === 'event').length },
    deadLetters,
  };
}

/** Stored rows with the plan's rows laid over them (by id). */
function overlay<T>(stored: readonly T[], fresh: readonly T[], id: (x: T) => string): T[] {
  const m = new Map(stored.map((x) => [id(x), x]));
  for (const x of fresh) m.set(id(x), x);
  return [...m.values()];
}

function groupBy<T>(items: readonly T[], key: (x: T) => string | null): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    if (k === null) continue;
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** Dry run: what the stored state derives to (≈ what was last pushed) against the new payload. */
async function sampleDiff(deps: CustomerPlanDeps, key: string, after: ContactPayload, prev: CustomerRow | undefined): Promise<ContactSample> {
  if (!prev?.pushedHash) return { ext_id: key, change: 'new', diff: flatten(after, {}) };
  const [rows, surveys]: [InteractionRow[], SurveyRow[]] = await Promise.all([deps.reader.interactionsForCustomers(deps.connectorId, [key]), deps.reader.surveysForCustomers(deps.connectorId, [key])]);
  const mapping = deps.previous?.fieldMapping ?? deps.config.field_mapping;
  const lists = deps.previous?.lists ?? deps.lists;
  const before = buildContact(deriveCustomer(key, rows, surveys, deps.nowMs, deps.config.default_phone_region), mapping, lists, { smsBlacklisted: prev.smsBlacklisted, whatsappBlacklisted: prev.whatsappBlacklisted }, deps.config.default_phone_region);
  return { ext_id: key, change: 'changed', diff: flatten(after, before) };
}

function flatten(after: ContactPayload, before: Partial<ContactPayload>): Record<string, { from: unknown; to: unknown }> {
  const a: Record<string, unknown> = { email: after.email, listIds: after.listIds.join(','), smsBlacklisted: after.smsBlacklisted, whatsappBlacklisted: after.whatsappBlacklisted, ...after.attributes };
  const b: Record<string, unknown> = { email: before.email, listIds: before.listIds?.join(','), smsBlacklisted: before.smsBlacklisted, whatsappBlacklisted: before.whatsappBlacklisted, ...(before.attributes ?? {}) };
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) if (a[k] !== b[k]) diff[k] = { from: b[k] ?? null, to: a[k] ?? null };
  return diff;
}
