/** Pure helpers of the Brevo sink: rejection → dead-letter reason, batch splitting, import entries and reports, list changes. */
import type { DeadLetterReason } from '../../store/types.js';
import {
  EVENT_PROPERTIES_MAX_BYTES,
  EVENTS_BATCH_MAX_BYTES,
  EVENTS_BATCH_MAX_COUNT,
  type BrevoErrorBody,
  type ContactPayload,
  type EventItem,
  type ImportReportField,
} from './types.js';

const PHONE_IDS = new Set(['sms', 'whatsapp', 'landline_number', 'phone', 'phone_id', 'whatsapp_id', 'landline_number_id']);

/**
 * Which dead-letter reason a 4xx from a contact or event write is. The error `code` for the same condition has
 * changed over time (`duplicate_parameter` → `invalid_parameter`, brevo.md §0.8), so this reads
 * `metadata.duplicate_identifiers` first and the message second, never the code alone.
 * WhatsApp and landline clashes count as `brevo_duplicate_sms`: they are the same phone-uniqueness rule.
 */
export function classifyRejection(status: number | undefined, body: unknown): DeadLetterReason {
  if (status === 413) return 'payload_too_large';
  const b = (body && typeof body === 'object' ? body : {}) as BrevoErrorBody;
  const message = typeof b.message === 'string' ? b.message : typeof body === 'string' ? body : '';
  const ids = Array.isArray(b.metadata?.duplicate_identifiers) ? b.metadata.duplicate_identifiers.map((s) => String(s).toLowerCase()) : [];
  if (ids.some((i) => PHONE_IDS.has(i))) return 'brevo_duplicate_sms';
  if (ids.includes('ext_id')) return 'brevo_duplicate_ext_id';
  if (/invalid phone number|phone number should be in format|invalid (sms|whatsapp|landline)/i.test(message)) return 'brevo_invalid_phone';
  if (/already associated|already exist|duplicate/i.test(message)) {
    if (/\b(sms|phone|whatsapp|landline)\b/i.test(message)) return 'brevo_duplicate_sms';
    if (/ext_?id/i.test(message)) return 'brevo_duplicate_ext_id';
  }
  if (/too large|payload size|exceeds.*(kb|size)/i.test(message)) return 'payload_too_large';
  return 'brevo_rejected';
}

/**
 * Identifier names a duplicate rejection reports (lower-cased): `metadata.duplicate_identifiers`, else read from
 * the message ("… email is already associated …", "Contact already exist" → ext_id). Empty when not a duplicate.
 */
export function duplicateIdentifiers(body: unknown): string[] {
  const b = (body && typeof body === 'object' ? body : {}) as BrevoErrorBody;
  if (Array.isArray(b.metadata?.duplicate_identifiers) && b.metadata.duplicate_identifiers.length) return b.metadata.duplicate_identifiers.map((s) => String(s).toLowerCase());
  const m = typeof b.message === 'string' ? b.message : '';
  if (!/already associated|already exist|duplicate/i.test(m)) return [];
  const out: string[] = [];
  if (/\bemail\b/i.test(m)) out.push('email');
  if (/ext_?id/i.test(m) || /contact already exist/i.test(m)) out.push('ext_id');
  if (/\bsms\b|phone/i.test(m)) out.push('sms');
  if (/whatsapp/i.test(m)) out.push('whatsapp');
  return out;
}

export function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v), 'utf8');
}

export interface BatchSplit {
  /** Index groups into the input, each within the count and byte limits of `POST /events/batch`. */
  batches: number[][];
  /** Indexes of items too large to send at all (alone over the body limit, or properties over 50 KB). */
  tooLarge: number[];
}

/**
 * Split events into `{ "events": [...] }` bodies of at most `maxCount` items AND `maxBytes` bytes (order kept).
 * Body size = 13 bytes of wrapper + items + commas.
 */
export function splitEventBatches(items: readonly EventItem[], opts: { maxCount?: number; maxBytes?: number } = {}): BatchSplit {
  const maxCount = opts.maxCount ?? EVENTS_BATCH_MAX_COUNT;
  const maxBytes = opts.maxBytes ?? EVENTS_BATCH_MAX_BYTES;
  const wrapper = jsonBytes({ events: [] });
  const batches: number[][] = [];
  const tooLarge: number[] = [];
  let cur: number[] = [];
  let curBytes = wrapper;
  items.forEach((item, i) => {
    const size = jsonBytes(item);
    const propsSize = jsonBytes(item.event_properties ?? {});
    if (wrapper + size > maxBytes || propsSize > EVENT_PROPERTIES_MAX_BYTES) {
      tooLarge.push(i);
      return;
    }
    const add = size + (cur.length ? 1 : 0);
    if (cur.length >= maxCount || curBytes + add > maxBytes) {
      batches.push(cur);
      cur = [];
      curBytes = wrapper;
    }
    curBytes += size + (cur.length ? 1 : 0);
    cur.push(i);
  });
  if (cur.length) batches.push(cur);
  return { batches, tooLarge };
}

/** Split into chunks of at most `size` (list membership calls take ≤ 150 ids). */
export function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Dead-letter reason for the rows an import report lists. */
export function reasonForReportField(field: ImportReportField): DeadLetterReason {
  switch (field) {
    case 'duplicate_ext_id':
      return 'brevo_duplicate_ext_id';
    case 'duplicate_phone_id':
    case 'duplicate_whatsapp_id':
    case 'duplicate_landline_number_id':
      return 'brevo_duplicate_sms';
    default:
      return 'brevo_rejected';
  }
}

/**
 * Values found in an import report: a CSV (`;` or `,` separated, header row optional) or a JSON array of strings
 * or objects. Every cell is returned (trimmed, unquoted), so callers match them against the identifiers they sent.
 */
export function parseImportReport(text: string): string[] {
  const t = text.trim();
  if (t === '') return [];
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      const v = JSON.parse(t) as unknown;
      const out: string[] = [];
      const walk = (x: unknown): void => {
        if (typeof x === 'string' || typeof x === 'number') out.push(String(x).trim());
        else if (Array.isArray(x)) x.forEach(walk);
        else if (x && typeof x === 'object') Object.values(x).forEach(walk);
      };
      walk(v);
      return out;
    } catch {
      /* fall through to CSV */
    }
  }
  const out: string[] = [];
  for (const line of t.split(/\r?\n/)) {
    for (const cell of line.split(/[;,]/)) {
      const v = cell.trim().replace(/^"(.*)"$/, '$1').trim();
      if (v) out.push(v);
    }
  }
  return out;
}

/**
 * The 400 of a list add/remove where no id changed: `invalid_parameter` "Contact already in list and/or does not exist"
 * (sendinblue/APIv3-php-library#47, #92, #134).
 */
export function isNothingChanged(body: unknown): boolean {
  const b = (body && typeof body === 'object' ? body : {}) as { code?: unknown; message?: unknown };
  return b.code === 'invalid_parameter' && typeof b.message === 'string' && /and\/or does(?: not|n't) exist/i.test(b.message);
}

/** One `jsonBody` item of `POST /contacts/import` (the import sizes its chunks by these). */
export function importEntry(c: ContactPayload): { email?: string; ext_id: string; attributes: Record<string, unknown> } {
  return { ...(c.email ? { email: c.email } : {}), ext_id: c.ext_id, attributes: { ...c.attributes, EXT_ID: c.ext_id } };
}
