import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse as qsParse, stringify as qsStringify } from 'node:querystring';

/**
 * X-Twilio-Signature, implemented from the algorithm Twilio documents and twilio-node applies
 * (`src/webhooks/webhooks.ts`, summarised in docs/twilio.md §6). The emulator signs its own webhook
 * deliveries with it; it must not import connector code, so it is written here from scratch.
 */
export type SignatureParams = Record<string, string | readonly string[]>;

/** base64(HMAC-SHA1(authToken, url + key1 + value1 + key2 + value2 …)), keys sorted, array values deduplicated and sorted. */
export function computeSignature(authToken: string, url: string, params: SignatureParams | null): string {
  const p: SignatureParams = params ?? {};
  let data = url;
  for (const key of Object.keys(p).sort()) {
    const value = p[key];
    if (value === undefined) continue;
    if (typeof value === 'string') data += key + value;
    else for (const v of [...new Set(value)].sort()) data += key + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/** Hex SHA-256 of a raw body (the `bodySHA256` query parameter of JSON webhooks). */
export function bodySha256Hex(body: string): string {
  return createHash('sha256').update(Buffer.from(body, 'utf-8')).digest('hex');
}

/** URL with `bodySHA256=<hash>` appended, as Twilio does for `application/json` webhooks. */
export function withBodyHash(url: string, body: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${bodySha256Hex(body)}`;
}

/** Signs a JSON body: returns the URL to call (with bodySHA256) and the signature over that URL only. */
export function signJsonRequest(authToken: string, url: string, body: string): { url: string; signature: string } {
  const signedUrl = withBodyHash(url, body);
  return { url: signedUrl, signature: computeSignature(authToken, signedUrl, {}) };
}

interface UrlParts { scheme: string; userInfo: string; host: string; port: string; rest: string }

function splitUrl(url: string): UrlParts | null {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!m) return null;
  const [prefix, scheme = '', authority = ''] = m;
  const at = authority.lastIndexOf('@');
  const hostPort = authority.slice(at + 1);
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, at + 1),
    host: colon === -1 ? hostPort : hostPort.slice(0, colon),
    port: colon === -1 ? '' : hostPort.slice(colon),
    rest: url.slice(prefix.length),
  };
}

/** Adds :443 / :80 when the URL has no port. */
export function addPort(url: string): string {
  const p = splitUrl(url);
  if (!p || p.port) return url;
  return p.scheme + p.userInfo + p.host + (p.scheme.toLowerCase() === 'https://' ? ':443' : ':80') + p.rest;
}

/** Removes any port (also non-standard ones). */
export function removePort(url: string): string {
  const p = splitUrl(url);
  return p ? p.scheme + p.userInfo + p.host + p.rest : url;
}

function legacyQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return url;
  return `${url.slice(0, q)}?${qsStringify(qsParse(url.slice(q + 1)))}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Validates a signature, accepting the URL with or without its port and the normalised/legacy query forms. */
export function validateSignature(authToken: string, signature: string | undefined, url: string, params: SignatureParams | null): boolean {
  const sig = signature ?? '';
  const check = (u: string): boolean => safeEqual(sig, computeSignature(authToken, u, params));
  if ([removePort(url), addPort(url)].some(check)) return true;
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return false;
  }
  const without = removePort(normalized);
  const withPort = addPort(normalized);
  return [without, withPort, legacyQuery(without), legacyQuery(withPort)].some(check);
}

/** Validates a JSON-body webhook: the URL signature (params {}) and the body hash carried in `bodySHA256`. */
export function validateJsonRequest(authToken: string, signature: string | undefined, url: string, body: string): boolean {
  let hash = '';
  try {
    hash = new URL(url).searchParams.get('bodySHA256') ?? '';
  } catch {
    return false;
  }
  return validateSignature(authToken, signature, url, {}) && safeEqual(hash, bodySha256Hex(body));
}
