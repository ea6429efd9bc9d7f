/**
 * Writes world rows with prepared statements. Event rows follow the TaskRouter Events API: `event_data` is a JSON
 * object with snake_case keys whose values are strings, like the spec's example (`"worker_time_in_previous_activity":
 * "26"`, twilio_taskrouter_v1.json); `task_date_created` / `task_queue_entered_date` are ISO-8601 with milliseconds
 * (Twilio changelog 2020-11-05 "Increased timestamp precision in TaskRouter"; the Event Streams examples agree).
 *
 * Events are buffered briefly and written in (event_date_ms, emission) order, so `seq` follows event time.
 */
import type Database from 'better-sqlite3';
import type { SidFactory } from './ids.js';
import type { QueueDef, TaskChannelName, WorldRefs } from './setup.js';
import type { ActivityName } from './workers.js';

export type ActorType = 'account' | 'workflow' | 'worker' | 'workspace';

/** What an event needs to know about a task at the time of the event. */
export interface TaskView {
  sid: string;
  attributes: string;
  createdMs: number;
  channelName: TaskChannelName;
  queue: QueueDef;
  queueEnteredMs: number;
  workflowSid: string;
  workflowName: string;
  status: string;
  priority: number;
}

export interface WorkerView {
  sid: string;
  name: string;
  attributes: string;
  activity: ActivityName;
}

export interface TaskRow {
  sid: string;
  attributes: string;
  status: string;
  channelName: TaskChannelName;
  queueSid: string;
  workflowSid: string;
  priority: number;
  reason: string | null;
  /** The Task's `timeout` (TTL) in seconds; 86400 (TaskRouter's default) when absent. */
  timeoutSeconds?: number;
  createdMs: number;
  updatedMs: number;
  queueEnteredMs: number | null;
  endedMs: number | null;
}

const secs = (ms: number): string => String(Math.floor(ms / 1000));
const iso = (ms: number): string => new Date(ms).toISOString();

type Pending = { ms: number; order: number; args: unknown[] };

