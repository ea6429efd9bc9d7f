import type { TwilioFlexConfig } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/store.js';
import type { ConnectorRecord } from '../../store/types.js';
import { TwilioClient, twilioBaseUrls, twilioCredentials } from '../../sources/twilio/client.js';
import { readFlexConfiguration } from '../../sources/twilio/readers.js';
import type { TwilioBudgets } from '../budget.js';
import type { ContactLists } from '../derive/contact.js';
import { ConversationSource } from '../sync/conversationSource.js';
import type { TwilioSecrets } from '../sync/types.js';
import { InboxProcessor, type InboxProcessorOptions } from './inboxProcessor.js';
import { livePlanner } from './livePlanner.js';
import { twilioTaskRouterLookup } from './taskRouterLookup.js';

export interface LiveIngestDeps {
  store: Store;
  config: TwilioFlexConfig;
  connector: ConnectorRecord;
  secrets: TwilioSecrets;
  logger: Logger;
  /** The same budgets the sync and the rest of the process use (one budget per Twilio account). */
  budgets: TwilioBudgets;
  listIds: ContactLists;
  /** Twilio's clock (emulated time against the emulator); default Date.now. */
  nowMs?: () => number;
  timeScale?: number;
  /** Overrides of the processor's tuning (batch size, lease, poll interval…). */
  processor?: Partial<Pick<InboxProcessorOptions, 'batchSize' | 'leaseMs' | 'pollMs' | 'maxDeferMs' | 'workerId' | 'onProcessed'>>;
}

/**
 * The inbox processor of `tajo serve` for an installed connector: a live-priority Twilio client (TaskRouter lookups,
 * Task and Conversation reads), the sync engine's planner, outbox writes at priority 0. Discovery of the Flex
 * Conversations service is best effort: a Twilio outage at start-up must not stop the server from acknowledging.
 */
export async function createInboxProcessor(deps: LiveIngestDeps): Promise<InboxProcessor> {
  const s = deps.connector.settings;
  const cfg = deps.config;
  const now = deps.nowMs ?? Date.now;
  const client = new TwilioClient({
    baseUrls: twilioBaseUrls(s.baseUrls, cfg.base_urls),
    credentials: twilioCredentials(s, deps.secrets),
    budgets: deps.budgets,
    logger: deps.logger,
    logApiCalls: cfg.log_api_calls,
    priority: 0,
    ...(deps.timeScale !== undefined ? { timeScale: deps.timeScale } : {}),
  });
  let serviceSid = s.chatServiceSid;
  let workspaceSid = s.workspaceSid;
  if (!serviceSid) {
    try {
      const d = await readFlexConfiguration(client);
      serviceSid = d.conversationServiceSid;
      workspaceSid ||= d.workspaceSid;
    } catch (err) {
      deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Flex Configuration not readable; Conversations are read from the default service');
    }
  }
  const readConversations = cfg.sync.conversations;
  return new InboxProcessor({
    store: deps.store,
    connectorId: deps.connector.id,
    logger: deps.logger.child({ component: 'inbox' }),
    plan: livePlanner({ store: deps.store, connectorId: deps.connector.id, config: cfg, lists: deps.listIds, client, workspaceSid, conversationServiceSid: serviceSid, now }),
    taskRouter: twilioTaskRouterLookup(client, workspaceSid, now),
    ...(readConversations ? { conversationReader: () => new ConversationSource(client, serviceSid) } : {}),
    now: Date.now,
    ...deps.processor,
  });
}
