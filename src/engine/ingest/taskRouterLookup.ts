import type { RawEvent } from '../../store/types.js';
import type { TwilioClient } from '../../sources/twilio/client.js';
import { listEvents, twilioDate } from '../../sources/twilio/readers.js';
import { TaskRouterEvent } from '../../sources/twilio/schemas.js';
import { rawEventFromTaskRouter } from '../derive/taskEvents.js';

/** What the inbox processor asks TaskRouter when a Flex plugin call arrives. */
export interface TaskRouterLookup {
  /** The task of a reservation (`WR…` → `WT…`), from the Events API filtered by `ReservationSid`. */
  taskForReservation(reservationSid: string): Promise<string | undefined>;
  /** Every retained event of a task (Events API filtered by `TaskSid`), as raw events keyed by EV sid. */
  eventsForTask(taskSid: string): Promise<RawEvent[]>;
}

/** TaskRouter keeps events 30 days (twilio.md §0.3). */
const RETENTION_MS = 30 * 86_400_000;

/**
 * The lookup over the Twilio client of `src/sources/twilio` (shared budgets, retries, live priority when the
 * client was built with `priority: 0`).
 */
export function twilioTaskRouterLookup(client: TwilioClient, workspaceSid: string, now: () => number = Date.now): TaskRouterLookup {
  const window = (): { start: number; end: number } => {
    const end = now();
    return { start: end - RETENTION_MS + 60_000, end };
  };
  return {
    async taskForReservation(reservationSid) {
      const { start, end } = window();
      const pages = client.paginate(
        'taskrouter',
        `/v1/Workspaces/${encodeURIComponent(workspaceSid)}/Events`,
        { StartDate: twilioDate(start), EndDate: twilioDate(end), ReservationSid: reservationSid },
        'events',
        TaskRouterEvent,
        50,
      );
      for await (const page of pages) {
        for (const ev of page.items) {
          const taskSid = ev.event_data?.task_sid;
          if (typeof taskSid === 'string' && taskSid.startsWith('WT')) return taskSid;
        }
      }
      return undefined;
    },
    async eventsForTask(taskSid) {
      const { start, end } = window();
      const out: RawEvent[] = [];
      for await (const page of listEvents(client, workspaceSid, start, end, { taskSid })) {
        for (const ev of page.items) {
          const raw = rawEventFromTaskRouter(
            {
              sid: ev.sid,
              event_type: ev.event_type,
              event_date: ev.event_date ?? null,
              event_date_ms: ev.event_date_ms ?? null,
              resource_type: ev.resource_type ?? null,
              resource_sid: ev.resource_sid ?? null,
              event_data: ev.event_data ?? null,
            },
            'poll',
          );
          if (Number.isFinite(raw.occurredMs)) out.push(raw);
        }
      }
      return out;
    },
  };
}
