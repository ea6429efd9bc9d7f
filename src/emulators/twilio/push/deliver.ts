import { computeSignature, signJsonRequest, type SignatureParams } from '../signature.js';

/** One webhook request as Twilio would send it. */
export interface Delivery {
  url: string;
  body: string;
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  headers: Record<string, string>;
}

export interface SendOptions {
  timeoutMs: number;
  maxRetries: number;
  /** First back-off delay (real ms), doubled per retry, capped at 2 s. */
  backoffMs: number;
}

/** Splits `user:pass@` out of a URL: fetch refuses credentials in URLs, Twilio sends them as Basic auth. */
function splitCredentials(url: string): { url: string; auth?: string } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url };
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString(), auth };
}

function authHeader(url: string, basicAuth: { user: string; pass: string } | undefined): { target: string; headers: Record<string, string> } {
  const split = splitCredentials(url);
  const headers: Record<string, string> = {};
  const auth = basicAuth ? Buffer.from(`${basicAuth.user}:${basicAuth.pass}`).toString('base64') : split.auth;
  if (auth) headers.authorization = `Basic ${auth}`;
  return { target: split.url, headers };
}

/** JSON body (Event Streams): `bodySHA256` appended to the URL, the URL alone signed. */
export function jsonDelivery(authToken: string, url: string, payload: unknown, basicAuth?: { user: string; pass: string }): Delivery {
  const body = JSON.stringify(payload);
  const signed = signJsonRequest(authToken, url, body);
  const { target, headers } = authHeader(signed.url, basicAuth);
  return {
    url: target,
    body,
    contentType: 'application/json',
    headers: { ...headers, 'x-twilio-signature': signed.signature },
  };
}

/** Form body (TaskRouter / Conversations callbacks): URL + sorted params signed. */
export function formDelivery(authToken: string, url: string, params: Record<string, string>, basicAuth?: { user: string; pass: string }): Delivery {
  const signature = computeSignature(authToken, url, params as SignatureParams);
  const { target, headers } = authHeader(url, basicAuth);
  return {
    url: target,
    body: new URLSearchParams(params).toString(),
    contentType: 'application/x-www-form-urlencoded',
    headers: { ...headers, 'x-twilio-signature': signature },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends with at-least-once semantics: retries non-2xx answers, network errors and timeouts. */
export async function send(d: Delivery, opts: SendOptions): Promise<{ ok: boolean; attempts: number }> {
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let ok = false;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': d.contentType, 'user-agent': 'TwilioProxy/1.1', ...d.headers },
        body: d.body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      ok = res.status >= 200 && res.status < 300;
    } catch {
      ok = false;
    }
    if (ok) return { ok: true, attempts };
    if (attempts > opts.maxRetries) return { ok: false, attempts };
    await sleep(Math.min(2000, opts.backoffMs * 2 ** (attempts - 1)));
  }
}
