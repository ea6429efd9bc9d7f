import type { TwilioFlexConfig } from '../../config/schema.js';
import type { CommitBatch, CustomerRow, DeadLetterReason, InteractionRow, OutboxInput, SurveyRow } from '../../store/types.js';
import { knowsLess } from '../../store/interactionStaleness.js';
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
  const rows = plan.interactions.map((i) => toInteractionRow(i, at));
  const surveyRows = plan.surveys.map((s) => s.row);
  const keys = [...new Set([...rows.map((r) => r.customerKey), ...surveyRows.map((s) => s.customerKey), ...plan.previousKeys].filter((k): k is string => k !== null))];

  const optOut = new Map<string, OptOut>();
  for (const i of plan.interactions) {
    if (!i.optOut) continue;
    const o = optOut.get(i.customer.extId) ?? { sms: false, whatsapp: false };
    if (i.channel === 'sms') o.sms = true;
    if (i.channel === 'whatsapp') o.whatsapp = true;
    optOut.set(i.customer.extId, o);
  }
  const derived = await deriveCustomers(deps, keys, { interactions: rows, surveys: surveyRows, optOut });
  const { customers, emails } = derived;
  const outbox: OutboxInput[] = [...derived.contacts];

  const ctx = (extId: string, fallbackEmail?: string): EventContext => ({
    eventMapping: deps.config.event_mapping, extId, email: emails.has(extId) ? emails.get(extId) : fallbackEmail, messageBody: deps.messageBody,
  });
  if (deps.emit.events) {
    for (const i of plan.interactions) for (const e of interactionEvents(i, ctx(i.customer.extId))) outbox.push({ ...eventOutbox(e, deps.priority), customerKey: i.customer.extId });
  }
  if (deps.emit.csat) {
    for (const s of plan.surveys) {
      if (s.row.customerKey === null) continue;
      // `s.linked` and no other row of that task: the one the survey was derived from and that decided it need not
      // wait (planSurveys: the batch's own row when the batch derives the interaction, unless the stored one knows more)
      const e = surveyEvent(s.survey, s.linked, ctx(s.row.customerKey, s.survey.ownIdentity?.email), deps.config.csat_low_score_threshold);
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

/** Opt-outs seen for a customer (sticky: they only ever add to the stored flags). */
export interface OptOut {
  sms: boolean;
  whatsapp: boolean;
}

/** What a customer's derivation takes besides the store: fresh rows (laid over the stored ones) and opt-outs. */
export interface CustomerInputs {
  interactions: readonly InteractionRow[];
  surveys: readonly SurveyRow[];
  optOut: ReadonlyMap<string, OptOut>;
}

export interface DerivedCustomers {
  /** One row per key that has interactions, carrying the version it was derived from (the commit checks it). */
  customers: CustomerRow[];
  /** Contact writes whose content hash differs from the stored `pushedHash` (when `emit.contacts`). */
  contacts: OutboxInput[];
  /** The contact e-mail of each derived customer (events name it). */
  emails: Map<string, string | undefined>;
}

/**
 * Derives each customer from ALL its interactions and surveys: the stored ones with `input`'s laid over them. The
 * customer rows (their versions) are read before the interactions and surveys: a commit of another process that lands
 * between the reads then fails this one's version check, so a derivation can never miss an interaction unnoticed.
 */
export async function deriveCustomers(deps: CustomerPlanDeps, keys: readonly string[], input: CustomerInputs): Promise<DerivedCustomers> {
  const at = new Date(deps.nowMs).toISOString();
  const region = deps.config.default_phone_region;
  const prevCustomers = await deps.reader.getCustomers(deps.connectorId, [...keys]);
  const [storedRows, storedSurveys] = await Promise.all([
    deps.reader.interactionsForCustomers(deps.connectorId, [...keys]),
    deps.reader.surveysForCustomers(deps.connectorId, [...keys]),
  ]);
  // a plan's row that knows less of its task than the stored one is not committed (store/interactionStaleness.ts): the
  // customer is derived from the row that stays
  const byCustomer = groupBy(overlay(storedRows, input.interactions, (r) => r.taskSid, (fresh, stored) => !knowsLess(fresh, stored)), (r) => r.customerKey);
  const surveysByCustomer = groupBy(overlay(storedSurveys, input.surveys, (s) => s.surveyTaskSid), (s) => s.customerKey);
  const prevByKey = new Map(prevCustomers.map((c) => [c.key, c]));

  const out: DerivedCustomers = { customers: [], contacts: [], emails: new Map() };
  const mapping = deps.config.field_mapping;
  for (const key of keys) {
    const list = byCustomer.get(key) ?? [];
    if (list.length === 0) continue;
    const derived = deriveCustomer(key, list, surveysByCustomer.get(key) ?? [], deps.nowMs, region);
    const prev = prevByKey.get(key);
    const seen = input.optOut.get(key);
    const flags = { smsBlacklisted: (prev?.smsBlacklisted ?? false) || (seen?.sms ?? false), whatsappBlacklisted: (prev?.whatsappBlacklisted ?? false) || (seen?.whatsapp ?? false) };
    const payload = buildContact(derived, mapping, deps.lists, flags, region);
    out.emails.set(key, payload.email);
    const hash = contactHash(payload, mapping);
    const changed = deps.emit.contacts && hash !== (prev?.pushedHash ?? null);
    if (changed) {
      out.contacts.push({ kind: 'contact', key: `contact:${key}`, payload, priority: deps.priority, contentHash: hash, customerKey: key });
      if (deps.samples && deps.samples.out.length < deps.samples.max) deps.samples.out.push(await sampleDiff(deps, key, payload, prev));
    }
    out.customers.push(toCustomerRow(derived, prev, flags, changed ? hash : (prev?.pushedHash ?? null), at));
  }
  return out;
}

/** Stored rows with the plan's rows laid over them (by id), where `wins` (by default, always). */
function overlay<T>(stored: readonly T[], fresh: readonly T[], id: (x: T) => string, wins: (fresh: T, stored: T) => boolean = () => true): T[] {
  const m = new Map(stored.map((x) => [id(x), x]));
  for (const x of fresh) {
    const old = m.get(id(x));
    if (old === undefined || wins(x, old)) m.set(id(x), x);
  }
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
