/**
 * Minimal authenticated GETs for install and `connectors test`: a handful of requests, each retried a few
 * times on 429/5xx, returning the status and body so the checks can explain failures. The sync itself goes
 * through the engine's budgeted HTTP layer; these calls are too few to need a budget.
 */
import type { TwilioBaseUrls } from '../types.js';

export interface TwilioCredentials {
  accountSid: string;
  authToken?: string;
  apiKeySid?: string;
  apiKeySecret?: string;
}

export interface ProbeResponse {
  status: number;
  json: unknown;
  /** Network failure or timeout (status 0). */
  networkError?: string;
}

export interface ProbeOptions {
  timeoutMs?: number;
  attempts?: number;
  /** Base delay between retries (ms). */
  backoffMs?: number;
}

async function request(method: string, url: string, headers: Record<string, string>, body: unknown, o: ProbeOptions = {}): Promise<ProbeResponse> {
  const attempts = o.attempts ?? 4;
  const idempotent = method === 'GET' || method === 'DELETE' || method === 'PUT';
  let last: ProbeResponse = { status: 0, json: undefined };
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, (o.backoffMs ?? 250) * 2 ** (i - 1)));
    try {
      const res = await fetch(url, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : body instanceof URLSearchParams ? { 'content-type': 'application/x-www-form-urlencoded' } : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: body instanceof URLSearchParams ? body.toString() : JSON.stringify(body) }),
        signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      last = { status: res.status, json };
      // 429 was not processed: always safe to retry; 5xx only for idempotent methods.
      if (res.status !== 429 && (res.status < 500 || !idempotent)) return last;
    } catch (err) {
      last = { status: 0, json: undefined, networkError: redactUrlCredentials(err instanceof Error ? err.message : String(err)) };
      if (!idempotent) return last;
    }
  }
  return last;
}

/** Any `scheme://user:password@` in a text (fetch's errors quote the URL) → `scheme://[redacted]@`: a key may sit there. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1[redacted]@');
}

export function twilioAuthHeader(c: TwilioCredentials): string {
  const user = c.apiKeySid && c.apiKeySecret ? c.apiKeySid : c.accountSid;
  const pass = c.apiKeySid && c.apiKeySecret ? c.apiKeySecret : (c.authToken ?? '');
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

export function twilioGet(creds: TwilioCredentials, baseUrls: TwilioBaseUrls, api: keyof TwilioBaseUrls, pathAndQuery: string, o?: ProbeOptions): Promise<ProbeResponse> {
  return request('GET', `${baseUrls[api].replace(/\/+$/, '')}${pathAndQuery}`, { authorization: twilioAuthHeader(creds) }, undefined, o);
}

/** A form-encoded Twilio write (Event Streams sinks and subscriptions). */
export function twilioSend(method: string, creds: TwilioCredentials, baseUrls: TwilioBaseUrls, api: keyof TwilioBaseUrls, path: string, form: URLSearchParams, o?: ProbeOptions): Promise<ProbeResponse> {
  return request(method, `${baseUrls[api].replace(/\/+$/, '')}${path}`, { authorization: twilioAuthHeader(creds) }, form, o);
}

export function brevoGet(apiKey: string, baseUrl: string, pathAndQuery: string, o?: ProbeOptions): Promise<ProbeResponse> {
  return brevoRequest('GET', apiKey, baseUrl, pathAndQuery, undefined, o);
}

function brevoRequest(method: string, apiKey: string, baseUrl: string, pathAndQuery: string, body?: unknown, o?: ProbeOptions): Promise<ProbeResponse> {
  return request(method, `${baseUrl.replace(/\/+$/, '')}${pathAndQuery}`, { 'api-key': apiKey }, body, o);
}

/** The vendor's message (Twilio `{code, message}` or RFC-9457 `{title, detail}`; Brevo `{code, message}`) for display. */
export function vendorMessage(r: ProbeResponse): string {
  if (r.networkError) return `no answer (${r.networkError})`;
  const b = r.json as { code?: unknown; message?: unknown; detail?: unknown; title?: unknown } | undefined;
  const msg = typeof b?.message === 'string' ? b.message : typeof b?.detail === 'string' ? b.detail : typeof b?.title === 'string' ? b.title : '';
  const code = b?.code !== undefined ? ` code ${String(b.code)}` : '';
  return `HTTP ${r.status}${code}${msg ? `: ${msg}` : ''}`;
}

/** Flex Configuration fields the connector uses (twilio.md §2). */
export interface FlexConfiguration {
  accountSid?: string;
  workspaceSid?: string;
  chatServiceSid?: string;
  status?: string;
}

export function parseFlexConfiguration(json: unknown): FlexConfiguration {
  const b = (json ?? {}) as Record<string, unknown>;
  const s = (k: string) => (typeof b[k] === 'string' && b[k] ? (b[k] as string) : undefined);
  const out: FlexConfiguration = {};
  const accountSid = s('account_sid');
  const workspaceSid = s('taskrouter_workspace_sid');
  const chatServiceSid = s('flex_service_instance_sid') ?? s('chat_service_instance_sid');
  const status = s('status');
  if (accountSid) out.accountSid = accountSid;
  if (workspaceSid) out.workspaceSid = workspaceSid;
  if (chatServiceSid) out.chatServiceSid = chatServiceSid;
  if (status) out.status = status;
  return out;
}
