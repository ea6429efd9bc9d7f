import type { ITask } from '@twilio/flex-ui';

/**
 * The body of `POST /webhooks/flex/task-complete`, as the server's validator accepts it
 * (`src/server/routes/flexTaskComplete.validate.ts`): SIDs are 2 letters + 32 hex, optional fields are omitted
 * rather than null, strings are bounded.
 */
export interface TaskCompletePayload {
  TaskSid: string;
  ReservationSid?: string;
  TaskAttributes?: string;
  TaskChannelUniqueName?: string;
  Age?: number;
  TaskQueueFriendlyName?: string;
  TaskQueueSid?: string;
  WorkerSid?: string;
  CompletedAt?: string;
}

const sid = (prefix: string, v: unknown): v is string => typeof v === 'string' && new RegExp(`^${prefix}[0-9a-fA-F]{32}$`).test(v);
const bounded = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined);

/**
 * Builds the post from the Flex `ITask` of `afterCompleteTask`. In Flex UI `task.sid` is the RESERVATION (`WR…`)
 * and `task.taskSid` the task (`WT…`) (twilio.md §9): TaskSid is the task; the reservation goes in ReservationSid.
 * Without a usable task SID the reservation is sent as TaskSid (the server accepts it and resolves the task).
 * Returns undefined when neither SID is usable.
 */
export function buildPayload(task: ITask, completedAt: Date = new Date()): TaskCompletePayload | undefined {
  const reservation = sid('WR', task.sid) ? task.sid : undefined;
  const taskSid = sid('WT', task.taskSid) ? task.taskSid : sid('WT', task.sid) ? task.sid : reservation;
  if (!taskSid) return undefined;
  const p: TaskCompletePayload = { TaskSid: taskSid };
  if (reservation && reservation !== taskSid) p.ReservationSid = reservation;
  if (task.attributes !== undefined && task.attributes !== null) {
    p.TaskAttributes = typeof task.attributes === 'string' ? task.attributes : JSON.stringify(task.attributes);
  }
  const channel = bounded(task.taskChannelUniqueName, 64);
  if (channel) p.TaskChannelUniqueName = channel;
  const age = ageAt(task, completedAt);
  if (age !== undefined) p.Age = age;
  const queue = bounded(task.queueName, 256);
  if (queue) p.TaskQueueFriendlyName = queue;
  if (sid('WQ', task.queueSid)) p.TaskQueueSid = task.queueSid;
  if (sid('WK', task.workerSid)) p.WorkerSid = task.workerSid;
  p.CompletedAt = completedAt.toISOString();
  return p;
}

/**
 * Seconds from the task's creation to its completion. Flex UI's `task.age` is TaskRouter's `age` as of the task's last
 * update, so it may be minutes short by the time the agent completes the task (the server dates the task's creation as
 * completion − Age). `dateCreated` gives the age at `completedAt`; `age` is the fallback, and a floor.
 */
function ageAt(task: ITask, completedAt: Date): number | undefined {
  const snapshot = typeof task.age === 'number' && Number.isFinite(task.age) && task.age >= 0 ? task.age : undefined;
  const created = task.dateCreated instanceof Date ? task.dateCreated.getTime() : Number.NaN;
  const sinceCreated = Number.isFinite(created) && created <= completedAt.getTime() ? Math.floor((completedAt.getTime() - created) / 1000) : undefined;
  if (sinceCreated === undefined) return snapshot;
  return snapshot === undefined ? sinceCreated : Math.max(snapshot, sinceCreated);
}

/**
 * The post for an action payload that names the task only by `sid` (`{sid}`: Flex's task actions take `{task?, sid?}`):
 * a task SID, or a reservation SID the server resolves to its task. Undefined when it is neither.
 */
export function payloadFromSid(value: unknown, completedAt: Date = new Date()): TaskCompletePayload | undefined {
  if (!sid('WT', value) && !sid('WR', value)) return undefined;
  return { TaskSid: value, CompletedAt: completedAt.toISOString() };
}
