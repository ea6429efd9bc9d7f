/**
 * Wire shapes the Brevo sink sends and reads, and the outbox payloads it delivers (agreed with the source side:
 * docs/SEMANTICS.md §3–§4). Field names are Brevo's own (`ext_id`, `listIds`, `event_name`, …).
 */

export type AttributeValue = string | number | boolean;

/** Outbox kind `contact`, key `contact:<ext_id>`: the coalesced latest state of one customer. */
export interface ContactPayload {
  ext_id: string;
  email?: string;
  attributes: Record<string, AttributeValue>;
  listIds: number[];
  smsBlacklisted?: true;
  whatsappBlacklisted?: true;
}

/** Outbox kind `event`, key = tajo_id: one Brevo event item (`POST /events` body, `/events/batch` element). */
export interface EventItem {
  event_name: string;
  identifiers: { ext_id: string; email_id?: string };
  /** ISO-8601 UTC with milliseconds. */
  event_date: string;
  event_properties: Record<string, unknown> & { tajo_id: string };
  contact_properties?: Record<string, AttributeValue>;
}

/** Outbox kinds `list_add` / `list_remove`: membership changes by ext_id. */
export interface ListChangePayload {
  listId: number;
  extIds: string[];
}

export type BrevoAttributeType = 'text' | 'date' | 'float' | 'boolean' | 'id' | 'category' | 'multiple-choice' | 'user';

export interface BrevoAttribute {
  name: string;
  category: string;
  type?: BrevoAttributeType | string;
}

export interface BrevoList {
  id: number;
  name: string;
  folderId?: number;
}

export interface BrevoFolder {
  id: number;
  name: string;
}

export interface BrevoAccount {
  email?: string;
  companyName?: string;
  [k: string]: unknown;
}

/** `GET /processes/{id}` (SDK v6 `GetProcessResponse`; `info.import.*` are report URLs, or null). */
export interface BrevoProcess {
  id: number;
  name?: string;
  status: 'queued' | 'in_process' | 'processing' | 'completed' | 'failed' | 'cancelled' | string;
  info?: { import?: Partial<Record<ImportReportField, string | string[] | null>> };
  error?: string;
}

export const IMPORT_REPORT_FIELDS = [
  'invalid_emails',
  'duplicate_contact_id',
  'duplicate_ext_id',
  'duplicate_email_id',
  'duplicate_phone_id',
  'duplicate_whatsapp_id',
  'duplicate_landline_number_id',
] as const;
export type ImportReportField = (typeof IMPORT_REPORT_FIELDS)[number];

/** Brevo's error bodies (`errorModel` / `contactErrorModel`). */
export interface BrevoErrorBody {
  code?: string;
  message?: string;
  metadata?: { duplicate_identifiers?: string[]; [k: string]: unknown };
}

/** Result of one `POST /events/batch` call: 202 (all accepted) or 207 (some failed validation). */
export interface BatchResult {
  status: number;
  accepted: number;
  /** Indexes (into the sent batch) that Brevo rejected, with its message. */
  failures: { index: number; message: string }[];
}

/**
 * Brevo attribute types for the default targets (docs/SEMANTICS.md §3). Targets not listed (custom mapping) are
 * created as `text`. `email` is the contact's email, not an attribute.
 */
export const ATTRIBUTE_TYPES: Readonly<Record<string, 'text' | 'date' | 'float' | 'boolean'>> = Object.freeze({
  LAST_SUPPORT_DATE: 'date',
  SUPPORT_TICKET_COUNT: 'float',
  AVG_WAIT_TIME: 'float',
  CSAT_SCORE: 'float',
  LAST_WAIT_TIME: 'float',
  ABANDONS_30D: 'float',
  FLEX_IDENTITY: 'text',
  FIRSTNAME: 'text',
  PREFERRED_CHANNEL: 'text',
  VIP_TIER: 'text',
  ACCOUNT_ID: 'text',
  SMS: 'text',
  WHATSAPP: 'text',
});

export const EVENTS_BATCH_MAX_COUNT = 200;
export const EVENTS_BATCH_MAX_BYTES = 512 * 1024;
/** `event_properties` per event (brevo.md §7). */
export const EVENT_PROPERTIES_MAX_BYTES = 50 * 1024;
export const LIST_CHANGE_MAX_IDS = 150;
/** `jsonBody` import limit is 10 MB; Brevo recommends ≤ 8 MB. */
export const IMPORT_MAX_BYTES = 8 * 1024 * 1024;
