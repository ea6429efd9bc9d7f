import type {
  BootstrapParams, BootstrapReport, ConnectParams, ConnectResult, ConnectorId, ConnectorStatus, DeadLetterDetail,
  DeadLetterSummary, DlqActionResult, DlqListParams, ForgetResult, HandleEventInput, HandleEventResult, RotateParams,
  SyncCallOptions, SyncParams, SyncReport, TestReport, WebhooksParams, WebhooksReport,
} from './types.js';

/**
 * What the SDK can do, whether embedded (in-process on the store) or remote (a running `tajo serve`).
 * The management API of `tajo serve` calls an embedded backend, so both modes return the same results.
 */
export interface TajoBackend {
  readonly mode: 'embedded' | 'remote';
  connect(id: ConnectorId, params: ConnectParams): Promise<ConnectResult>;
  test(id: ConnectorId): Promise<TestReport>;
  sync(id: ConnectorId, params: SyncParams, opts?: SyncCallOptions): Promise<SyncReport>;
  status(id: ConnectorId): Promise<ConnectorStatus>;
  handleEvent(id: ConnectorId, input: HandleEventInput): Promise<HandleEventResult>;
  rotate(id: ConnectorId, params: RotateParams): Promise<ConnectResult>;
  uninstall(id: ConnectorId): Promise<{ connector: ConnectorId; removed: boolean }>;
  bootstrap(id: ConnectorId, params: BootstrapParams): Promise<BootstrapReport>;
  webhooks(id: ConnectorId, params: WebhooksParams): Promise<WebhooksReport>;
  forget(id: ConnectorId, key: string, opts: { deleteInBrevo?: boolean }): Promise<ForgetResult>;
  dlqList(params: DlqListParams): Promise<DeadLetterSummary[]>;
  dlqShow(id: number): Promise<DeadLetterDetail>;
  dlqReplay(id: number): Promise<DlqActionResult>;
  dlqDiscard(id: number): Promise<DlqActionResult>;
  close(): Promise<void>;
}
