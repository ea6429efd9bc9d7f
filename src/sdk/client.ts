import { TajoError, isTajoError } from '../core/errors.js';
import type { TajoBackend } from './backend.js';
import { RemoteBackend } from './remote.js';
import { CONNECTOR_IDS } from './types.js';
import { validate } from './validate.js';
import type {
  BootstrapParams, BootstrapReport, ConnectParams, ConnectResult, ConnectorId, ConnectorStatus, DeadLetterDetail,
  DeadLetterSummary, DlqActionResult, DlqListParams, ForgetResult, HandleEventInput, HandleEventResult, RotateParams,
  SyncCallOptions, SyncParams, SyncReport, TajoClientOptions, TestReport, WebhooksParams, WebhooksReport,
} from './types.js';

function connectorId(id: string): ConnectorId {
  if ((CONNECTOR_IDS as readonly string[]).includes(id)) return id as ConnectorId;
  throw new TajoError('TAJO_CONNECTOR_UNKNOWN', `Unknown connector "${id}"`, { hint: `available: ${CONNECTOR_IDS.join(', ')}` });
}

/**
 * The Tajo SDK.
 *
 * ```ts
 * const tajo = new TajoClient({ brevoApiKey: process.env.BREVO_API_KEY });            // embedded
 * const tajo = new TajoClient({ apiKey: 'tajo_…', baseUrl: 'http://127.0.0.1:8787' }); // a running `tajo serve`
 * await tajo.connectors.connect('twilio-flex', { accountSid, authToken, flexFlowSid });
 * await tajo.connectors.sync('twilio-flex', { type: 'incremental', resources: ['conversations'], since: '2024-01-01' });
 * await tajo.connectors.status('twilio-flex');
 * ```
 */
export class TajoClient {
  mode: 'embedded' | 'remote';
  private backendPromise: Promise<TajoBackend> | undefined;
  private closing: Promise<void> | undefined;
  /** Aborts what runs when `close()` is called (syncs stop at their next page; the rest finishes). */
  private readonly shutdown = new AbortController();
  private readonly inflight = new Set<Promise<unknown>>();

  readonly connectors: {
    connect(id: string, params: ConnectParams): Promise<ConnectResult>;
    /** Alias of `connect` (the CLI's `tajo connectors install`). */
    install(id: string, params: ConnectParams): Promise<ConnectResult>;
    test(id: string): Promise<TestReport>;
    sync(id: string, params?: SyncParams, opts?: SyncCallOptions): Promise<SyncReport>;
    status(id: string): Promise<ConnectorStatus>;
    handleEvent(id: string, input: HandleEventInput): Promise<HandleEventResult>;
    rotate(id: string, params: RotateParams): Promise<ConnectResult>;
    uninstall(id: string): Promise<{ connector: ConnectorId; removed: boolean }>;
    bootstrap(id: string, params?: BootstrapParams): Promise<BootstrapReport>;
    webhooks(id: string, params: WebhooksParams): Promise<WebhooksReport>;
    forget(id: string, key: string, opts?: { deleteInBrevo?: boolean }): Promise<ForgetResult>;
  };

  readonly dlq: {
    list(params?: DlqListParams): Promise<DeadLetterSummary[]>;
    show(id: number): Promise<DeadLetterDetail>;
    replay(id: number): Promise<DlqActionResult>;
    discard(id: number): Promise<DlqActionResult>;
  };

