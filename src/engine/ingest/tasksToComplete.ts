import type { RawEvent } from '../../store/types.js';
import type { TaskPlanDeps } from '../sync/taskPlan.js';
import type { TaskRouterLookup } from './taskRouterLookup.js';
import { mapLimit } from '../sync/conversationSource.js';

/** The tasks whose full history a raw event calls for: a finished task, and the interaction a finished survey rates. */
export function tasksToComplete(e: RawEvent): string[] {
  if (!e.taskSid || (e.type !== 'task.completed' && e.type !== 'task.canceled')) return [];
  const data = e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : {};
  if (data.source === 'flex-plugin') return [];
  const linked = surveyLinkOf(data.task_attributes ?? data.TaskAttributes);
  // a survey post's task may exist nowhere in TaskRouter (a stand-in SID): only the interaction it rates is read
  if (data.source === 'survey') return linked ? [linked] : [];
  return linked ? [e.taskSid, linked] : [e.taskSid];
}

function surveyLinkOf(attributes: unknown): string | undefined {
  let a = attributes;
  if (typeof a === 'string') {
    if (!/survey/i.test(a)) return undefined;
    try {
      a = JSON.parse(a) as unknown;
    } catch {
      return undefined;
    }
  }
  const conv = a !== null && typeof a === 'object' ? (a as Record<string, unknown>).conversations : undefined;
  if (conv === null || typeof conv !== 'object') return undefined;
  const c = conv as Record<string, unknown>;
  const kind = typeof c.kind === 'string' ? c.kind.toLowerCase() : '';
  return kind === 'survey' && typeof c.conversation_id === 'string' && c.conversation_id.startsWith('WT') ? c.conversation_id : undefined;
}

/**
 * The planner's full reads of tasks finished in the store (TaskPlanDeps.taskHistory): `known` tasks were read in full
 * already; a read that shows the task's end marks it `completed`, so it is not read again.
 */
export function historyReader(lookup: TaskRouterLookup, known: (taskSid: string) => boolean, completed: (taskSid: string) => void): NonNullable<TaskPlanDeps['taskHistory']> {
  return {
    known,
    read: async (taskSid) => {
      const events = await lookup.eventsForTask(taskSid);
      if (events.some((e) => e.taskSid === taskSid && (e.type === 'task.completed' || e.type === 'task.canceled'))) completed(taskSid);
      return events;
    },
  };
}

/**
 * Reads in full, from TaskRouter, the tasks the given inbox rows' events finish (`tasksToComplete`) that were not read
 * complete before (`known`); each event read is `put` (the Events API's copy, with milliseconds, wins over a
 * callback's whole seconds). A task that cannot be read now, with rows that `mayWait`, is `unreadable`: it is not to
 * be derived this cycle (from half its history its Brevo events would go out without agent and times, never to be
 * sent again), and those rows (`waiting`) wait for another try; rows past the inbox's wait derive it from what there is.
 */
export async function readFinishedTasks(p: {
  lookup: TaskRouterLookup;
  rows: ReadonlyMap<number, readonly RawEvent[]>;
  known: (taskSid: string) => boolean;
  completed: (taskSid: string) => void;
  put: (e: RawEvent) => void;
  mayWait: (rowId: number) => boolean;
  failed: (taskSid: string, err: unknown) => void;
}): Promise<{ readNow: Set<string>; unreadable: Set<string>; waiting: number[] }> {
  const owners = new Map<string, number[]>();
  for (const [id, events] of p.rows) {
    for (const e of events) for (const t of tasksToComplete(e)) owners.set(t, [...(owners.get(t) ?? []), id]);
  }
  const readNow = new Set([...owners.keys()].filter((t) => !p.known(t)));
  const unreadable = new Set<string>();
  const waiting: number[] = [];
  const reader = historyReader(p.lookup, () => false, p.completed);
  await mapLimit([...readNow], 4, async (taskSid) => {
    try {
      for (const e of await reader.read(taskSid)) p.put(e);
    } catch (err) {
      p.failed(taskSid, err);
      const rows = (owners.get(taskSid) ?? []).filter(p.mayWait);
      if (rows.length > 0) {
        waiting.push(...rows);
        unreadable.add(taskSid);
        readNow.delete(taskSid);
      }
    }
  });
  return { readNow, unreadable, waiting };
}
