import { z } from 'zod';

/**
 * Lenient response schemas: only the fields Tajo reads are declared, unknown fields pass through (`z.looseObject`).
 * Shapes follow the twilio-oai specs in `specs/` (twilio_*_v1.json); where the docs disagree the comment says so.
 */

const str = z.string();
const optStr = z.string().nullish();

/** List envelope shared by every list endpoint (docs §1.1). `next_page_url` is absolute; null on the last page. */
export const PageMeta = z.looseObject({
  page_size: z.number().nullish(),
  key: optStr,
  next_page_url: optStr,
});

export const FlexConfiguration = z.looseObject({
  account_sid: optStr,
  taskrouter_workspace_sid: optStr,
  flex_service_instance_sid: optStr,
  chat_service_instance_sid: optStr,
});
export type FlexConfiguration = z.infer<typeof FlexConfiguration>;

export const Worker = z.looseObject({
  sid: str,
  friendly_name: optStr,
  activity_sid: optStr,
  activity_name: optStr,
  available: z.boolean().nullish(),
  /** Null in list responses per the spec text (its own list example shows a string): never relied on. */
  attributes: optStr,
  date_updated: optStr,
});
export type Worker = z.infer<typeof Worker>;

export const TaskQueue = z.looseObject({ sid: str, friendly_name: optStr, date_updated: optStr });
export type TaskQueue = z.infer<typeof TaskQueue>;

export const Activity = z.looseObject({ sid: str, friendly_name: optStr, available: z.boolean().nullish() });
export type Activity = z.infer<typeof Activity>;

/** `event_date_ms` is int64 in the spec; accepted as a number or numeric string. */
export const TaskRouterEvent = z.looseObject({
  sid: str,
  event_type: str,
  event_date: optStr,
  event_date_ms: z.union([z.number(), z.string()]).nullish(),
  resource_type: optStr,
  resource_sid: optStr,
  event_data: z.record(z.string(), z.unknown()).nullish(),
});
export type TaskRouterEvent = z.infer<typeof TaskRouterEvent>;

export const Task = z.looseObject({
  sid: str,
  attributes: optStr,
  assignment_status: optStr,
  task_channel_unique_name: optStr,
  task_queue_sid: optStr,
  task_queue_friendly_name: optStr,
  date_created: optStr,
  date_updated: optStr,
});
export type Task = z.infer<typeof Task>;

export const Conversation = z.looseObject({
  sid: str,
  chat_service_sid: optStr,
  state: optStr,
  attributes: optStr,
  date_created: optStr,
  date_updated: optStr,
  timers: z.looseObject({ date_closed: optStr, date_inactive: optStr }).nullish(),
});
export type Conversation = z.infer<typeof Conversation>;

export const Participant = z.looseObject({
  sid: str,
  identity: optStr,
  messaging_binding: z.looseObject({ type: optStr, address: optStr }).nullish(),
});
export type Participant = z.infer<typeof Participant>;

export const Message = z.looseObject({
  sid: str,
  index: z.number().nullish(),
  author: optStr,
  body: optStr,
  participant_sid: optStr,
  date_created: optStr,
});
export type Message = z.infer<typeof Message>;
