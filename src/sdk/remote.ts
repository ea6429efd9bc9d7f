import { ERRORS, TajoError, type ErrorCode, type ErrorDetail } from '../core/errors.js';
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

/** Drives a running `tajo serve` through its authenticated management API. */
export class RemoteBackend implements TajoBackend {
  readonly mode = 'remote' as const;
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs = 120_000,
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
    return this.call(API_ROUTES.sync(id), params, opts.signal);
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
    return this.call(API_ROUTES.forget(id), { key, ...opts });
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

  private async call<T>([method, path]: readonly [string, string], body?: unknown, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new TajoError('TAJO_STORE_UNAVAILABLE', `Tajo server at ${this.baseUrl} is unreachable`, {
        cause: err,
        hint: 'check that `tajo serve` is running and the baseUrl is right',
      });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const err = errorFromResponse(res.status, json);
    if (err.code === 'TAJO_ROUTE_NOT_FOUND') {
      throw new TajoError('TAJO_USAGE', `${method} ${path.split('?')[0] ?? ''} is not offered by the management API of ${this.baseUrl}`, {
        hint: 'the management API covers connect, sync, status, handleEvent and dlq list/replay/discard; run other operations embedded, where the data dir is',
      });
    }
    throw err;
  }
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
