import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { hexFrom, mulberry32 } from '../../common/random.js';
import { WORLD_DDL } from '../../world/schema.js';

/**
 * A small hand-built world for the Twilio emulator's own tests (the generator fills real worlds).
 * Times are relative to `nowMs`; every task has the TaskRouter events a real one would have.
 */
export interface FixtureWorld {
  db: Db;
  accountSid: string;
  workspaceSid: string;
  chatServiceSid: string;
  flexFlowSid: string;
  queues: { everyone: string; sales: string };
  workers: string[];
  activities: { offline: string; available: string; busy: string };
  /** Completed tasks, oldest first. */
  completed: string[];
  canceled: string[];
  /** Open (assigned) tasks. */
  open: string[];
  /** Created 2 min ago, accepted 1 min ago, completes 5 min after now. */
  inFlight: string;
  /** Conversations (one per chat task), oldest first. */
  conversations: string[];
  /** A task whose events are 31 days old (beyond retention). */
  ancient: string;
  /** A task whose events are 35 days old but within a widened retention (redaction tests). */
  old: string;
}

export interface FixtureOptions {
  nowMs: number;
  seed?: number;
  /** Completed tasks created one per minute before now (default 30). */
  tasks?: number;
}

const MIN = 60_000;

export function createFixtureWorld(opts: FixtureOptions): FixtureWorld {
  const rand = mulberry32(opts.seed ?? 7);
  const sid = (p: string): string => p + hexFrom(rand);
  const db = new Database(':memory:');
  db.exec(WORLD_DDL);
  const now = opts.nowMs;
  const accountSid = sid('AC');
  const workspaceSid = sid('WS');
  const chatServiceSid = sid('IS');
  const flexFlowSid = sid('FO');
  const workflowSid = sid('WW');
  const meta: Record<string, string> = {
    account_sid: accountSid,
    workspace_sid: workspaceSid,
    workspace_name: 'Flex Task Assignment',
    chat_service_sid: chatServiceSid,
    flex_flow_sid: flexFlowSid,
    flex_instance_sid: sid('GO'),
    messaging_service_sid: sid('MG'),
    workflow_sid: workflowSid,
  };
  for (const [k, v] of Object.entries(meta)) db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(k, v);
  const t0 = now - 60 * 86_400_000;
  const activities = { offline: sid('WA'), available: sid('WA'), busy: sid('WA') };
  for (const [name, s, avail] of [['Offline', activities.offline, 0], ['Available', activities.available, 1], ['Unavailable', activities.busy, 0]] as const) {
    db.prepare('INSERT INTO activities VALUES (?, ?, ?, ?)').run(s, name, avail, t0);
  }
  const channels: Record<string, string> = {};
  for (const name of ['default', 'voice', 'chat', 'sms']) {
    channels[name] = sid('TC');
    db.prepare('INSERT INTO task_channels VALUES (?, ?, ?, ?)').run(channels[name], name, name[0]?.toUpperCase() + name.slice(1), t0);
  }
  db.prepare('INSERT INTO workflows VALUES (?, ?, ?)').run(workflowSid, 'Assign to Anyone', t0);
  const queues = { everyone: sid('WQ'), sales: sid('WQ') };
  db.prepare('INSERT INTO task_queues VALUES (?, ?, ?, ?, ?)').run(queues.everyone, 'Everyone', '1==1', 'FIFO', t0);
  db.prepare('INSERT INTO task_queues VALUES (?, ?, ?, ?, ?)').run(queues.sales, 'Sales', 'routing.skills HAS "sales"', 'FIFO', t0 + 1);
  const workers: string[] = [];
  const names = ['Alice Agent', 'Bob Agent', 'Carol Agent'];
  names.forEach((name, i) => {
    const w = sid('WK');
    workers.push(w);
    const attrs = JSON.stringify({ full_name: name, email: `agent${i}@example.com`, routing: { skills: i === 0 ? ['sales'] : ['support'] } });
    db.prepare('INSERT INTO workers VALUES (?, ?, ?, ?, ?, ?, ?)').run(w, name, attrs, i === 2 ? activities.offline : activities.available, t0, t0, now - 3 * MIN);
  });

  const insertEvent = db.prepare(`INSERT INTO events (sid, event_type, event_date_ms, resource_type, resource_sid, actor_type, actor_sid, description,
    task_sid, reservation_sid, worker_sid, task_queue_sid, workflow_sid, task_channel, event_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertTask = db.prepare('INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertRes = db.prepare('INSERT INTO reservations VALUES (?, ?, ?, ?, ?, ?)');
  const conversations: string[] = [];

  interface TaskPlan { created: number; channel: string; queue: string; worker: string; outcome: 'completed' | 'canceled' | 'open'; acceptedAt?: number; endAt?: number }
  const addTask = (p: TaskPlan, i: number): string => {
    const t = sid('WT');
    const messaging = p.channel === 'chat';
    const conv = messaging ? sid('CH') : null;
    const attrs = JSON.stringify({ from: messaging ? `+1415555${String(1000 + i)}` : `+1212555${String(1000 + i)}`, name: `Customer ${i}`, channelType: messaging ? 'sms' : 'voice', ...(conv ? { conversationSid: conv } : {}) });
    const accepted = p.acceptedAt ?? p.created + 20_000;
    const end = p.endAt ?? p.created + 4 * MIN;
    const status = p.outcome === 'open' ? 'assigned' : p.outcome;
    const ended = p.outcome === 'open' ? null : end;
    const updated = p.outcome === 'open' ? accepted : end;
    insertTask.run(t, attrs, status, p.channel, p.queue, workflowSid, 0, p.outcome === 'completed' ? 'Task completed' : p.outcome === 'canceled' ? 'Task canceled' : null, 86400, p.created, updated, p.created, ended);
    const data = (extra: Record<string, unknown>): string =>
      JSON.stringify({ task_sid: t, task_attributes: attrs, task_queue_sid: p.queue, task_channel_unique_name: p.channel, workflow_sid: workflowSid, workspace_sid: workspaceSid, ...extra });
    const ev = (type: string, at: number, resType: string, resSid: string, extra: Record<string, unknown> = {}, res: string | null = null, worker: string | null = null): void => {
      insertEvent.run(sid('EV'), type, at, resType, resSid, 'workspace', workspaceSid, `${type} for ${resSid}`, t, res, worker, p.queue, workflowSid, p.channel, data(extra));
    };
    ev('task.created', p.created, 'task', t);
    ev('task-queue.entered', p.created + 1, 'task', t);
    if (p.outcome === 'canceled') {
      ev('task.canceled', end, 'task', t, { task_canceled_reason: 'abandoned' });
    } else {
      const r = sid('WR');
      insertRes.run(r, t, p.worker, p.outcome === 'open' ? 'accepted' : 'completed', p.created + 10_000, p.outcome === 'open' ? accepted : end);
      ev('reservation.created', p.created + 10_000, 'reservation', r, { worker_sid: p.worker }, r, p.worker);
      ev('reservation.accepted', accepted, 'reservation', r, { worker_sid: p.worker }, r, p.worker);
      if (p.outcome === 'completed') {
        ev('task.wrapup', end - 30_000, 'task', t);
        ev('task.completed', end, 'task', t, { task_completed_reason: 'done' });
        ev('reservation.completed', end, 'reservation', r, { worker_sid: p.worker }, r, p.worker);
      }
    }
    if (conv) {
      conversations.push(conv);
      const closed = p.outcome === 'open' ? null : end;
      db.prepare('INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        conv, chatServiceSid, meta.messaging_service_sid, `Chat ${i}`, null, JSON.stringify({ task_sid: t }), closed === null ? 'active' : 'closed', p.created - 5000, closed ?? p.created, null, closed);
      const cust = sid('MB');
      const agent = sid('MB');
      db.prepare('INSERT INTO participants VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(cust, conv, null, JSON.stringify({ type: 'sms', address: `+1415555${String(1000 + i)}`, proxy_address: '+15005550006' }), '{}', null, p.created - 5000, p.created - 5000);
      db.prepare('INSERT INTO participants VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(agent, conv, `agent${i % 3}`, null, '{}', null, accepted, accepted);
      const msgs: [string, string | null, string, number][] = [
        [`+1415555${String(1000 + i)}`, cust, 'Hello, I need help', p.created - 4000],
        [`agent${i % 3}`, agent, 'Hi! How can I help?', accepted + 1000],
        [`+1415555${String(1000 + i)}`, cust, i % 5 === 0 ? 'STOP' : 'Thanks', accepted + 2000],
      ];
      msgs.forEach(([author, part, body, at], idx) => {
        db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(sid('IM'), conv, idx, author, body, part, '{}', at);
      });
    }
    return t;
  };

  const completed: string[] = [];
  const canceled: string[] = [];
  const open: string[] = [];
  const n = opts.tasks ?? 30;
  const queueList = [queues.everyone, queues.sales];
  for (let i = 0; i < n; i++) {
    const created = now - (n - i) * MIN - 10 * MIN;
    const outcome = i % 7 === 3 ? 'canceled' : 'completed';
    const t = addTask({ created, channel: i % 2 ? 'chat' : 'voice', queue: queueList[i % 2] ?? queues.everyone, worker: workers[i % 2] ?? '', outcome }, i);
    (outcome === 'canceled' ? canceled : completed).push(t);
  }
  for (let i = 0; i < 2; i++) {
    open.push(addTask({ created: now - (5 + i) * MIN, channel: 'voice', queue: queues.everyone, worker: workers[i] ?? '', outcome: 'open' }, 100 + i));
  }
  const inFlight = addTask(
    { created: now - 2 * MIN, acceptedAt: now - MIN, endAt: now + 5 * MIN, channel: 'chat', queue: queues.everyone, worker: workers[0] ?? '', outcome: 'completed' },
    200,
  );
  const ancient = addTask({ created: now - 31 * 86_400_000, channel: 'voice', queue: queues.everyone, worker: workers[1] ?? '', outcome: 'completed' }, 300);
  const old = addTask({ created: now - 35 * 86_400_000, channel: 'voice', queue: queues.everyone, worker: workers[1] ?? '', outcome: 'completed' }, 301);
  return { db, accountSid, workspaceSid, chatServiceSid, flexFlowSid, queues, workers, activities, completed, canceled, open, inFlight, conversations, ancient, old };
}
