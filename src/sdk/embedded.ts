import type { TajoBackend } from './backend.js';
import { SdkContext } from './context.js';
import { validate } from './validate.js';
import type {
  BootstrapParams, BootstrapReport, ConnectParams, ConnectResult, ConnectorId, ConnectorStatus, DeadLetterDetail,
  DeadLetterSummary, DlqActionResult, DlqListParams, ForgetResult, HandleEventInput, HandleEventResult, RotateParams,
  SyncCallOptions, SyncParams, SyncReport, TajoClientOptions, TestReport, WebhooksParams, WebhooksReport,
} from './types.js';

// Each operation's service is imported when first called: a CLI command or an embedding that uses a few operations does
// not load the engines of the others (the sync's Twilio and Brevo clients, phone parsing, the webhook registration…),
// which is start-up time of every `tajo` command (`tajo report`: see bench:report).
const services = {
  bootstrap: () => import('./services/bootstrap.js'),
  test: () => import('./services/test.js'),
  connect: () => import('./services/connect.js'),
  dlq: () => import('./services/dlq.js'),
  forget: () => import('./services/forget.js'),
  events: () => import('./services/events.js'),
  status: () => import('./services/status.js'),
  sync: () => import('./services/sync.js'),
  webhooks: () => import('./services/webhooks.js'),
};

/**
 * The SDK in-process: every operation runs on the store in the data dir. Arguments are checked here too (the shared
 * validation, src/sdk/validate.ts), for callers that reach the backend without a TajoClient (the management API).
 */
export class EmbeddedBackend implements TajoBackend {
  readonly mode = 'embedded' as const;

  private constructor(readonly ctx: SdkContext) {}

  static async open(options: TajoClientOptions): Promise<EmbeddedBackend> {
    return new EmbeddedBackend(await SdkContext.create(options));
  }

  static fromContext(ctx: SdkContext): EmbeddedBackend {
    return new EmbeddedBackend(ctx);
  }

  async connect(id: ConnectorId, params: ConnectParams): Promise<ConnectResult> {
    const v = validate.connect(params);
    return (await services.connect()).connect(this.ctx, id, v);
  }
  async test(id: ConnectorId): Promise<TestReport> {
    return (await services.test()).runChecks(this.ctx, id);
  }
  async sync(id: ConnectorId, params: SyncParams, opts: SyncCallOptions = {}): Promise<SyncReport> {
    const v = validate.sync(params);
    return (await services.sync()).sync(this.ctx, id, v, opts);
  }
  async status(id: ConnectorId): Promise<ConnectorStatus> {
    return (await services.status()).status(this.ctx, id);
  }
  async handleEvent(id: ConnectorId, input: HandleEventInput): Promise<HandleEventResult> {
    const v = validate.event(input);
    return (await services.events()).handleEvent(this.ctx, id, v);
  }
  async rotate(id: ConnectorId, params: RotateParams): Promise<ConnectResult> {
    const v = validate.rotate(params);
    return (await services.connect()).rotate(this.ctx, id, v);
  }
  async uninstall(id: ConnectorId): Promise<{ connector: ConnectorId; removed: boolean }> {
    return (await services.connect()).uninstall(this.ctx, id);
  }
  async bootstrap(id: ConnectorId, params: BootstrapParams): Promise<BootstrapReport> {
    const v = validate.bootstrap(params);
    return (await services.bootstrap()).bootstrap(this.ctx, id, v);
  }
  async webhooks(id: ConnectorId, params: WebhooksParams): Promise<WebhooksReport> {
    const v = validate.webhooks(params);
    return (await services.webhooks()).webhooks(this.ctx, id, v);
  }
  async forget(id: ConnectorId, key: string, opts: { deleteInBrevo?: boolean }): Promise<ForgetResult> {
    const v = validate.forget(key, opts);
    return (await services.forget()).forget(this.ctx, id, v.key, v.deleteInBrevo !== undefined ? { deleteInBrevo: v.deleteInBrevo } : {});
  }
  async dlqList(params: DlqListParams): Promise<DeadLetterSummary[]> {
    const v = validate.dlqList(params);
    return (await services.dlq()).list(this.ctx, v);
  }
  async dlqShow(id: number): Promise<DeadLetterDetail> {
    const v = validate.dlqId(id);
    return (await services.dlq()).show(this.ctx, v);
  }
  async dlqReplay(id: number): Promise<DlqActionResult> {
    const v = validate.dlqId(id);
    return (await services.dlq()).replay(this.ctx, v);
  }
  async dlqDiscard(id: number): Promise<DlqActionResult> {
    const v = validate.dlqId(id);
    return (await services.dlq()).discard(this.ctx, v);
  }
  close(): Promise<void> {
    return this.ctx.close();
  }
}
