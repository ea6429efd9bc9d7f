/**
 * Every default in one place. Real vendor hosts are the defaults; the emulator is chosen by base URL.
 */
export const DEFAULT_BASE_URLS = {
  flex: 'https://flex-api.twilio.com',
  conversations: 'https://conversations.twilio.com',
  taskrouter: 'https://taskrouter.twilio.com',
  events: 'https://events.twilio.com',
} as const;

export const DEFAULT_BREVO_BASE_URL = 'https://api.brevo.com/v3';

export const DEFAULT_DATA_DIR = './.tajo';

/**
 * `server.plugin_token_cache_seconds`: how long a Flex token Twilio IAM accepted is taken again without asking (never
 * past the token's own expiration). A revoked token (an agent signed out or removed) works at most this long.
 */
export const DEFAULT_PLUGIN_TOKEN_CACHE_SECONDS = 60;
/** The longest `server.plugin_token_cache_seconds` the config takes. */
export const MAX_PLUGIN_TOKEN_CACHE_SECONDS = 300;

/** The product doc's default mapping from customer-record paths to Brevo targets (docs/SEMANTICS.md §3). */
export const DEFAULT_FIELD_MAPPING: Readonly<Record<string, string>> = Object.freeze({
  identity: 'FLEX_IDENTITY',
  friendly_name: 'FIRSTNAME',
  'attributes.email': 'email',
  'attributes.phone': 'SMS',
  last_conversation_date: 'LAST_SUPPORT_DATE',
  total_conversations: 'SUPPORT_TICKET_COUNT',
  avg_wait_time: 'AVG_WAIT_TIME',
  last_csat_score: 'CSAT_SCORE',
  preferred_channel: 'PREFERRED_CHANNEL',
  customer_tier: 'VIP_TIER',
  account_id: 'ACCOUNT_ID',
  last_wait_time: 'LAST_WAIT_TIME',
  abandons_30d: 'ABANDONS_30D',
});

/** The product doc's default mapping from Tajo event keys to Brevo event names (docs/SEMANTICS.md §4). */
export const EVENT_KEYS = ['task.created', 'task.completed', 'task.canceled', 'conversation.ended', 'survey.completed'] as const;
export type EventKey = (typeof EVENT_KEYS)[number];

export const DEFAULT_EVENT_MAPPING: Readonly<Record<EventKey, string>> = Object.freeze({
  'task.created': 'SUPPORT_REQUESTED',
  'task.completed': 'SUPPORT_RESOLVED',
  'task.canceled': 'SUPPORT_ABANDONED',
  'conversation.ended': 'CONVERSATION_ENDED',
  'survey.completed': 'CSAT_SUBMITTED',
});

export const CHANNELS = ['voice', 'sms', 'whatsapp', 'webchat'] as const;
export type Channel = (typeof CHANNELS)[number];

/** `connectors.twilio_flex.message_bodies`: how customer message bodies may reach Brevo (docs/SEMANTICS.md §4). */
export const MESSAGE_BODY_MODES = ['off', 'truncated', 'hashed', 'full'] as const;
export type MessageBodyMode = (typeof MESSAGE_BODY_MODES)[number];

export const SYNC_RESOURCES = ['conversations', 'tasks', 'customers', 'csat', 'agent_activity'] as const;
export type SyncResource = (typeof SYNC_RESOURCES)[number];

export const DEFAULTS = {
  enabled: true,
  sync: { conversations: true, tasks: true, customers: true, csat: true, agent_activity: true },
  channels: [...CHANNELS],
  debug: false,
  log_api_calls: false,
  message_bodies: 'off',
  message_body_max_chars: 160,
  csat_low_score_threshold: 2,
  service_level_seconds: 20,
  lookback_minutes: 10,
  default_phone_region: 'US',
  /** TaskRouter keeps events 30 days; older --since values are clamped for task data. */
  taskrouter_retention_days: 30,
} as const;
