import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import twilio from 'twilio';

/**
 * X-Twilio-Signature checks (docs twilio.md §6), delegated to twilio-node's `validateRequest`, which tries the
 * URL with and without its port and in the normalised / legacy query forms. The JSON (`bodySHA256`) variant is
 * `validateRequestWithBody` with one difference: the body hash is computed over the RAW bytes received, never
 * over a re-decoded string (a body that is not valid UTF-8 must not be re-encoded into a match).
 */
export type SignatureCheck = 'ok' | 'missing' | 'invalid';

export type FormParams = Record<string, string | string[]>;

/** What the signed URL is computed from: the request as the routes see it, and where they are mounted. */
export interface SignedRequest {
  protocol: string;
  host: string;
  /** The path and query as the routes see it (fastify's `req.url`; express strips its mount path from it). */
  url: string;
  /** The path and query the client asked for, when a host framework rewrote `url` (express's `req.originalUrl`). */
  originalUrl?: string | undefined;
  /** The fastify prefix the routes are registered under (`tajoWebhooksPlugin`'s `prefix`), part of `url`. */
  mountPath?: string | undefined;
}

/**
 * The URL Twilio signed.
 *
 * - With `publicUrl` (`server.public_url`, the `publicUrl` option): it is the public URL of the MOUNT POINT of Tajo's
 *   routes — the server root for `tajo serve`, the prefix for `tajoWebhooksPlugin`, the mount path for
 *   `createNodeHandler` under express. The route's own path (`/webhooks/...`) and query are appended to it, so the URL
 *   configured in Twilio is always `publicUrl + '/webhooks/...'` (`tajo connectors webhooks --public-url` builds it
 *   the same way).
 * - Without it: the URL the client asked for, from its scheme and Host header and the full path (express's
 *   `originalUrl` when mounted under a path).
 */
export function signedUrl(req: SignedRequest, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '') + routePath(req.url, req.mountPath);
  return `${req.protocol}://${req.host}${req.originalUrl ?? req.url}`;
}

/** `url` relative to the mount path (a fastify prefix is part of `req.url`). */
function routePath(url: string, mountPath: string | undefined): string {
  const mount = (mountPath ?? '').replace(/\/+$/, '');
  if (!mount || !url.startsWith(mount)) return url;
  const rest = url.slice(mount.length);
  if (rest === '') return '/';
  return rest.startsWith('/') || rest.startsWith('?') ? rest : url;
}

/** `signedUrl` of a fastify request: its prefix is the mount path, express's `originalUrl` (node handler) is kept. */
export function signedUrlOf(req: FastifyRequest, publicUrl?: string): string {
  const original = (req.raw as { originalUrl?: unknown }).originalUrl;
  return signedUrl(
    { protocol: req.protocol, host: req.host, url: req.url, originalUrl: typeof original === 'string' && original ? original : undefined, mountPath: req.server.prefix },
    publicUrl,
  );
}

/** Parses a form body as Twilio sends it; repeated keys become arrays (they are signed value by value). */
export function parseForm(raw: string): FormParams {
  const out: FormParams = Object.create(null) as FormParams;
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

function header(signature: string | string[] | undefined): string | undefined {
  const s = Array.isArray(signature) ? signature[0] : signature;
  return s === undefined || s === '' ? undefined : s;
}

/**
 * twilio-node's `validateRequest`, with the URL exactly as received tried first. That URL is always one of the
 * candidates `validateRequest` tries (it is `removePort(url)` when it has no port and `addPort(url)` when it has one),
 * so the answer is the same; a match — every genuine request signed for this URL — costs one HMAC and no URL parsing
 * (compared in constant time, as twilio-node does).
 */
function validate(authToken: string, sig: string, url: string, params: FormParams): boolean {
  return safeEqualStr(twilio.getExpectedTwilioSignature(authToken, url, params), sig) || twilio.validateRequest(authToken, sig, url, params);
}

/** Form-encoded webhooks: URL + sorted params. */
export function checkFormSignature(authToken: string, signature: string | string[] | undefined, url: string, params: FormParams): SignatureCheck {
  const sig = header(signature);
  if (sig === undefined) return 'missing';
  try {
    return validate(authToken, sig, url, params) ? 'ok' : 'invalid';
  } catch {
    return 'invalid'; // an unparsable URL cannot carry a valid signature
  }
}

export function sha256Hex(raw: Buffer | string): string {
  return createHash('sha256').update(raw).digest('hex');
}

function safeEqualStr(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * JSON webhooks: Twilio appends `bodySHA256=<hex sha256 of the body>` to the URL and signs the URL alone.
 * A JSON request without `bodySHA256` is refused: signing the URL alone would authenticate any body. `bodyHex`: the
 * body's SHA-256 in hex when the caller already has it (computed from `rawBody` otherwise).
 */
export function checkJsonSignature(authToken: string, signature: string | string[] | undefined, url: string, rawBody: Buffer, bodyHex?: string): SignatureCheck {
  const sig = header(signature);
  if (sig === undefined) return 'missing';
  let hash: string | null;
  try {
    hash = new URL(url).searchParams.get('bodySHA256');
  } catch {
    return 'invalid';
  }
  if (!hash) return 'invalid';
  try {
    const urlOk = validate(authToken, sig, url, {});
    return urlOk && safeEqualStr(hash.toLowerCase(), bodyHex ?? sha256Hex(rawBody)) ? 'ok' : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** `Authorization: Basic …` against the configured sink credentials, in constant time. */
export function checkBasicAuth(authorization: string | undefined, expected: { user: string; pass: string }): boolean {
  // an empty expected user or pass authenticates nobody (else `Basic Og==` would pass), whoever built `expected`
  if (!authorization || !expected.user || !expected.pass) return false;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!m?.[1]) return false;
  const got = Buffer.from(m[1], 'base64').toString('utf8');
  const want = `${expected.user}:${expected.pass}`;
  // hash both sides so the comparison is constant-time whatever the lengths
  return timingSafeEqual(createHash('sha256').update(got).digest(), createHash('sha256').update(want).digest());
}

/** Adds `user:pass@` to a URL (Event Streams signs the destination as configured, userinfo included). */
export function withUserInfo(url: string, creds: { user: string; pass: string }): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/i.exec(url);
  if (!m) return url;
  return `${m[1]}${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.pass)}@${m[2]}`;
}
