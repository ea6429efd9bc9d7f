import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ERRORS, TajoError, isTajoError, type ErrorCode, type ErrorDetail } from '../core/errors.js';
import { SYNC_ID_HEADER, SYNC_STREAM_TYPE } from '../server/wire.js';
import type { TajoBackend } from './backend.js';
import type {
  BootstrapParams, BootstrapReport, ConnectParams, ConnectResult, ConnectorId, ConnectorStatus, DeadLetterDetail,
  DeadLetterSummary, DlqActionResult, DlqListParams, ForgetResult, HandleEventInput, HandleEventResult, RotateParams,
  SyncCallOptions, SyncParams, SyncProgressEvent, SyncReport, TestReport, WebhooksParams, WebhooksReport,
} from './types.js';

/** Routes of the management API (`tajo serve`, `/api/v1`), relative to the base URL. */
export const API_ROUTES = {
  connect: (id: string) => ['POST', `/api/v1/connectors/${id}/connect`],
  test: (id: string) => ['POST', `/api/v1/connectors/${id}/test`],
  sync: (id: string) => ['POST', `/api/v1/connectors/${id}/sync`],
  /** Aborts the sync that a call named with `X-Tajo-Sync-Id` (what a remote sync's signal sends). */
  syncAbort: (syncId: string) => ['POST', `/api/v1/syncs/${syncId}/abort`],
  status: (id: string) => ['GET', `/api/v1/connectors/${id}/status`],
  handleEvent: (id: string) => ['POST', `/api/v1/connectors/${id}/events`],
  rotate: (id: string) => ['POST', `/api/v1/connectors/${id}/rotate`],
  uninstall: (id: string) => ['DELETE', `/api/v1/connectors/${id}`],
  bootstrap: (id: string) => ['POST', `/api/v1/connectors/${id}/bootstrap`],
  webhooks: (id: string) => ['POST', `/api/v1/connectors/${id}/webhooks`],
  forget: (id: string) => ['POST', `/api/v1/connectors/${id}/forget`],
  dlqList: () => ['GET', '/api/v1/dlq'],
  dlqShow: (id: number) => ['GET', `/api/v1/dlq/${id}`],
  dlqReplay: (id: number) => ['POST', `/api/v1/dlq/${id}/replay`],
  dlqDiscard: (id: number) => ['POST', `/api/v1/dlq/${id}/discard`],
} as const satisfies Record<string, (...a: never[]) => readonly [string, string]>;

/** Default limit of a remote call, except `sync` (see TajoClientOptions.timeoutMs). */
const DEFAULT_TIMEOUT_MS = 120_000;
/** The longest timer Node takes (AbortSignal.timeout). */
const MAX_TIMEOUT_MS = 4_294_967_295;
/** Asking the server to abort a sync; past it the sync call is cut off instead. */
const ABORT_TIMEOUT_MS = 10_000;
/** `webhooks`: beyond its activation wait, the Event Streams calls on either side of it. */
const WEBHOOKS_MARGIN_MS = 60_000;
/** The default limit of a remote `webhooks` call: the server may wait up to `activationWaitSeconds` (≤ 600) for the sink's test event. */
export function webhooksTimeoutMs(params: Pick<WebhooksParams, 'activationWaitSeconds'>): number {
  const wait = typeof params.activationWaitSeconds === 'number' && Number.isFinite(params.activationWaitSeconds) ? params.activationWaitSeconds * 1000 : 0;
  return Math.max(DEFAULT_TIMEOUT_MS, wait + WEBHOOKS_MARGIN_MS);
}
/** `forget`: the delivery worker's lease (120 s) plus the Brevo deletions on either side of it. */
const FORGET_TIMEOUT_MS = 300_000;
/**
 * The largest answer (or line of a sync's progress stream) a remote call reads: far above the largest legitimate one
 * (a dlq list of 1,000 summaries, a dead letter holding a webhook body under the server's body limit, a sync report);
 * past it the read is cut off with TAJO_SERVER_UNAVAILABLE instead of filling the caller's memory.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * Drives a running `tajo serve` through its authenticated management API. Requests go through node:http(s) rather
 * than fetch: fetch gives up on a response whose headers take more than 300 s, and a sync answers only when it is done.
 */
export class RemoteBackend implements TajoBackend {
  readonly mode = 'remote' as const;
  private readonly baseUrl: string;

