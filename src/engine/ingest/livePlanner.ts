import type { ContactLists } from '../derive/contact.js';
import { bodyTransform } from '../derive/messageBodies.js';
import type { TwilioFlexConfig } from '../../config/schema.js';
import type { Store } from '../../store/store.js';
import type { TwilioClient } from '../../sources/twilio/client.js';
import { fetchTask } from '../../sources/twilio/readers.js';
import { ConversationSource } from '../sync/conversationSource.js';
import { planCustomers } from '../sync/customerPlan.js';
import { planTasks } from '../sync/taskPlan.js';
import type { TaskPlanner } from './inboxProcessor.js';

export interface LivePlannerDeps {
  store: Store;
  connectorId: string;
  config: TwilioFlexConfig;
  lists: ContactLists;
  /** A Twilio client built with `priority: 0` (live ahead of backfill); without it no Task / Conversation is read. */
  client?: TwilioClient | undefined;
  workspaceSid?: string | undefined;
  conversationServiceSid?: string | undefined;
  now?: () => number;
  /**
   * `message_bodies: hashed`: the HMAC key (see SyncDeps.messageBodyKey); the SDK derives it from the master key.
   */
  messageBodyKey?: Uint8Array | undefined;
}

/**
 * The inbox processor's planner: the sync engine's own `planTasks` + `planCustomers` (the same derivation as
 * polling, so a task seen by both paths gives the same rows and the same tajo_ids), with outbox items at the
 * priority the processor asks (0 = live).
 */
export function livePlanner(deps: LivePlannerDeps): TaskPlanner {
  const cfg = deps.config;
  const now = deps.now ?? Date.now;
  const channels = new Set(cfg.channels);
  const client = deps.client;
  const ws = deps.workspaceSid;
  return async ({ taskSids, rawEvents, priority, awaitLinks, taskHistory }) => {
    // `hashed` without a key throws here, on the batch, which then stays in the inbox (not at start-up).
    const messageBody = bodyTransform(cfg, deps.messageBodyKey);
    // One Conversation cache per batch: a long-lived cache would never see a conversation close.
    const conversations = client && cfg.sync.conversations ? new ConversationSource(client, deps.conversationServiceSid, { messageBodies: cfg.message_bodies !== 'off' }) : undefined;
    const plan = await planTasks(
      {
        connectorId: deps.connectorId,
        reader: deps.store,
        defaultPhoneRegion: cfg.default_phone_region,
        channels,
        csat: cfg.sync.csat,
        conversations,
        fetchTask: client && ws ? (sid) => fetchTask(client, ws, sid) : undefined,
        queueNames: new Map(),
        awaitLinks,
        taskHistory,
      },
      rawEvents,
      taskSids,
    );
    const planned = await planCustomers(
      {
        connectorId: deps.connectorId,
        reader: deps.store,
        config: cfg,
        lists: deps.lists,
        nowMs: now(),
        priority,
        emit: { contacts: cfg.sync.customers, events: cfg.sync.tasks, csat: cfg.sync.csat },
        messageBody,
      },
      plan,
    );
    return { ...planned.batch, ...(plan.awaitingLink ? { awaitingLink: plan.awaitingLink } : {}), ...(plan.awaitingHistory ? { awaitingHistory: plan.awaitingHistory } : {}) };
  };
}
