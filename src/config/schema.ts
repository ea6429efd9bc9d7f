import { createRequire } from 'node:module';
import type * as PhoneNumbers from 'awesome-phonenumber';
import { z } from 'zod';
import { normaliseTarget, targetProblem } from './fieldMapping.js';
import { CHANNELS, EVENT_KEYS, MESSAGE_BODY_MODES, type EventKey, DEFAULT_BASE_URLS, DEFAULT_BREVO_BASE_URL, DEFAULT_EVENT_MAPPING, DEFAULT_FIELD_MAPPING, DEFAULTS, MAX_PLUGIN_TOKEN_CACHE_SECONDS } from './defaults.js';

/** `XX` + 32 hex, as Twilio SIDs are. */
export const sid = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), { message: `must be a Twilio ${prefix} SID: "${prefix}" followed by 32 hex characters` });

const url = z.string().url();
/** A credential that must be set to something: an empty one would authenticate a caller sending an empty one. */
const NOT_EMPTY = 'must not be empty: an empty credential would let any caller in';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// libphonenumber's metadata loads only when a configured region is checked (about 30 ms of every CLI start-up
// otherwise, `tajo report` included).
let supportedRegions: Set<string> | undefined;
const isSupportedRegion = (r: string): boolean =>
  (supportedRegions ??= new Set((createRequire(import.meta.url)('awesome-phonenumber') as typeof PhoneNumbers).getSupportedRegionCodes())).has(r);

export const TwilioFlexConfigSchema = z
  .object({
    enabled: z.boolean().default(DEFAULTS.enabled),
    account_sid: sid('AC').optional(),
    /** Secrets: may come from `${ENV}` interpolation or the encrypted store (set by `tajo connectors install`). */
    auth_token: z.string().min(1).optional(),
    api_key_sid: sid('SK').optional(),
    api_key_secret: z.string().min(1).optional(),
    flex_flow_sid: sid('FO').optional(),
    /** Discovered from Flex Configuration when absent. */
    workspace_sid: sid('WS').optional(),
    sync: z
      .object({
        conversations: z.boolean().default(DEFAULTS.sync.conversations),
        tasks: z.boolean().default(DEFAULTS.sync.tasks),
        customers: z.boolean().default(DEFAULTS.sync.customers),
        csat: z.boolean().default(DEFAULTS.sync.csat),
        agent_activity: z.boolean().default(DEFAULTS.sync.agent_activity),
      })
      .strict()
      .default({ ...DEFAULTS.sync }),
    lists: z
      .object({
        support_contacts: z.number().int().positive().optional(),
        csat_respondents: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
    channels: z.array(z.enum(CHANNELS)).min(1).default([...DEFAULTS.channels]),
    /**
     * Replaces the default mapping as a whole when given (documented shape). Targets are normalised (`email`, `SMS`,
     * upper-case attribute names: src/config/fieldMapping.ts) and checked here, so the sync and the bootstrap agree.
     */
    field_mapping: z
      .record(z.string().min(1), z.string().min(1))
      .superRefine((m, ctx) => {
        const entries = Object.entries(m);
        if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'maps nothing: give at least one "record path: Brevo target" (or leave field_mapping out for the defaults)' });
        const seen = new Map<string, string>();
        for (const [path, target] of entries) {
          const problem = targetProblem(target);
          if (problem) ctx.addIssue({ code: 'custom', path: [path], message: problem });
          const norm = normaliseTarget(target);
          const other = seen.get(norm);
          if (other !== undefined) ctx.addIssue({ code: 'custom', path: [path], message: `maps to ${norm}, as ${other} does: each Brevo target takes one record path` });
          else seen.set(norm, path);
        }
      })
      .transform((m) => Object.fromEntries(Object.entries(m).map(([path, target]) => [path, normaliseTarget(target)])))
      .default({ ...DEFAULT_FIELD_MAPPING }),
    /** Merged over the defaults: name only the events you rename. */
    event_mapping: z
      .partialRecord(z.enum(EVENT_KEYS), z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, { message: 'Brevo event names allow only letters, digits, - and _' }))
      .default({})
      .transform((m) => ({ ...DEFAULT_EVENT_MAPPING, ...m }) as Record<EventKey, string>),
    debug: z.boolean().default(DEFAULTS.debug),
    /** Unset: the command's own default (warn; info for serve and dashboard). `--log-level` and TAJO_LOG_LEVEL win. */
    log_level: z.enum(LOG_LEVELS).optional(),
    log_api_calls: z.boolean().default(DEFAULTS.log_api_calls),
    base_urls: z
      .object({ flex: url.optional(), conversations: url.optional(), taskrouter: url.optional(), events: url.optional() })
      .strict()
      .default({})
      .transform((b) => ({ ...DEFAULT_BASE_URLS, ...b })),
    /**
     * How customer message bodies may reach Brevo (CONVERSATION_ENDED `first_customer_message` /
     * `last_customer_message`): never by default. docs/SEMANTICS.md §4.
     */
    message_bodies: z.enum(MESSAGE_BODY_MODES).default(DEFAULTS.message_bodies),
    /** `truncated`: characters (grapheme clusters) kept of each body before the ellipsis. */
    message_body_max_chars: z.number().int().min(1).max(2000).default(DEFAULTS.message_body_max_chars),
    csat_low_score_threshold: z.number().default(DEFAULTS.csat_low_score_threshold),
    service_level_seconds: z.number().positive().default(DEFAULTS.service_level_seconds),
    lookback_minutes: z.number().int().nonnegative().default(DEFAULTS.lookback_minutes),
    default_phone_region: z
      .string()
      .transform((r) => r.trim().toUpperCase())
      .refine(isSupportedRegion, { message: 'must be a region code libphonenumber knows (ISO 3166-1 alpha-2, e.g. US, GB, FR)' })
      .default(DEFAULTS.default_phone_region),
  })
  .strict();