  /**
   * `timeoutMs`: the limit of every call (default 120 s for all but `sync`, which runs as long as it needs).
   * Throws TAJO_USAGE for a base URL that is not a plain http(s) URL and TAJO_API_KEY_INVALID for a key that cannot be
   * sent in a header, neither quoting what it was given (either may hold a credential).
   */
  constructor(
    baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs?: number,
  ) {
    this.baseUrl = checkBaseUrl(baseUrl);
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS)) {
      // AbortSignal.timeout would throw a RangeError on every call
      const message = `must be an integer number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`;
      throw new TajoError('TAJO_USAGE', `Invalid timeoutMs: ${message}`, { details: [{ path: 'timeoutMs', message }] });
    }
    if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
      throw new TajoError('TAJO_API_KEY_INVALID', 'apiKey is not a Tajo API key: it has characters an Authorization header cannot carry', { hint: 'pass the key `tajo keys create` printed, as is' });
    }
  }

  connect(id: ConnectorId, params: ConnectParams): Promise<ConnectResult> {
    return this.call(API_ROUTES.connect(id), params);
  }
  test(id: ConnectorId): Promise<TestReport> {
    return this.call(API_ROUTES.test(id), {});
  }
  /**
   * An aborted signal (the caller's, or the client's `close()`) asks the server to abort this sync, which then stops at
   * its next page and answers its report (`status: 'aborted'`), as embedded. Only if that request fails is the call
   * itself cut off (the server then aborts the sync when it sees the connection close). With `onProgress`, the call
   * asks for the server's progress stream (`Accept: application/x-ndjson`) and hands it each event, as embedded.
   */
  async sync(id: ConnectorId, params: SyncParams, opts: SyncCallOptions = {}): Promise<SyncReport> {
    const syncId = randomBytes(16).toString('base64url');
    const cutOff = new AbortController();
    const outer = opts.signal;
    const onAbort = () => {
      void this.call(API_ROUTES.syncAbort(syncId), {}, { timeoutMs: ABORT_TIMEOUT_MS }).then(
        () => undefined,
        () => cutOff.abort(outer?.reason),
      );
    };
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.call(API_ROUTES.sync(id), params, {
        signal: cutOff.signal,
        timeoutMs: this.timeoutMs,
        headers: { [SYNC_ID_HEADER]: syncId, ...(opts.onProgress ? { accept: `${SYNC_STREAM_TYPE}, application/json` } : {}) },
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
    } finally {
      outer?.removeEventListener('abort', onAbort);
    }
  }
  status(id: ConnectorId): Promise<ConnectorStatus> {
    return this.call(API_ROUTES.status(id));
  }
  handleEvent(id: ConnectorId, input: HandleEventInput): Promise<HandleEventResult> {
    return this.call(API_ROUTES.handleEvent(id), input);
  }
  rotate(id: ConnectorId, params: RotateParams): Promise<ConnectResult> {
    return this.call(API_ROUTES.rotate(id), params);
  }
  uninstall(id: ConnectorId): Promise<{ connector: ConnectorId; removed: boolean }> {
    return this.call(API_ROUTES.uninstall(id));
  }
  bootstrap(id: ConnectorId, params: BootstrapParams): Promise<BootstrapReport> {
    return this.call(API_ROUTES.bootstrap(id), params);
  }
  webhooks(id: ConnectorId, params: WebhooksParams): Promise<WebhooksReport> {
    return this.call(API_ROUTES.webhooks(id), params, { timeoutMs: this.timeoutMs ?? webhooksTimeoutMs(params) });
  }
  forget(id: ConnectorId, key: string, opts: { deleteInBrevo?: boolean }): Promise<ForgetResult> {
    // with deleteInBrevo it may wait for the lease (120 s) of a Brevo write in flight, then delete again
    return this.call(API_ROUTES.forget(id), { key, ...opts }, { timeoutMs: this.timeoutMs ?? FORGET_TIMEOUT_MS });
  }
  dlqList(params: DlqListParams): Promise<DeadLetterSummary[]> {
    const [method, path] = API_ROUTES.dlqList();
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return this.call([method, qs ? `${path}?${qs}` : path]);
  }
  dlqShow(id: number): Promise<DeadLetterDetail> {
    return this.call(API_ROUTES.dlqShow(id));
  }
  dlqReplay(id: number): Promise<DlqActionResult> {
    return this.call(API_ROUTES.dlqReplay(id), {});
  }
  dlqDiscard(id: number): Promise<DlqActionResult> {
    return this.call(API_ROUTES.dlqDiscard(id), {});
  }
  async close(): Promise<void> {}

  private async call<T>(
    [method, path]: readonly [string, string],
    body?: unknown,
    o: { signal?: AbortSignal; timeoutMs?: number | undefined; headers?: Record<string, string>; onProgress?: (e: SyncProgressEvent) => void } = {
      timeoutMs: this.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    },
  ): Promise<T> {
    const signals = [...(o.signal ? [o.signal] : []), ...(o.timeoutMs ? [AbortSignal.timeout(o.timeoutMs)] : [])];
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const payload = body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const onLine = o.onProgress ? progressLines(o.onProgress) : undefined;
    let res: Answer;
    try {
      res = await send(new URL(`${this.baseUrl}${path}`), method, headers, payload, signal, this.baseUrl, onLine);
    } catch (err) {
      if (isTajoError(err)) throw err;
      if (signal?.aborted && isTajoError(signal.reason)) throw signal.reason;
      if (signal?.aborted && (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
        throw new TajoError('TAJO_SERVER_UNAVAILABLE', `Tajo server at ${this.baseUrl} did not answer within ${o.timeoutMs} ms`, {
          cause: err,
          hint: 'the call may still complete on the server (a handleEvent retried with the same id is not stored twice); raise timeoutMs for longer calls',
        });
      }
      if (signal?.aborted) {
        // the caller's signal, when the server could not be asked to abort (a sync): the server's answer is unknown
        throw new TajoError('TAJO_SERVER_UNAVAILABLE', `The call to the Tajo server at ${this.baseUrl} was aborted before its answer`, { cause: err });
      }
      throw new TajoError('TAJO_SERVER_UNAVAILABLE', `Tajo server at ${this.baseUrl} is unreachable`, {
        cause: err,
        hint: 'check that `tajo serve` is running and the baseUrl is right',
      });
    }
    let json: unknown;
    try {
      json = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.streamed) {
      // a progress stream's last line: the result, or the coded error (its status was sent with the first line)
      const last = json as { result?: unknown; error?: { code?: unknown } } | undefined;
      if (last !== undefined && last !== null && typeof last === 'object' && Object.hasOwn(last, 'result')) return last.result as T;
      if (last?.error && typeof last.error === 'object') {
        const code = typeof last.error.code === 'string' && Object.hasOwn(ERRORS, last.error.code) ? ERRORS[last.error.code as ErrorCode].status : 500;
        throw errorFromResponse(code, last, this.baseUrl);
      }
      throw new TajoError('TAJO_SERVER_UNAVAILABLE', `Tajo server at ${this.baseUrl} ended the sync's progress stream without its result`, {
        hint: 'the server may have stopped during the sync; its status (`connectors status`) tells where it got to',
      });
    }
    if (res.status >= 200 && res.status < 300) {
      // every /api/v1 answer is a JSON value ({ok: true} at least): anything else is not from `tajo serve`
      if (json !== undefined) return json as T;
      throw new TajoError('TAJO_INTERNAL', `Tajo server at ${this.baseUrl} answered ${res.status} without a JSON body`, { hint: NOT_TAJO_HINT });
    }
    throw errorFromResponse(res.status, json, this.baseUrl);
  }
}

/** Takes each `{"progress": event}` line of a sync's stream to the caller's onProgress (whose own failures stay its own). */
function progressLines(onProgress: (e: SyncProgressEvent) => void): (line: string) => boolean {
  return (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return false;
    }
    if (parsed === null || typeof parsed !== 'object' || !Object.hasOwn(parsed, 'progress')) return false;
    const event = (parsed as { progress?: unknown }).progress;
    if (event === null || typeof event !== 'object') return true;
    try {
      onProgress(event as SyncProgressEvent);
    } catch {
      // as embedded: a failing progress callback does not fail the sync
    }
    return true;
  };
}

