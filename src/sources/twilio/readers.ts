import { TajoError } from '../../core/errors.js';
import type { Page, TwilioClient } from './client.js';
import { Activity, Conversation, FlexConfiguration, Message, Participant, Task, TaskQueue, TaskRouterEvent, Worker } from './schemas.js';

/**
 * Readers for the Twilio resources the sync needs. Time windows are always explicit: the Events API returns only
 * the last 15 minutes without them (docs §0.3), and there is no Interactions list to read (docs §0.1).
 */

/** Twilio query dates: ISO 8601 UTC at second precision (what twilio-node sends). */
export function twilioDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface FlexDiscovery {
  workspaceSid: string;
  /** Conversations service of Flex (`flex_service_instance_sid`), falling back to `chat_service_instance_sid`. */
  conversationServiceSid: string | undefined;
}

export async function readFlexConfiguration(client: TwilioClient): Promise<FlexDiscovery> {
  const cfg = await client.get('flex', '/v1/Configuration', {}, FlexConfiguration);
  if (!cfg?.taskrouter_workspace_sid) throw new TajoError('TAJO_TWILIO_BAD_RESPONSE', 'Flex Configuration has no taskrouter_workspace_sid');
  return { workspaceSid: cfg.taskrouter_workspace_sid, conversationServiceSid: cfg.flex_service_instance_sid ?? cfg.chat_service_instance_sid ?? undefined };
}

const ws = (workspaceSid: string) => `/v1/Workspaces/${encodeURIComponent(workspaceSid)}`;

export function listWorkers(client: TwilioClient, workspaceSid: string): AsyncGenerator<Page<Worker>> {
  return client.paginate('taskrouter', `${ws(workspaceSid)}/Workers`, {}, 'workers', Worker);
}

export function listTaskQueues(client: TwilioClient, workspaceSid: string): AsyncGenerator<Page<TaskQueue>> {
  return client.paginate('taskrouter', `${ws(workspaceSid)}/TaskQueues`, {}, 'task_queues', TaskQueue);
}

export function listActivities(client: TwilioClient, workspaceSid: string): AsyncGenerator<Page<Activity>> {
  return client.paginate('taskrouter', `${ws(workspaceSid)}/Activities`, {}, 'activities', Activity);
}

/**
 * TaskRouter Events in [startMs, endMs] (both bounds sent; the spec's `StartDate`/`EndDate` are inclusive), following
 * `next_page_url`. Only 30 days are kept (docs §0.3): callers clamp the window. `TaskSid` narrows to one task.
 */
export function listEvents(client: TwilioClient, workspaceSid: string, startMs: number, endMs: number, opts: { taskSid?: string; pageSize?: number } = {}): AsyncGenerator<Page<TaskRouterEvent>> {
  return client.paginate(
    'taskrouter',
    `${ws(workspaceSid)}/Events`,
    { StartDate: twilioDate(startMs), EndDate: twilioDate(endMs), TaskSid: opts.taskSid },
    'events',
    TaskRouterEvent,
    opts.pageSize,
  );
}

/** One Task with its attributes (lists return null attributes, docs §0.2). Undefined on 404: finished tasks get deleted. */
export function fetchTask(client: TwilioClient, workspaceSid: string, taskSid: string): Promise<Task | undefined> {
  return client.get('taskrouter', `${ws(workspaceSid)}/Tasks/${encodeURIComponent(taskSid)}`, {}, Task, { allow404: true });
}

/** Service-scoped when Flex's Conversations service is known (docs §3: prefer it), else the default service. */
function convBase(serviceSid: string | undefined): string {
  return serviceSid ? `/v1/Services/${encodeURIComponent(serviceSid)}/Conversations` : '/v1/Conversations';
}

/**
 * Conversations created in the given UTC days. The filter works on the creation date, and with a date filter the list
 * is sorted by creation date DESCENDING (spec text), so callers must not assume ascending order. The docs suggest
 * day bounds (`T00:00:00Z` / `T23:59:59Z`); callers filter exact times themselves.
 */
export function listConversations(client: TwilioClient, serviceSid: string | undefined, startMs: number, endMs: number, pageSize?: number): AsyncGenerator<Page<Conversation>> {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return client.paginate('conversations', convBase(serviceSid), { StartDate: `${day(startMs)}T00:00:00Z`, EndDate: `${day(endMs)}T23:59:59Z` }, 'conversations', Conversation, pageSize);
}

export function fetchConversation(client: TwilioClient, serviceSid: string | undefined, sid: string): Promise<Conversation | undefined> {
  return client.get('conversations', `${convBase(serviceSid)}/${encodeURIComponent(sid)}`, {}, Conversation, { allow404: true });
}

async function all<T>(gen: AsyncGenerator<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of gen) out.push(...p.items);
  return out;
}

export function listParticipants(client: TwilioClient, serviceSid: string | undefined, conversationSid: string): Promise<Participant[]> {
  return all(client.paginate('conversations', `${convBase(serviceSid)}/${encodeURIComponent(conversationSid)}/Participants`, {}, 'participants', Participant));
}

/** Messages oldest first (`Order=asc`). */
export function listMessages(client: TwilioClient, serviceSid: string | undefined, conversationSid: string): Promise<Message[]> {
  return all(client.paginate('conversations', `${convBase(serviceSid)}/${encodeURIComponent(conversationSid)}/Messages`, { Order: 'asc' }, 'messages', Message));
}
