/** The static part of the world: meta (credentials, SIDs), activities, task channels, workflows, queues, workers. */
import type Database from 'better-sqlite3';
import type { WorldMetaKey } from '../world/schema.js';
import { Rng } from './ids.js';
import type { SidFactory } from './ids.js';
import type { Scale } from './scales.js';
import { QUEUE_NAMES } from './scales.js';
import type { ActivityName, WorkerDef } from './workers.js';
import { ACTIVITIES, makeWorkers } from './workers.js';

export type TaskChannelName = 'voice' | 'chat' | 'sms' | 'default';

export interface QueueDef {
  sid: string;
  name: string;
}

export interface WorldRefs {
  accountSid: string;
  workspaceSid: string;
  workspaceName: string;
  workflowSid: string;
  workflowName: string;
  surveyWorkflowSid: string;
  surveyWorkflowName: string;
  chatServiceSid: string;
  messagingServiceSid: string;
  channels: Record<TaskChannelName, string>;
  activities: Record<ActivityName, string>;
  queues: QueueDef[];
  surveyQueue: QueueDef;
  workers: WorkerDef[];
}

/** Company numbers customers write to / call (the Conversations `proxy_address`). */
export const COMPANY_NUMBER = '+12065550123';

export function createStaticWorld(
  db: Database.Database,
  p: { seed: number; scale: Scale; nowMs: number; queues: number; agents: number; sids: SidFactory },
): WorldRefs {
  const { seed, sids } = p;
  const rng = Rng.derive(seed, 'meta');
  const created = p.nowMs - 400 * 86_400_000;
  const workspaceName = 'Tajo Demo Contact Center';
  const refs: Omit<WorldRefs, 'workers' | 'queues' | 'surveyQueue' | 'channels' | 'activities'> = {
    accountSid: sids.next('AC'),
    workspaceSid: sids.next('WS'),
    workspaceName,
    workflowSid: sids.next('WW'),
    workflowName: 'Assign to Anyone',
    surveyWorkflowSid: sids.next('WW'),
    surveyWorkflowName: 'Post-Interaction Survey',
    chatServiceSid: sids.next('IS'),
    messagingServiceSid: sids.next('MG'),
  };
  const meta: Record<WorldMetaKey, string> = {
    account_sid: refs.accountSid,
    auth_token: rng.hex(32),
    api_key_sid: sids.next('SK'),
    api_key_secret: rng.alnum(32),
    flex_flow_sid: sids.next('FO'),
    workspace_sid: refs.workspaceSid,
    workspace_name: workspaceName,
    chat_service_sid: refs.chatServiceSid,
    flex_instance_sid: sids.next('GO'),
    messaging_service_sid: refs.messagingServiceSid,
    workflow_sid: refs.workflowSid,
    seed: String(seed),
    scale: p.scale,
    now_ms: String(p.nowMs),
    brevo_api_key: `xkeysib-${rng.hex(64)}-${rng.alnum(16)}`,
  };
  const insMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  for (const [k, v] of Object.entries(meta)) insMeta.run(k, v);

  const activities = {} as Record<ActivityName, string>;
  const insAct = db.prepare('INSERT INTO activities (sid, friendly_name, available, date_created_ms) VALUES (?,?,?,?)');
  for (const a of ACTIVITIES) {
    activities[a.name] = sids.next('WA');
    insAct.run(activities[a.name], a.name, a.available ? 1 : 0, created);
  }

  const channels = {} as Record<TaskChannelName, string>;
  const insCh = db.prepare('INSERT INTO task_channels (sid, unique_name, friendly_name, date_created_ms) VALUES (?,?,?,?)');
  for (const [unique, friendly] of [['voice', 'Voice'], ['chat', 'Programmable Chat'], ['sms', 'SMS'], ['default', 'Default']] as const) {
    channels[unique] = sids.next('TC');
    insCh.run(channels[unique], unique, friendly, created);
  }

  const insWf = db.prepare('INSERT INTO workflows (sid, friendly_name, date_created_ms) VALUES (?,?,?)');
  insWf.run(refs.workflowSid, refs.workflowName, created);
  insWf.run(refs.surveyWorkflowSid, refs.surveyWorkflowName, created);

  const insQ = db.prepare('INSERT INTO task_queues (sid, friendly_name, target_workers, task_order, date_created_ms) VALUES (?,?,?,?,?)');
  const queues: QueueDef[] = [];
  const skills: string[] = [];
  for (const name of QUEUE_NAMES.slice(0, p.queues)) {
    const q = { sid: sids.next('WQ'), name };
    const skill = name.toLowerCase().replace(/ /g, '_');
    skills.push(skill);
    insQ.run(q.sid, name, `routing.skills HAS '${skill}'`, 'FIFO', created);
    queues.push(q);
  }
  const surveyQueue = { sid: sids.next('WQ'), name: 'Surveys' };
  insQ.run(surveyQueue.sid, surveyQueue.name, '1 == 2', 'FIFO', created);

  const workers = makeWorkers(seed, p.agents, sids, skills);
  const insW = db.prepare(`INSERT INTO workers (sid, friendly_name, attributes, activity_sid, date_created_ms,
    date_updated_ms, date_status_changed_ms) VALUES (?,?,?,?,?,?,?)`);
  const insGw = db.prepare('INSERT INTO gen_workers (sid, idx, data, activity, since_ms) VALUES (?,?,?,?,?)');
  for (const w of workers) {
    insW.run(w.sid, w.name, w.attributes, activities.Offline, created, created, created);
    insGw.run(w.sid, w.idx, JSON.stringify(w), 'Offline', created);
  }
  return { ...refs, channels, activities, queues, surveyQueue, workers };
}
