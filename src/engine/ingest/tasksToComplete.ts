import type { RawEvent } from '../../store/types.js';
import type { TaskPlanDeps } from '../sync/taskPlan.js';
import type { TaskRouterLookup } from './taskRouterLookup.js';

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
