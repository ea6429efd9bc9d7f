/**
 * Where and how the plugin posts completed tasks. Taken from the constructor option, else from the Flex service
 * configuration's `attributes.tajo` (set with the Flex Configuration API), e.g.
 * `{"tajo": {"endpoint": "https://tajo.example.com/webhooks/flex/task-complete", "auth": "flex_token"}}`.
 */
export type TajoAuth = 'flex_token' | { hmacSecret: string };

export interface TajoConfig {
  /** Full URL of Tajo's `POST /webhooks/flex/task-complete`. */
  endpoint: string;
  /** `flex_token` (the agent's Flex token, validated by Tajo with Twilio) or an HMAC shared secret. */
  auth: TajoAuth;
  /** Attempts in all, first one included (default 6). */
  maxAttempts?: number;
  /** First backoff ceiling in ms (default 500); doubles per retry up to `maxDelayMs` (default 30 000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Deliveries under way at once, retries included (default 4, at most 20); the others wait in a queue, in order. */
  maxInFlight?: number;
  /** Completions waiting for a free delivery at most (default 100, at most 1 000); past it the oldest is dropped. */
  maxQueued?: number;
}

/** Defaults of {@link TajoConfig.maxInFlight} and {@link TajoConfig.maxQueued}. */
export const DEFAULT_MAX_IN_FLIGHT = 4;
export const DEFAULT_MAX_QUEUED = 100;

export type ConfigResult = { ok: true; config: TajoConfig } | { ok: false; reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * Why an endpoint cannot be posted to, if it cannot. A URL with `user:password@` is refused here: the Fetch standard
 * refuses to build a request from it (a TypeError on every post, retried for nothing), and it would put a credential
 * in the Flex configuration every agent's browser reads. The reason never echoes the URL.
 */
function endpointProblem(endpoint: unknown): string | undefined {
  if (typeof endpoint !== 'string' || !/^https?:\/\//i.test(endpoint)) return 'tajo.endpoint must be an http(s) URL';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'tajo.endpoint is not a valid URL';
  }
  if (url.username !== '' || url.password !== '') return "tajo.endpoint must not carry credentials (user:password@); use auth: 'flex_token' or {hmacSecret}";
  return undefined;
}

/** Validates a config object from either source; unknown keys are ignored. */
export function parseConfig(raw: unknown): ConfigResult {
  if (!isRecord(raw)) return { ok: false, reason: 'no tajo configuration (constructor option or service configuration attributes.tajo)' };
  const { endpoint, auth } = raw;
  const bad = endpointProblem(endpoint);
  if (bad !== undefined || typeof endpoint !== 'string') return { ok: false, reason: bad ?? 'tajo.endpoint must be an http(s) URL' };
  let parsedAuth: TajoAuth;
  if (auth === undefined || auth === 'flex_token') parsedAuth = 'flex_token';
  else if (isRecord(auth) && typeof auth.hmacSecret === 'string' && auth.hmacSecret.length > 0) parsedAuth = { hmacSecret: auth.hmacSecret };
  else return { ok: false, reason: "tajo.auth must be 'flex_token' or {hmacSecret}" };
  const config: TajoConfig = { endpoint, auth: parsedAuth };
  if (positive(raw.maxAttempts)) config.maxAttempts = Math.min(Math.floor(raw.maxAttempts), 20);
  if (positive(raw.baseDelayMs)) config.baseDelayMs = raw.baseDelayMs;
  if (positive(raw.maxDelayMs)) config.maxDelayMs = raw.maxDelayMs;
  if (positive(raw.timeoutMs)) config.timeoutMs = raw.timeoutMs;
  if (positive(raw.maxInFlight) && raw.maxInFlight >= 1) config.maxInFlight = Math.min(Math.floor(raw.maxInFlight), 20);
  if (positive(raw.maxQueued) && raw.maxQueued >= 1) config.maxQueued = Math.min(Math.floor(raw.maxQueued), 1_000);
  return { ok: true, config };
}

/** The constructor option wins; else `serviceConfiguration.attributes.tajo`. */
export function resolveConfig(option: TajoConfig | undefined, serviceAttributes: unknown): ConfigResult {
  if (option) return parseConfig(option);
  return parseConfig(isRecord(serviceAttributes) ? serviceAttributes.tajo : undefined);
}
