/** Data held by the Brevo emulator (all times are emulated epoch milliseconds). */

export type AttributeType = 'text' | 'date' | 'float' | 'boolean' | 'id' | 'category' | 'multiple-choice' | 'user';
export type AttributeCategory = 'normal' | 'transactional' | 'category' | 'calculated' | 'global';
export type AttrValue = string | number | boolean | string[];

export interface Attribute {
  name: string;
  category: AttributeCategory;
  type?: AttributeType;
  enumeration?: { value: number; label: string }[];
  multiCategoryOptions?: string[];
  calculatedValue?: string;
  isRecurring?: boolean;
}

export interface Contact {
  id: number;
  email?: string;
  ext_id?: string;
  /** Attribute values by UPPERCASE name. Phone identifiers (SMS, WHATSAPP, LANDLINE_NUMBER) live here too. */
  attributes: Record<string, AttrValue>;
  listIds: Set<number>;
  emailBlacklisted: boolean;
  smsBlacklisted: boolean;
  whatsappBlacklisted: boolean;
  smtpBlacklistSender: string[];
  createdAt: number;
  modifiedAt: number;
}

export interface Folder {
  id: number;
  name: string;
  createdAt: number;
}

export interface ContactList {
  id: number;
  name: string;
  folderId: number;
  contactIds: Set<number>;
  createdAt: number;
}

export interface EventIdentifiers {
  email_id?: string;
  phone_id?: string;
  whatsapp_id?: string;
  landline_number_id?: string;
  ext_id?: string;
  contact_id?: number;
}

export interface StoredEvent {
  event_name: string;
  identifiers: EventIdentifiers;
  /** As sent, or the received time (ISO) when absent. */
  event_date: string;
  contact_properties?: Record<string, unknown>;
  event_properties?: Record<string, unknown>;
  object?: unknown;
  /** Emulated ISO time the emulator accepted the event. */
  receivedAt: string;
  contactId: number;
  /** `single` (POST /events) or `batch` (POST /events/batch). */
  via: 'single' | 'batch';
}

/** Process statuses: the spec's `queued|in_process|completed` plus SDK v6's `failed` (see specs/OVERRIDES.md). */
export type ProcessStatus = 'queued' | 'in_process' | 'completed' | 'failed';

export interface ImportInfo {
  invalid_emails?: string | null;
  duplicate_contact_id?: string | null;
  duplicate_ext_id?: string | null;
  duplicate_email_id?: string | null;
  duplicate_phone_id?: string | null;
  duplicate_whatsapp_id?: string | null;
  duplicate_landline_number_id?: string | null;
}

export interface ProcessRecord {
  id: number;
  name: string;
  status: ProcessStatus;
  createdAt: number;
  /** Emulated time at which the process is due to finish. */
  dueAt: number;
  completedAt?: number;
  info?: { import?: ImportInfo };
  error?: string;
  /** Import statistics kept for inspection. */
  stats?: { rows: number; created: number; updated: number; skipped: number };
  notifyUrl?: string;
  notification?: { status?: number; error?: string; at: string };
}

/** Ignored attribute values are recorded in the request log (Brevo ignores them silently). */
export interface IgnoredAttribute {
  at: string;
  endpoint: string;
  contactId?: number;
  name: string;
  value: unknown;
  reason: 'unknown_attribute' | 'wrong_type' | 'invalid_date' | 'not_settable' | 'duplicate_identifier' | 'invalid_phone';
}
