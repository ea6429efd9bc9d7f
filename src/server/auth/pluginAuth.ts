import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { validator } from 'twilio-flex-token-validator';
import { DEFAULT_PLUGIN_TOKEN_CACHE_SECONDS } from '../../config/defaults.js';
import { isTajoError, TajoError } from '../../core/errors.js';

/**
 * Authentication of calls from the Flex UI plugin (and survey posts): either the agent's Flex token,
 * validated by Twilio (`twilio-flex-token-validator`, twilio.md §9), or an HMAC of the raw body with a shared
 * secret: `X-Tajo-Signature: sha256=<hex>`.
 */
export interface FlexTokenResult {
  valid: boolean;
  identity?: string;
  realm_user_id?: string;
  /** When the token expires (IAM: an ISO date-time); a cached answer never outlives it. */
  expiration?: string;
}

/**
 * Validates an agent Flex token; rejects or answers `valid: false` for a bad one. A `TajoError` with code
 * TAJO_TWILIO_UNAVAILABLE means the token could not be checked (Twilio IAM unreachable): the caller may retry.
 */
export type FlexTokenValidator = (token: string) => Promise<FlexTokenResult>;

/** How long Twilio IAM may take to answer (the validator itself sets no timeout). */
const IAM_TIMEOUT_MS = 10_000;
/**
 * The validator rejects with a bare string for a bad token (IAM's message) and for a failed call alike: network
 * errors (Node's codes), a non-JSON answer (an IAM outage page) or our timeout are an outage, not a bad token.
 */
const OUTAGE = /\b(E[A-Z]+|socket hang up|JSON|Unexpected (token|end)|timed out)\b/;

/**
 * The real validator: calls Twilio IAM with the account's credentials, its Auth Token or, for a connector installed
 * with an API key only, that key (the validator's `apiCredentials`).
 */
export function twilioFlexTokenValidator(
  accountSid: string,
  credentials: string | { apiKeySid: string; apiKeySecret: string },
  timeoutMs = IAM_TIMEOUT_MS,
  validate = validator,
): FlexTokenValidator {
  const call = (token: string) => typeof credentials === 'string'
    ? validate(token, accountSid, credentials)
    : validate(token, accountSid, undefined, undefined, { Sid: credentials.apiKeySid, Secret: credentials.apiKeySecret });
  return async (token) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Twilio IAM timed out')), timeoutMs);
    });
    try {
      const result = (await Promise.race([call(token), timeout])) as Partial<FlexTokenResult>;
      return { ...result, valid: result.valid === true };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (OUTAGE.test(why)) throw new TajoError('TAJO_TWILIO_UNAVAILABLE', 'The Flex token could not be checked: Twilio IAM did not answer', { hint: 'the plugin retries' });
      return { valid: false };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * When a validator's answer says the token expires, in ms since the epoch: IAM's `expiration` is an ISO date-time; a
 * number is taken as epoch seconds (a JWT `exp`) below 1e12, else as ms. Undefined when it says nothing usable.
 */
export function expiresAtMs(expiration: unknown): number | undefined {
  if (typeof expiration === 'number' && Number.isFinite(expiration)) return expiration < 1e12 ? expiration * 1000 : expiration;
  if (typeof expiration === 'string' && expiration.trim()) {
    const t = Date.parse(expiration);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/**
 * Caches positive answers for `ttlMs` (config `server.plugin_token_cache_seconds`, default 60 s; 0 asks every time),
 * never past the token's own `expiration`; a token already expired by its answer is not cached. The token is hashed,
 * never kept in clear. A revoked token is thus accepted at most `ttlMs` after its last check.
 */
export function cachedValidator(inner: FlexTokenValidator, ttlMs = DEFAULT_PLUGIN_TOKEN_CACHE_SECONDS * 1000, now: () => number = Date.now): FlexTokenValidator {
  if (!(ttlMs > 0)) return inner;
  const cache = new Map<string, { result: FlexTokenResult; until: number }>();
  return async (token) => {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = cache.get(key);
    const t = now();
    if (hit && hit.until > t) return hit.result;
    if (hit) cache.delete(key);
    const result = await inner(token);
    if (result.valid) {
      if (cache.size > 5_000) cache.clear();
      const exp = expiresAtMs((result as { expiration?: unknown }).expiration);
      const until = Math.min(t + ttlMs, exp ?? Number.POSITIVE_INFINITY);
      if (until > t) cache.set(key, { result, until });
    }
    return result;
  };
}

export const HMAC_HEADER = 'x-tajo-signature';

/** `sha256=<hex HMAC-SHA256(secret, raw body)>`: what a caller puts in X-Tajo-Signature. */
export function signPluginBody(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export function checkHmac(secret: string, header: string | string[] | undefined, rawBody: Buffer): boolean {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return false;
  const got = Buffer.from(h.trim().toLowerCase());
  const want = Buffer.from(signPluginBody(secret, rawBody));
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Where the plugin may put its Flex token: `Authorization: Bearer`, `X-Flex-Token`, or a `Token` body field (Twilio Functions style). */
export function extractFlexToken(headers: Record<string, string | string[] | undefined>, body: unknown): string | undefined {
  const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const auth = first(headers.authorization);
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  if (m?.[1]) return m[1];
  const x = first(headers['x-flex-token']);
  if (x) return x.trim();
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const t = (body as Record<string, unknown>).Token ?? (body as Record<string, unknown>).token;
    if (typeof t === 'string' && t) return t;
  }
  return undefined;
}

export interface PluginAuthOptions {
  mode: 'flex_token' | 'hmac';
  hmacSecret?: string | undefined;
  flexTokenValidator?: FlexTokenValidator | undefined;
}

/** `unavailable`: the Flex token could not be checked (Twilio IAM unreachable), a retryable 503 rather than a 401. */
export type PluginAuthResult = { ok: true; identity?: string } | { ok: false; unavailable?: true };

export async function authenticatePlugin(
  opts: PluginAuthOptions,
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  parsedBody: unknown,
): Promise<PluginAuthResult> {
  if (opts.mode === 'hmac') {
    return opts.hmacSecret && checkHmac(opts.hmacSecret, headers[HMAC_HEADER], rawBody) ? { ok: true } : { ok: false };
  }
  const token = extractFlexToken(headers, parsedBody);
  if (!token || !opts.flexTokenValidator || token.length > 8192) return { ok: false };
  try {
    const r = await opts.flexTokenValidator(token);
    if (!r.valid) return { ok: false };
    return r.identity ? { ok: true, identity: r.identity } : { ok: true };
  } catch (err) {
    // Twilio IAM unreachable: a 503 the plugin retries; anything else thrown: refused as unauthenticated
    return isTajoError(err, 'TAJO_TWILIO_UNAVAILABLE') ? { ok: false, unavailable: true } : { ok: false };
  }
}