export class WorldWriter {
  eventCount = 0;
  maxEventMs = 0;
  private pending: Pending[] = [];
  private order = 0;
  private readonly insEvent: Database.Statement;
  private readonly insTask: Database.Statement;
  private readonly insRes: Database.Statement;
  private readonly insConv: Database.Statement;
  private readonly insPart: Database.Statement;
  private readonly insMsg: Database.Statement;
  private readonly updWorker: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly refs: WorldRefs,
    private readonly sids: SidFactory,
  ) {
    this.insEvent = db.prepare(`INSERT INTO events (sid, event_type, event_date_ms, resource_type, resource_sid, actor_type,
      actor_sid, description, task_sid, reservation_sid, worker_sid, task_queue_sid, workflow_sid, task_channel, event_data)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
    this.insTask = db.prepare(`INSERT INTO tasks (sid, attributes, assignment_status, task_channel_unique_name, task_queue_sid,
      workflow_sid, priority, reason, timeout, date_created_ms, date_updated_ms, task_queue_entered_ms, ended_ms)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`);
    this.insRes = db.prepare(`INSERT INTO reservations (sid, task_sid, worker_sid, reservation_status, date_created_ms,
      date_updated_ms) VALUES (?,?,?,?,?,?)`);
    this.insConv = db.prepare(`INSERT INTO conversations (sid, chat_service_sid, messaging_service_sid, friendly_name,
      unique_name, attributes, state, date_created_ms, date_updated_ms, date_inactive_ms, date_closed_ms)
      VALUES (?,?,?,?,NULL,?,?,?,?,NULL,?)`);
    this.insPart = db.prepare(`INSERT INTO participants (sid, conversation_sid, identity, messaging_binding, attributes,
      role_sid, date_created_ms, date_updated_ms) VALUES (?,?,?,?,'{}',NULL,?,?)`);
    this.insMsg = db.prepare(`INSERT INTO messages (sid, conversation_sid, idx, author, body, participant_sid, attributes,
      date_created_ms) VALUES (?,?,?,?,?,?,'{}',?)`);
    this.updWorker = db.prepare('UPDATE workers SET activity_sid = ?, date_updated_ms = ?, date_status_changed_ms = ? WHERE sid = ?');
  }

  private actorSid(type: ActorType, workflowSid: string, workerSid?: string): string {
    if (type === 'account') return this.refs.accountSid;
    if (type === 'workflow') return workflowSid;
    if (type === 'worker' && workerSid !== undefined) return workerSid;
    return this.refs.workspaceSid;
  }

  private taskData(task: TaskView, ms: number): Record<string, string> {
    return {
      task_sid: task.sid,
      task_attributes: task.attributes,
      task_age: secs(ms - task.createdMs),
      task_priority: String(task.priority),
      task_assignment_status: task.status,
      task_channel_sid: this.refs.channels[task.channelName],
      task_channel_unique_name: task.channelName,
      task_queue_sid: task.queue.sid,
      task_queue_name: task.queue.name,
      task_queue_entered_date: iso(task.queueEnteredMs),
      task_date_created: iso(task.createdMs),
      workflow_sid: task.workflowSid,
      workflow_name: task.workflowName,
      workspace_sid: this.refs.workspaceSid,
      workspace_name: this.refs.workspaceName,
    };
  }

  private put(type: string, ms: number, resourceType: string, resourceSid: string, actorType: ActorType, actorSid: string,
    description: string, cols: [string | null, string | null, string | null, string | null, string | null, string | null],
    data: Record<string, string>): void {
    this.pending.push({ ms, order: this.order++, args: [type, ms, resourceType, resourceSid, actorType, actorSid, description, ...cols, JSON.stringify(data)] });
    this.eventCount++;
    if (ms > this.maxEventMs) this.maxEventMs = ms;
  }

  /** Writes buffered events dated before `beforeMs` (all of them without an argument), in time order. */
  flush(beforeMs = Infinity): void {
    if (this.pending.length === 0) return;
    this.pending.sort((a, b) => a.ms - b.ms || a.order - b.order);
    let n = 0;
    for (const p of this.pending) {
      if (p.ms >= beforeMs) break;
      this.insEvent.run(this.sids.next('EV'), ...p.args);
      n++;
    }
    this.pending.splice(0, n);
  }

  taskEvent(type: string, task: TaskView, ms: number, actor: ActorType, description: string,
    extra: { canceledReason?: string; completedReason?: string; worker?: string } = {}): void {
    const data = this.taskData(task, ms);
    if (extra.canceledReason !== undefined) data.task_canceled_reason = extra.canceledReason;
    if (extra.completedReason !== undefined) data.task_completed_reason = extra.completedReason;
    const resourceType = type.startsWith('task-queue') ? 'taskqueue' : 'task';
    const resourceSid = resourceType === 'taskqueue' ? task.queue.sid : task.sid;
    this.put(type, ms, resourceType, resourceSid, actor, this.actorSid(actor, task.workflowSid, extra.worker), description,
      [task.sid, null, extra.worker ?? null, task.queue.sid, task.workflowSid, task.channelName], data);
  }

  reservationEvent(type: string, task: TaskView, reservationSid: string, worker: WorkerView, ms: number, actor: ActorType, description: string): void {
    const data = this.taskData(task, ms);
    data.reservation_sid = reservationSid;
    data.worker_sid = worker.sid;
    data.worker_name = worker.name;
    data.worker_attributes = worker.attributes;
    data.worker_activity_sid = this.refs.activities[worker.activity];
    data.worker_activity_name = worker.activity;
    this.put(type, ms, 'reservation', reservationSid, actor, this.actorSid(actor, task.workflowSid, worker.sid), description,
      [task.sid, reservationSid, worker.sid, task.queue.sid, task.workflowSid, task.channelName], data);
  }

  workerActivity(worker: WorkerView, prev: ActivityName, prevSinceMs: number, ms: number): void {
    const inPrev = ms - prevSinceMs;
    const data = {
      worker_sid: worker.sid,
      worker_name: worker.name,
      worker_activity_sid: this.refs.activities[worker.activity],
      worker_activity_name: worker.activity,
      worker_previous_activity_sid: this.refs.activities[prev],
      worker_previous_activity_name: prev,
      worker_time_in_previous_activity: secs(inPrev),
      worker_time_in_previous_activity_ms: String(inPrev),
      worker_attributes: worker.attributes,
      workspace_sid: this.refs.workspaceSid,
      workspace_name: this.refs.workspaceName,
    };
    this.put('worker.activity.update', ms, 'worker', worker.sid, 'worker', worker.sid,
      `Worker ${worker.name} updated to ${worker.activity} Activity`, [null, null, worker.sid, null, null, null], data);
  }

  /** The worker row's final activity (once, at the end of a run). */
  workerState(sid: string, activity: ActivityName, sinceMs: number): void {
    this.updWorker.run(this.refs.activities[activity], sinceMs, sinceMs, sid);
  }

  task(r: TaskRow): void {
    this.insTask.run(r.sid, r.attributes, r.status, r.channelName, r.queueSid, r.workflowSid, r.priority, r.reason,
      r.timeoutSeconds ?? 86_400, r.createdMs, r.updatedMs, r.queueEnteredMs, r.endedMs);
  }

  reservation(sid: string, taskSid: string, workerSid: string, status: string, createdMs: number, updatedMs: number): void {
    this.insRes.run(sid, taskSid, workerSid, status, createdMs, updatedMs);
  }

  conversation(sid: string, messaging: boolean, friendlyName: string, state: string, createdMs: number, updatedMs: number, closedMs: number | null): void {
    this.insConv.run(sid, this.refs.chatServiceSid, messaging ? this.refs.messagingServiceSid : null, friendlyName, '{}', state,
      createdMs, updatedMs, closedMs);
  }

  participant(sid: string, conversationSid: string, identity: string | null, binding: string | null, createdMs: number): void {
    this.insPart.run(sid, conversationSid, identity, binding, createdMs, createdMs);
  }

  message(sid: string, conversationSid: string, idx: number, author: string, body: string, participantSid: string, ms: number): void {
    this.insMsg.run(sid, conversationSid, idx, author, body, participantSid, ms);
  }
}