const NOT_TAJO_HINT = 'check that baseUrl is the URL of `tajo serve` (the server root, not a page or a proxy that rewrites /api/v1)';

/** The base URL without trailing slashes; refused (without quoting it) unless it is a plain http(s) URL. */
function checkBaseUrl(raw: string): string {
  const refuse = (message: string) => new TajoError('TAJO_USAGE', `Invalid baseUrl: ${message}`, { details: [{ path: 'baseUrl', message }], hint: 'e.g. http://127.0.0.1:8787' });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('must be an absolute http(s) URL');
  // a credential there would be sent to the server in the clear and quoted by every network error
  if (url.username || url.password) throw refuse('must not carry credentials (user:password@): pass the key as apiKey');
  // the API path is appended to it: a query or fragment would swallow it
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) throw refuse('must not have a query string or fragment');
  return raw.replace(/\/+$/, '');
}

/** A whole answer, or (`streamed`) the last line of a progress stream whose other lines went to `onLine`. */
interface Answer {
  status: number;
  text: string;
  streamed: boolean;
}

/**
 * One HTTP request with no timeout of its own (the caller's signal bounds it). The answer is read up to
 * MAX_ANSWER_BYTES (a stream's lines each), past which the request is destroyed and the promise rejects with
 * TAJO_SERVER_UNAVAILABLE. With `onLine`, a 2xx `application/x-ndjson` answer is read line by line: each goes to
 * `onLine` as it arrives, and the last one it does not take (not a progress line) is the answer's `text`.
 */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal | undefined,
  baseUrl: string,
  onLine?: (line: string) => boolean,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, ...(signal ? { signal } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      const type = String(res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      const streamed = onLine !== undefined && status >= 200 && status < 300 && type === SYNC_STREAM_TYPE;
      const chunks: Buffer[] = [];
      let size = 0;
      const tooLarge = () => {
        reject(new TajoError('TAJO_SERVER_UNAVAILABLE', `Tajo server at ${baseUrl} answered more than ${MAX_ANSWER_BYTES / (1024 * 1024)} MB${streamed ? ' in one line of its progress stream' : ''}: the read was cut off`, {
          hint: NOT_TAJO_HINT,
        }));
        req.destroy();
      };
      /** A stream's last line that is not progress: its result or error. */
      let last = '';
      const line = (text: string) => {
        if (text.trim() && !onLine?.(text)) last = text;
      };
      res.on('data', (c: Buffer) => {
        if (!streamed) {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) return tooLarge();
          chunks.push(c);
          return undefined;
        }
        // complete lines as they arrive; the rest waits for the next chunk
        let from = 0;
        for (let nl = c.indexOf(10); nl !== -1; nl = c.indexOf(10, from)) {
          chunks.push(c.subarray(from, nl));
          line(Buffer.concat(chunks).toString('utf8'));
          chunks.length = 0;
          size = 0;
          from = nl + 1;
        }
        if (from < c.length) {
          chunks.push(c.subarray(from));
          size += c.length - from;
          if (size > MAX_ANSWER_BYTES) return tooLarge();
        }
        return undefined;
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (!streamed) return resolve({ status, text, streamed });
        line(text);
        return resolve({ status, text: last, streamed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * An answer without Tajo's error body (a proxy or load balancer in front of the server, or not a Tajo server), by its
 * status: gateway errors and 503 are the server being unreachable (retryable, as a refused connection); 401 a refused
 * key; the rest keep the catalogue code of their status.
 */
function codeOfStatus(status: number): ErrorCode {
  if (status === 502 || status === 503 || status === 504) return 'TAJO_SERVER_UNAVAILABLE';
  if (status === 401) return 'TAJO_API_KEY_INVALID';
  if (status === 404) return 'TAJO_ROUTE_NOT_FOUND';
  if (status === 413) return 'TAJO_WEBHOOK_BODY_TOO_LARGE';
  if (status === 429) return 'TAJO_WEBHOOK_RATE_LIMITED';
  return 'TAJO_INTERNAL';
}

/** Rebuilds the server's `{error: {code, message, details, hint}}` as a TajoError (same codes both modes). */
export function errorFromResponse(status: number, body: unknown, baseUrl = 'the Tajo server'): TajoError {
  const e = (body as { error?: { code?: string; message?: string; details?: ErrorDetail[]; hint?: string } } | undefined)?.error;
  const known = typeof e?.code === 'string' && Object.hasOwn(ERRORS, e.code) ? (e.code as ErrorCode) : undefined;
  if (typeof e?.message !== 'string') {
    const code = codeOfStatus(status);
    return new TajoError(code, `Tajo server at ${baseUrl} answered ${status} without a Tajo error body`, {
      hint: code === 'TAJO_SERVER_UNAVAILABLE' ? 'check that `tajo serve` is running behind the proxy, then retry' : NOT_TAJO_HINT,
    });
  }
  // a code this client does not know (a newer server): its status's code, with the server's message
  return new TajoError(known ?? codeOfStatus(status), known || typeof e.code !== 'string' ? e.message : `${e.message} (${e.code.slice(0, 64)})`, {
    ...(Array.isArray(e.details) ? { details: e.details } : {}),
    ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
  });
}
