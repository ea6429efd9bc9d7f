import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ERRORS, TajoError, isTajoError, type ErrorCode, type ErrorDetail } from '../core/errors.js';
import type { TajoBackend } from './backend.js';
import type {
  BootstrapParams, BootstrapReport, ConnectParams, ConnectResult, ConnectorId, ConnectorStatus, DeadLetterDetail,
  DeadLetterSummary, DlqActionResult, DlqListParams, ForgetResult, HandleEventInput, HandleEventResult, RotateParams,
  SyncCallOptions, SyncParams, SyncReport, TestReport, WebhooksParams, WebhooksReport,
} from './types.js';

/** Routes of the management API (`tajo serve`, `/api/v1`), relative to the base URL. */
export const API_ROUTES = {
  connect: (id: string) => ['POST', `/api/v1/connectors/${id}/connect`],
  test: (id: string) => ['POST', `/api/v1/connectors/${id}/test`],
  sync: (id: string) => ['POST', `/api/v1/connectors/${id}/sync`],
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
/** `forget`: the delivery worker's lease (120 s) plus the Brevo deletions on either side of it. */
const FORGET_TIMEOUT_MS = 300_000;

/**
 * Drives a running `tajo serve` through its authenticated management API. Requests go through node:http(s) rather
 * than fetch: fetch gives up on a response whose headers take more than 300 s, and a sync answers only when it is done.
 */
export class RemoteBackend implements TajoBackend {
  readonly mode = 'remote' as const;
  private readonly baseUrl: string;

  /** `timeoutMs`: the limit of every call (default 120 s for all but `sync`, which runs as long as it needs). */
  constructor(
    baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs?: number,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  connect(id: ConnectorId, params: ConnectParams): Promise<ConnectResult> {
    return this.call(API_ROUTES.connect(id), params);
  }
  test(id: ConnectorId): Promise<TestReport> {
    return this.call(API_ROUTES.test(id), {});
  }
  sync(id: ConnectorId, params: SyncParams, opts: SyncCallOptions = {}): Promise<SyncReport> {
    return this.call(API_ROUTES.sync(id), params, { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs: this.timeoutMs });
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
    return this.call(API_ROUTES.webhooks(id), params);
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

  private async call<T>([method, path]: readonly [string, string], body?: unknown, o: { signal?: AbortSignal; timeoutMs?: number | undefined } = { timeoutMs: this.timeoutMs ?? DEFAULT_TIMEOUT_MS }): Promise<T> {
    const signals = [...(o.signal ? [o.signal] : []), ...(o.timeoutMs ? [AbortSignal.timeout(o.timeoutMs)] : [])];
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const payload = body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    let res: { status: number; text: string };
    try {
      res = await send(new URL(`${this.baseUrl}${path}`), method, headers, payload, signal);
    } catch (err) {
      if (signal?.aborted && isTajoError(signal.reason)) throw signal.reason;
      throw new TajoError('TAJO_STORE_UNAVAILABLE', `Tajo server at ${this.baseUrl} is unreachable${signal?.aborted ? ' (the call was aborted or timed out)' : ''}`, {
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
    if (res.status >= 200 && res.status < 300) return json as T;
    throw errorFromResponse(res.status, json);
  }
}

/** One HTTP request with no timeout of its own (the caller's signal bounds it). */
function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Rebuilds the server's `{error: {code, message, details, hint}}` as a TajoError (same codes both modes). */
export function errorFromResponse(status: number, body: unknown): TajoError {
  const e = (body as { error?: { code?: string; message?: string; details?: ErrorDetail[]; hint?: string } } | undefined)?.error;
  const known = e?.code !== undefined && e.code in ERRORS ? (e.code as ErrorCode) : undefined;
  const code: ErrorCode = known ?? (status === 401 ? 'TAJO_API_KEY_INVALID' : status === 404 && 'TAJO_ROUTE_NOT_FOUND' in ERRORS ? ('TAJO_ROUTE_NOT_FOUND' as ErrorCode) : 'TAJO_INTERNAL');
  return new TajoError(code, e?.message ?? `Tajo server answered ${status}`, {
    ...(e?.details ? { details: e.details } : {}),
    ...(e?.hint ? { hint: e.hint } : {}),
  });
}
