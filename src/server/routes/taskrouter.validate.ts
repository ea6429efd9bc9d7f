import { z } from 'zod';
import { parseWith, sidOf, text, type Parsed } from './common.validate.js';

/**
 * TaskRouter Workspace `EventCallbackUrl` deliveries: form-encoded, PascalCase (twilio.md §4.1: EventType,
 * AccountSid, WorkspaceSid, ResourceType, ResourceSid, Timestamp, Task*, Worker*, ReservationSid…).
 * Known fields are typed; the rest are kept as sent (strings, or arrays for repeated keys).
 */
const epoch = z.string().regex(/^\d{1,16}(\.\d{1,6})?$/, { message: 'must be an epoch timestamp' });

export const TaskRouterCallbackSchema = z
  .object({
    EventType: z.string().max(100).regex(/^[a-z][a-z-]*(\.[a-z][a-z-]*)+$/, { message: 'must be a TaskRouter event type such as task.completed' }),
    Sid: sidOf('EV').optional(),
    AccountSid: sidOf('AC').optional(),
    WorkspaceSid: sidOf('WS').optional(),
    ResourceType: text(64).optional(),
    ResourceSid: z.string().regex(/^[A-Z]{2}[0-9a-fA-F]{32}$/, { message: 'must be a Twilio SID' }).optional(),
    Timestamp: epoch.optional(),
    TimestampMs: epoch.optional(),
    TaskSid: sidOf('WT').optional(),
    TaskAttributes: text(256 * 1024).optional(),
    TaskChannelUniqueName: text(64).optional(),
    TaskQueueSid: sidOf('WQ').optional(),
    ReservationSid: sidOf('WR').optional(),
    WorkerSid: sidOf('WK').optional(),
  })
  .catchall(z.union([z.string().max(64 * 1024), z.array(z.string().max(64 * 1024)).max(50)]))
  .refine((v) => v.Sid !== undefined || v.ResourceSid !== undefined || v.TaskSid !== undefined || v.WorkerSid !== undefined, {
    message: 'needs Sid, ResourceSid, TaskSid or WorkerSid',
  });

export type TaskRouterCallback = z.infer<typeof TaskRouterCallbackSchema>;

export function validateTaskRouterCallback(body: unknown): Parsed<TaskRouterCallback> {
  return parseWith(TaskRouterCallbackSchema, body);
}

/** Dedupe key: the event `Sid` (EV…) when present, else ResourceSid + EventType + Timestamp, else a content key. */
export function taskRouterDedupeKey(v: TaskRouterCallback): string {
  if (v.Sid) return v.Sid;
  const ts = v.TimestampMs ?? v.Timestamp ?? '';
  if (v.ResourceSid) return `${v.ResourceSid}:${v.EventType}:${ts}`;
  return `${v.TaskSid ?? v.WorkerSid ?? ''}:${v.EventType}:${ts}`;
}
