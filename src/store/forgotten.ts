/**
 * Tasks `tajo forget` erased (migration 0006 `forgotten_tasks`): backend-neutral rules for what a commit may not bring
 * back. The engine skips forgotten tasks when it plans (engine/sync/taskPlan.ts); a batch planned while its person
 * was being forgotten is caught by the store's commit, which refuses it for those customers (CustomerConflictError),
 * and the engine re-derives them without the forgotten rows (engine/sync/customerCommit.ts).
 */
import { TajoError } from '../core/errors.js';
import { CustomerConflictError } from './customerVersion.js';
import type { CommitBatch, OutboxInput } from './types.js';

/** The task a Brevo event's tajo_id names (`<event name>:<task or survey task SID>`, engine/derive/events.ts). */
export function eventTaskSid(key: string): string {
  return key.slice(key.lastIndexOf(':') + 1);
}

/** Every task SID a batch names: raw events, interactions, surveys (their own task and the one they rate), events. */
export function taskSidsOf(batch: CommitBatch): string[] {
  const sids = new Set<string>();
  for (const e of batch.rawEvents ?? []) if (e.taskSid !== undefined) sids.add(e.taskSid);
  for (const i of batch.interactions ?? []) sids.add(i.taskSid);
  for (const s of batch.surveys ?? []) {
    sids.add(s.surveyTaskSid);
    if (s.linkedTaskSid !== null) sids.add(s.linkedTaskSid);
  }
  for (const o of batch.outbox ?? []) if (o.kind === 'event') sids.add(eventTaskSid(o.key));
  return [...sids];
}

/**
 * The batch without the rows of forgotten tasks: their raw events, interactions, surveys (a survey of a forgotten
 * task too) and Brevo events. `customerKeys`: the customers whose interactions or surveys were dropped — their rows
 * and contact writes in the batch were derived with them, so a store refuses the batch for them.
 */
export function withoutForgotten(batch: CommitBatch, forgotten: ReadonlySet<string>): { batch: CommitBatch; customerKeys: string[] } {
  if (!forgotten.size) return { batch, customerKeys: [] };
  const keys = new Set<string>();
  const gone = (sid: string | null | undefined) => sid !== null && sid !== undefined && forgotten.has(sid);
  const interactions = (batch.interactions ?? []).filter((i) => {
    if (!gone(i.taskSid)) return true;
    if (i.customerKey !== null) keys.add(i.customerKey);
    return false;
  });
  const surveys = (batch.surveys ?? []).filter((s) => {
    if (!gone(s.surveyTaskSid) && !gone(s.linkedTaskSid)) return true;
    if (s.customerKey !== null) keys.add(s.customerKey);
    return false;
  });
  const keep = (o: OutboxInput) => o.kind !== 'event' || !gone(eventTaskSid(o.key));
  const out: CommitBatch = { ...batch };
  if (batch.rawEvents) out.rawEvents = batch.rawEvents.filter((e) => !gone(e.taskSid));
  if (batch.interactions) out.interactions = interactions;
  if (batch.surveys) out.surveys = surveys;
  if (batch.outbox) out.outbox = batch.outbox.filter(keep);
  return { batch: out, customerKeys: [...keys].sort() };
}

/**
 * What a store's commit does with the forgotten tasks among `taskSidsOf(batch)` (looked up inside its transaction):
 * refuses the batch for the customers whose interactions or surveys they are (nothing written; the engine re-derives
 * them without those rows), and otherwise drops their raw events and Brevo events.
 */
export function refuseForgotten(batch: CommitBatch, forgotten: readonly string[]): CommitBatch {
  if (!forgotten.length) return batch;
  const r = withoutForgotten(batch, new Set(forgotten));
  if (r.customerKeys.length) throw new CustomerConflictError(r.customerKeys);
  return r.batch;
}

/**
 * How long `tajo prune` keeps a forgotten task's SID after the forget (`forgotten_tasks.forgotten_at`), whatever its
 * `--older-than-days`: the SID only matters while Twilio can still hand one of the task's events back.
 * - the TaskRouter Events API, which a full sync reads, keeps an event 30 days (docs/twilio.md; engine/sync/windows.ts
 *   clamps every `--since` and cursor to it, and the lookback starts from a cursor inside that range);
 * - a task still living when its person was forgotten may log events later: it may wait up to 2 weeks to be assigned
 *   (TaskRouter's `Timeout` maximum, 1,209,600 s), and each of its events is then readable for 30 more days;
 * - Event Streams retries a delivery for up to 4 hours, and the inbox defers a row up to an hour.
 * 30 + 14 days + hours, rounded up to 60 days for tasks kept in wrap-up and for clocks. A SID is not personal data, so
 * keeping it longer costs little; a dead letter or a webhook not yet processed that still names the task keeps its row
 * whatever its age (`Store.pruneForgotten`), as `tajo dlq replay` or a restarted `tajo serve` could derive it again.
 */
export const FORGOTTEN_KEEP_DAYS = 60;
const FORGOTTEN_KEEP_MS = FORGOTTEN_KEEP_DAYS * 24 * 60 * 60 * 1000;

/** The cut-off `tajo prune` passes to `Store.pruneForgotten`: its own, or the horizon above when that is earlier. */
export function forgottenPruneBeforeMs(nowMs: number, beforeMs: number): number {
  return Math.min(beforeMs, nowMs - FORGOTTEN_KEEP_MS);
}