export const ConfigSchema = z
  .object({
    data_dir: z.string().optional(),
    brevo: z
      .object({ api_key: z.string().min(1).optional(), base_url: url.default(DEFAULT_BREVO_BASE_URL) })
      .strict()
      .default({ base_url: DEFAULT_BREVO_BASE_URL }),
    store: z.object({ url: z.string().optional() }).strict().default({}),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        /** Public URL Twilio calls (for signature validation behind a proxy). */
        public_url: url.optional(),
        /**
         * Basic credentials expected on the Event Streams sink URL. Neither may be empty: `Authorization: Basic Og==`
         * (an empty user and password) would then pass for the sink's credentials on the Event Streams route.
         */
        sink_basic_auth: z.object({ user: z.string().min(1, NOT_EMPTY), pass: z.string().min(1, NOT_EMPTY) }).strict().optional(),
        /** Flex plugin auth: agent Flex token or an HMAC shared secret. */
        plugin_auth: z.enum(['flex_token', 'hmac']).default('flex_token'),
        plugin_hmac_secret: z.string().min(16).optional(),
        /**
         * plugin_auth flex_token: seconds a Flex token Twilio IAM accepted is reused without asking again (0: ask every
         * time), never past the token's expiration. Default DEFAULT_PLUGIN_TOKEN_CACHE_SECONDS (60 s): a revoked token
         * works at most that long.
         */
        plugin_token_cache_seconds: z.number().int().min(0).max(MAX_PLUGIN_TOKEN_CACHE_SECONDS).optional(),
        dashboard_token: z.string().min(16).optional(),
        /** Browser origins allowed to call the Flex plugin routes (`/webhooks/flex/*`, CORS); `*` allows any. */
        cors_origins: z.array(z.string().min(1)).default(() => ['https://flex.twilio.com']),
        /**
         * Behind a reverse proxy: which proxies' `X-Forwarded-For` names the sender, so each sender has its own rate
         * limit (otherwise all share the proxy's). `true` trusts any (only when nothing else can reach the server), a
         * number the count of proxy hops, or the proxies' addresses / CIDRs. Fastify's `trustProxy`. Default: none.
         */
        trust_proxy: z.union([z.boolean(), z.number().int().min(1).max(10), z.array(z.string().min(1)).min(1)]).optional(),
      })
      .strict()
      .default(() => ({ host: '127.0.0.1', port: 8787, plugin_auth: 'flex_token' as const, cors_origins: ['https://flex.twilio.com'] })),
    connectors: z.object({ twilio_flex: TwilioFlexConfigSchema.default(TwilioFlexConfigSchema.parse({})) }).strict().default({ twilio_flex: TwilioFlexConfigSchema.parse({}) }),
  })
  .strict();

export type TajoConfig = z.infer<typeof ConfigSchema>;
export type TwilioFlexConfig = z.infer<typeof TwilioFlexConfigSchema>;

/** Config paths that hold secrets: redacted from logs and `--json` output. */
export const SECRET_PATHS = [
  'brevo.api_key',
  'connectors.twilio_flex.auth_token',
  'connectors.twilio_flex.api_key_secret',
  'server.plugin_hmac_secret',
  'server.dashboard_token',
  'server.sink_basic_auth.pass',
] as const;
