import { z } from 'zod';
import { MAX_TASK_AGE_SECONDS } from '../../engine/ingest/pluginEvents.js';
import { attributesField, instant, parseWith, sidOf, text, type Parsed } from './common.validate.js';

/** Seconds since the task was created (Flex's `task.age`): a year at most (a larger one dates no real task). */
const age = z
  .union([z.number().finite().nonnegative(), z.string().regex(/^\d{1,12}(\.\d{1,6})?$/)])
  .refine((v) => Number(v) <= MAX_TASK_AGE_SECONDS, { message: `must be the task's age in seconds, at most ${MAX_TASK_AGE_SECONDS} (366 days)` });

/**
 * The Flex UI plugin's `afterCompleteTask` post, in the product doc's shape
 * `{TaskSid, TaskAttributes, TaskChannelUniqueName, Age, TaskQueueFriendlyName}`.
 * `TaskSid` may be a reservation SID (`WR…`): the product doc's snippet sends `payload.task.sid`, which in Flex UI
 * is the reservation (twilio.md §9). Such a call is recorded and resolved to the task through TaskRouter.
 * Unknown fields are dropped, so a `Token` body field never reaches the store.
 */
export const FlexTaskCompleteSchema = z.object({
  TaskSid: sidOf('WT', 'WR'),
  ReservationSid: sidOf('WR').optional(),
  TaskAttributes: attributesField.optional(),
  TaskChannelUniqueName: text(64).optional(),
  Age: age.optional(),
  TaskQueueFriendlyName: text(256).optional(),
  TaskQueueSid: sidOf('WQ').optional(),
  WorkerSid: sidOf('WK').optional(),
  WorkerName: text(256).optional(),
  /** When the agent completed the task (ISO 8601 or epoch ms); default: when the server received the call. */
  CompletedAt: instant.optional(),
});

export type FlexTaskComplete = z.infer<typeof FlexTaskCompleteSchema>;

export function validateFlexTaskComplete(body: unknown): Parsed<FlexTaskComplete> {
  return parseWith(FlexTaskCompleteSchema, body);
}

/** One completion per task (or per reservation until it is resolved). */
export function flexTaskCompleteKey(v: FlexTaskComplete): string {
  return `flex:task-complete:${v.TaskSid}`;
}
