import type { TajoBackend } from './backend.js';
import { SdkContext } from './context.js';
import * as bootstrapSvc from './services/bootstrap.js';
import { runChecks } from './services/test.js';
import * as connectSvc from './services/connect.js';
import * as dlqSvc from './services/dlq.js';
import { forget } from './services/forget.js';
import { handleEvent } from './services/events.js';
import { status } from './services/status.js';
import { sync } from './services/sync.js';
import { webhooks } from './services/webhooks.js';
import { validate } from './validate.js';
import type {
  BootstrapParams, BootstrapReport, ConnectParams, ConnectResult, ConnectorId, ConnectorStatus, DeadLetterDetail,
  DeadLetterSummary, DlqActionResult, DlqListParams, ForgetResult, HandleEventInput, HandleEventResult, RotateParams,
  SyncCallOptions, SyncParams, SyncReport, TajoClientOptions, TestReport, WebhooksParams, WebhooksReport,
} from './types.js';

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
    return connectSvc.connect(this.ctx, id, validate.connect(params));
  }
  test(id: ConnectorId): Promise<TestReport> {
    return runChecks(this.ctx, id);
  }
  async sync(id: ConnectorId, params: SyncParams, opts: SyncCallOptions = {}): Promise<SyncReport> {
    return sync(this.ctx, id, validate.sync(params), opts);
  }
  status(id: ConnectorId): Promise<ConnectorStatus> {
    return status(this.ctx, id);
  }
  async handleEvent(id: ConnectorId, input: HandleEventInput): Promise<HandleEventResult> {
    return handleEvent(this.ctx, id, validate.event(input));
  }
  async rotate(id: ConnectorId, params: RotateParams): Promise<ConnectResult> {
    return connectSvc.rotate(this.ctx, id, validate.rotate(params));
  }
  uninstall(id: ConnectorId): Promise<{ connector: ConnectorId; removed: boolean }> {
    return connectSvc.uninstall(this.ctx, id);
  }
  async bootstrap(id: ConnectorId, params: BootstrapParams): Promise<BootstrapReport> {
    return bootstrapSvc.bootstrap(this.ctx, id, validate.bootstrap(params));
  }
  async webhooks(id: ConnectorId, params: WebhooksParams): Promise<WebhooksReport> {
    return webhooks(this.ctx, id, validate.webhooks(params));
  }
  async forget(id: ConnectorId, key: string, opts: { deleteInBrevo?: boolean }): Promise<ForgetResult> {
    const v = validate.forget(key, opts);
    return forget(this.ctx, id, v.key, v.deleteInBrevo !== undefined ? { deleteInBrevo: v.deleteInBrevo } : {});
  }
  async dlqList(params: DlqListParams): Promise<DeadLetterSummary[]> {
    return dlqSvc.list(this.ctx, validate.dlqList(params));
  }
  async dlqShow(id: number): Promise<DeadLetterDetail> {
    return dlqSvc.show(this.ctx, validate.dlqId(id));
  }
  async dlqReplay(id: number): Promise<DlqActionResult> {
    return dlqSvc.replay(this.ctx, validate.dlqId(id));
  }
  async dlqDiscard(id: number): Promise<DlqActionResult> {
    return dlqSvc.discard(this.ctx, validate.dlqId(id));
  }
  close(): Promise<void> {
    return this.ctx.close();
  }
}