/**
 * What `Store.forgetCustomer` looks for in the payloads it cannot delete by key (dead letters, inbox rows): the
 * person's task SIDs and identities (customer key, email, phone, WhatsApp number, chat identity; lower-cased).
 */
export interface PersonTraces {
  tasks: ReadonlySet<string>;
  identities: ReadonlySet<string>;
}

/** Identities shorter than this are not searched for: they would match unrelated values. */
const MIN_IDENTITY = 3;

/** The person's identities from their customer key and customer row (either may be missing). */
export function personIdentities(key: string, row: { email?: string | null; phone?: string | null; whatsapp?: string | null; chat_identity?: string | null } | undefined): string[] {
  const ids = new Set<string>();
  for (const v of [key, key.startsWith('chat:') ? key.slice('chat:'.length) : null, row?.email, row?.phone, row?.whatsapp, row?.chat_identity]) {
    const n = identityForm(v);
    if (n !== null) ids.add(n);
  }
  return [...ids];
}

function identityForm(v: string | null | undefined): string | null {
  if (typeof v !== 'string') return null;
  const n = v.trim().toLowerCase().replace(/^whatsapp:/, '');
  return n.length >= MIN_IDENTITY ? n : null;
}

/** The lower-cased strings a store pre-selects candidate payloads by (substring match; `namesPerson` decides). */
export function traceNeedles(p: PersonTraces): string[] {
  return [...new Set([...p.tasks].map((t) => t.toLowerCase()).concat([...p.identities]))];
}

/** A task SID as a whole token (Twilio's are WT + 32 hex digits; any WT-token is looked up, an unknown one matches nothing). */
const TASK_SID = /(?<![A-Za-z0-9])WT[0-9A-Za-z]{1,40}(?![A-Za-z0-9])/g;

/** The task SIDs a stored payload names anywhere, inside JSON text such as TaskAttributes too. */
export function taskSidsInPayload(payloadText: string): string[] {
  return [...new Set(payloadText.match(TASK_SID) ?? [])];
}

/**
 * Whether a stored payload (its JSON text) is about the person: it names one of their task SIDs, or holds a string
 * equal to one of their identities (compared lower-cased, `whatsapp:` left out), also inside a string that is itself
 * JSON (a task's attributes), or as a whole token inside attributes that are not valid JSON (single-quoted ones, which
 * the sync dead-letters as malformed_attributes). A substring is not enough: +1415555010 is not +14155550100.
 */
export function namesPerson(payloadText: string, p: PersonTraces): boolean {
  if (taskSidsInPayload(payloadText).some((s) => p.tasks.has(s))) return true;
  if (!p.identities.size) return false;
  let value: unknown;
  try {
    value = JSON.parse(payloadText);
  } catch {
    return false;
  }
  const seen = (v: unknown, depth: number): boolean => {
    if (depth > 20) return false;
    if (typeof v === 'string') {
      const n = identityForm(v);
      if (n !== null && p.identities.has(n)) return true;
      const t = v.trim();
      if ((t.startsWith('{') || t.startsWith('[')) && t.length > 2) {
        try {
          return seen(JSON.parse(t), depth + 1);
        } catch {
          // attributes that are not JSON (a malformed_attributes dead letter, e.g. single-quoted): an identity as a whole token
          return namesAsToken(t.toLowerCase(), p.identities);
        }
      }
      return false;
    }
    if (Array.isArray(v)) return v.some((x) => seen(x, depth + 1));
    if (v !== null && typeof v === 'object') return Object.values(v).some((x) => seen(x, depth + 1));
    return false;
  };
  return seen(value, 0);
}

/** Characters an identity (email, phone, chat identity) is made of: a match must not touch them on either side. */
const IDENTITY_CHAR = /[a-z0-9@.+_-]/;

/** Whether lower-cased text holds one of the identities as a whole token (+1415555010 is not in +14155550100). */
function namesAsToken(text: string, identities: ReadonlySet<string>): boolean {
  for (const id of identities) {
    for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) {
      const before = at > 0 ? text[at - 1] : undefined;
      const after = text[at + id.length];
      if ((before === undefined || !IDENTITY_CHAR.test(before)) && (after === undefined || !IDENTITY_CHAR.test(after))) return true;
    }
  }
  return false;
}

/** The task SIDs a dead letter names: in its record key (a task SID, a Brevo event's tajo_id) or in its payload. */
export function deadLetterTaskSids(recordKey: string, payloadText: string): string[] {
  return taskSidsInPayload(`${recordKey}\n${payloadText}`);
}

/** `tajo dlq replay` of a dead letter naming a task `tajo forget` erased (the store refuses it in its transaction). */
export function forgottenReplayError(id: number, forgotten: readonly string[]): TajoError {
  return new TajoError('TAJO_DEAD_LETTER_FORGOTTEN', `Dead letter #${id} names ${forgotten.length === 1 ? 'a task' : `${forgotten.length} tasks`} of a person \`tajo forget\` erased (${forgotten.slice(0, 3).join(', ')}): replaying it would bring their data back, so nothing was replayed`, {
    hint: `discard it with \`tajo dlq discard ${id}\``,
  });
}

/** Whether a dead letter is about the person: its record key names one of their tasks, or its payload names them. */
export function letterNamesPerson(recordKey: string, payloadText: string, p: PersonTraces): boolean {
  return taskSidsInPayload(recordKey).some((s) => p.tasks.has(s)) || namesPerson(payloadText, p);
}
