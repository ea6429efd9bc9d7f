import type { Logger } from '../../core/logger.js';
import type { TwilioClient } from '../../sources/twilio/client.js';
import { readFlexConfiguration } from '../../sources/twilio/readers.js';
import { ConversationSource } from '../sync/conversationSource.js';
import { customerRederiver, type CustomerRederive } from '../sync/customerCommit.js';
import { InboxProcessor, type InboxProcessorOptions } from './inboxProcessor.js';
import { livePlanner, type LivePlannerDeps } from './livePlanner.js';
import { twilioTaskRouterLookup } from './taskRouterLookup.js';

export interface LiveIngestDeps extends LivePlannerDeps {
  logger: Logger;
  /**
   * Built with `priority: 0` (live ahead of backfill) on the budgets the rest of the process spends (one budget per
   * Twilio account). Without a client (no credentials that can read Twilio) no Task, Conversation or TaskRouter event
   * is read: plugin calls use their own payload, Conversation facts merge into the stored snapshot.
   */
  client?: TwilioClient | undefined;
  workspaceSid: string;
  /** The Flex Conversations service; when unknown it is discovered from the Flex Configuration (best effort). */
  conversationServiceSid?: string | undefined;
  /** Twilio's clock (emulated time against the emulator) for the planner and TaskRouter windows; default Date.now. */
  now?: () => number;
  /** Overrides of the processor's tuning (batch size, lease, poll interval, claimer id…). */
  processor?: Partial<Pick<InboxProcessorOptions, 'batchSize' | 'leaseMs' | 'pollMs' | 'maxDeferMs' | 'workerId' | 'onProcessed'>>;
}

/**
 * The inbox processor of `tajo serve` (and of an embedded client receiving events) for an installed connector: the
 * sync engine's planner at live priority, TaskRouter lookups and Conversation reads through the live client. Discovery
 * of the Flex Conversations service is best effort: a Twilio outage at start-up must not stop the server from
 * acknowledging.
 */
export async function createInboxProcessor(deps: LiveIngestDeps): Promise<InboxProcessor> {
  const cfg = deps.config;
  const now = deps.now ?? Date.now;
  const client = deps.client;
  let serviceSid = deps.conversationServiceSid;
  let workspaceSid = deps.workspaceSid;
  if (client && !serviceSid) {
    try {
      const d = await readFlexConfiguration(client);
      serviceSid = d.conversationServiceSid;
      workspaceSid ||= d.workspaceSid;
    } catch (err) {
      deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Flex Configuration not readable; Conversations are read from the default service');
    }
  }
  return new InboxProcessor({
    store: deps.store,
    connectorId: deps.connectorId,
    logger: deps.logger.child({ component: 'inbox' }),
    plan: livePlanner({ ...deps, workspaceSid, conversationServiceSid: serviceSid, now }),
    rederive: liveRederiver({ ...deps, now }),
    ...(client ? { taskRouter: twilioTaskRouterLookup(client, workspaceSid, now) } : {}),
    ...(client && cfg.sync.conversations ? { conversationReader: () => new ConversationSource(client, serviceSid) } : {}),
    // The processor's own clock (leases, how long an item may wait) stays real time; Twilio time is the planner's.
    now: Date.now,
    ...deps.processor,
  });
}

/** The customer side of `livePlanner`, for a commit that finds its customers re-derived meanwhile (customerCommit.ts). */
export function liveRederiver(deps: LivePlannerDeps, priority: 0 | 1 = 0): CustomerRederive {
  const cfg = deps.config;
  const now = deps.now ?? Date.now;
  return customerRederiver(() => ({
    connectorId: deps.connectorId, reader: deps.store, config: cfg, lists: deps.lists, nowMs: now(), priority,
    emit: { contacts: cfg.sync.customers, events: cfg.sync.tasks, csat: cfg.sync.csat },
  }));
}