  constructor(private readonly options: TajoClientOptions = {}) {
    this.mode = options.baseUrl ? 'remote' : 'embedded';
    // Arguments are checked here, the same way in both modes (src/sdk/validate.ts), before any backend is opened.
    const run = <T>(check: () => unknown, fn: (b: TajoBackend) => Promise<T>) => this.run(check, fn);
    this.connectors = {
      connect: (id, params) => run(() => [connectorId(id), validate.connect(params)], (b) => b.connect(connectorId(id), params)),
      install: (id, params) => run(() => [connectorId(id), validate.connect(params)], (b) => b.connect(connectorId(id), params)),
      test: (id) => run(() => connectorId(id), (b) => b.test(connectorId(id))),
      sync: (id, params = {}, opts = {}) =>
        run(
          () => [connectorId(id), validate.sync(params)],
          (b) => b.sync(connectorId(id), params, { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, this.shutdown.signal]) : this.shutdown.signal }),
        ),
      status: (id) => run(() => connectorId(id), (b) => b.status(connectorId(id))),
      handleEvent: (id, input) => run(() => [connectorId(id), validate.event(input)], (b) => b.handleEvent(connectorId(id), input)),
      rotate: (id, params) => run(() => [connectorId(id), validate.rotate(params)], (b) => b.rotate(connectorId(id), params)),
      uninstall: (id) => run(() => connectorId(id), (b) => b.uninstall(connectorId(id))),
      bootstrap: (id, params = {}) => run(() => [connectorId(id), validate.bootstrap(params)], (b) => b.bootstrap(connectorId(id), params)),
      webhooks: (id, params) => run(() => [connectorId(id), validate.webhooks(params)], (b) => b.webhooks(connectorId(id), params)),
      forget: (id, key, opts = {}) => run(() => [connectorId(id), validate.forget(key, opts)], (b) => b.forget(connectorId(id), key, opts)),
    };
    this.dlq = {
      list: (params = {}) => run(() => validate.dlqList(params), (b) => b.dlqList(params)),
      show: (id) => run(() => validate.dlqId(id), (b) => b.dlqShow(id)),
      replay: (id) => run(() => validate.dlqId(id), (b) => b.dlqReplay(id)),
      discard: (id) => run(() => validate.dlqId(id), (b) => b.dlqDiscard(id)),
    };
  }

  /** A client over an existing backend (the CLI and the server share one embedded context). */
  static withBackend(backend: TajoBackend): TajoClient {
    const c = new TajoClient();
    c.mode = backend.mode;
    c.backendPromise = Promise.resolve(backend);
    return c;
  }

  /** The backend in use (the server's management API mounts an embedded one). Refused once the client is closed. */
  backend(): Promise<TajoBackend> {
    if (this.closing) return Promise.reject(closedError());
    this.backendPromise ??= this.createBackend();
    return this.backendPromise;
  }

  /**
   * Releases the store and stops the background loops (embedded) — call once done. A sync still running is aborted
   * (it stops at its next page, its cursors kept); other calls still running finish first. Any call made afterwards
   * fails with TAJO_CLIENT_CLOSED (the store is never reopened behind the caller's back).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.shutdown.abort(closedError());
      await Promise.allSettled([...this.inflight]);
      const b = this.backendPromise ? await this.backendPromise.catch(() => undefined) : undefined;
      await b?.close();
    })();
    return this.closing;
  }

  /** Runs one call: refused after close(), arguments checked first, tracked so that close() waits for it. */
  private run<T>(check: () => unknown, fn: (b: TajoBackend) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(closedError());
    try {
      check();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new TajoError('TAJO_INTERNAL', undefined, { cause: err }));
    }
    const p = (async () => {
      const b = await this.backend();
      try {
        return await fn(b);
      } catch (err) {
        // what a close() interrupted (an aborted fetch, a store closed under it) fails with a code
        if (this.closing && !isTajoError(err)) throw closedError(err);
        throw err;
      }
    })();
    const done = () => void this.inflight.delete(p);
    this.inflight.add(p);
    p.then(done, done);
    return p;
  }

  private async createBackend(): Promise<TajoBackend> {
    if (this.options.baseUrl) {
      if (!this.options.apiKey) throw new TajoError('TAJO_API_KEY_INVALID', 'Remote mode needs an apiKey', { hint: 'create one with `tajo keys create`' });
      return new RemoteBackend(this.options.baseUrl, this.options.apiKey, this.options.timeoutMs);
    }
    // a key without a URL is a remote client whose baseUrl is missing (an unset variable), not an embedded one: running
    // embedded would open a store of its own in the working directory and answer from it as if it were the server
    if (this.options.apiKey !== undefined) {
      throw new TajoError('TAJO_USAGE', 'apiKey is given without baseUrl: a remote client needs both', {
        details: [{ path: 'baseUrl', message: 'required with apiKey (the URL of a running `tajo serve`)' }],
        hint: 'pass baseUrl, or leave apiKey out to run embedded',
      });
    }
    const { EmbeddedBackend } = await import('./embedded.js');
    return EmbeddedBackend.open(this.options);
  }
}

function closedError(cause?: unknown): TajoError {
  return new TajoError('TAJO_CLIENT_CLOSED', cause === undefined ? undefined : 'The Tajo client was closed while this call ran', {
    hint: 'close() releases the store and stops the background loops; create a new TajoClient to go on',
    ...(cause !== undefined ? { cause } : {}),
  });
}
