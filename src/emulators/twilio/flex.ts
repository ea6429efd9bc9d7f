import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isoSeconds } from '../common/clock.js';
import { productBase, selfPath, type Env } from './env.js';
import { HttpError } from './errors.js';
import { route, type FormBody, type RouteTable } from './gate.js';
import { envelope, keysetPage, parsePaging, queryOf } from './paging.js';

export const newSid = (prefix: string): string => prefix + randomBytes(16).toString('hex');

const FLEX_MAX_PAGE = 1000;

interface ChannelRow { sid: string; flex_flow_sid: string; user_sid: string; task_sid: string | null; date_created_ms: number; date_updated_ms: number; [k: string]: unknown }
interface InteractionRow { sid: string; channel: string; routing: string; interaction_context_sid: string | null; webhook_ttid: string | null }

export function formOf(req: FastifyRequest): FormBody {
  const b = req.body;
  return b && typeof b === 'object' ? (b as FormBody) : {};
}

export function str(form: FormBody, key: string): string | undefined {
  const v = form[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Missing required form parameters → 400 (20001), with Twilio's wording. */
export function required(form: FormBody, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = str(form, k);
    if (v === undefined || v === '') throw new HttpError(400, 20001, `Missing required parameter ${k} in the post body`);
    out[k] = v;
  }
  return out;
}

function parseJsonParam(name: string, raw: string | undefined): unknown {
  if (raw === undefined || raw === '') return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, 20001, `Invalid JSON in parameter ${name}`);
  }
}

function configuration(env: Env, req: FastifyRequest): Record<string, unknown> {
  const db = env.db;
  const queues = db.prepare('SELECT sid FROM task_queues ORDER BY date_created_ms, sid').all() as { sid: string }[];
  const offline = db.prepare("SELECT sid FROM activities WHERE available = 0 ORDER BY (friendly_name = 'Offline') DESC, date_created_ms LIMIT 1").get() as
    | { sid: string }
    | undefined;
  const created = (db.prepare('SELECT MIN(date_created_ms) AS m FROM activities').get() as { m: number | null }).m ?? env.clock.startMs;
  const i = env.info;
  return {
    account_sid: i.accountSid,
    date_created: isoSeconds(created),
    date_updated: isoSeconds(created),
    attributes: {},
    status: 'ok',
    taskrouter_workspace_sid: i.workspaceSid,
    taskrouter_target_workflow_sid: i.workflowSid,
    taskrouter_target_taskqueue_sid: queues[0]?.sid ?? null,
    taskrouter_taskqueues: queues.map((q) => ({ sid: q.sid, targettable: true })),
    taskrouter_skills: [],
    taskrouter_worker_channels: {},
    taskrouter_worker_attributes: {},
    taskrouter_offline_activity_sid: offline?.sid ?? null,
    runtime_domain: null,
    messaging_service_instance_sid: i.messagingServiceSid,
    chat_service_instance_sid: i.chatServiceSid,
    flex_service_instance_sid: i.chatServiceSid,
    flex_instance_sid: i.flexInstanceSid,
    ui_language: 'en',
    ui_attributes: {},
    ui_dependencies: {},
    ui_version: '2.0',
    service_version: '1.0',
    call_recording_enabled: false,
    call_recording_webhook_url: null,
    crm_enabled: false,
    crm_type: null,
    crm_callback_url: null,
    crm_fallback_url: null,
    crm_attributes: {},
    public_attributes: {},
    plugin_service_enabled: false,
    plugin_service_attributes: {},
    integrations: [],
    outbound_call_flows: {},
    serverless_service_sids: [],
    queue_stats_configuration: {},
    notifications: {},
    markdown: {},
    url: `${productBase(req, 'flex')}/v1/Configuration`,
    flex_insights_hr: {},
    flex_insights_drilldown: false,
    flex_url: null,
    channel_configs: [],
    debugger_integration: {},
    flex_ui_status_report: {},
    agent_conv_end_methods: {},
    citrix_voice_vdi: {},
    offline_config: {},
  };
}

export function registerFlex(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  const base = (req: FastifyRequest): string => `${productBase(req, 'flex')}/v1`;

  route(scope, routes, 'GET', '/v1/Configuration', (req) => configuration(env, req));

  const renderChannel = (r: ChannelRow, b: string, web: boolean): Record<string, unknown> => ({
    account_sid: env.info.accountSid,
    flex_flow_sid: r.flex_flow_sid,
    sid: r.sid,
    ...(web ? {} : { user_sid: r.user_sid, task_sid: r.task_sid }),
    url: `${b}/${web ? 'WebChannels' : 'Channels'}/${r.sid}`,
    date_created: isoSeconds(r.date_created_ms),
    date_updated: isoSeconds(r.date_updated_ms),
  });

  for (const web of [false, true]) {
    const path = web ? '/v1/WebChannels' : '/v1/Channels';
    // Both lists use the key `flex_chat_channels` (docs/twilio.md §0.5).
    route(scope, routes, 'GET', path, (req) => {
      const q = queryOf(req);
      const page = parsePaging(q, FLEX_MAX_PAGE);
      const res = keysetPage<ChannelRow>(
        env.db,
        {
          select: 'SELECT * FROM flex_channels',
          where: ['date_created_ms <= ?'],
          params: [env.clock.nowMs()],
          order: [
            { expr: 'date_created_ms', key: 'date_created_ms', dir: 'asc' },
            { expr: 'sid', key: 'sid', dir: 'asc' },
          ],
        },
        page,
      );
      const b = base(req);
      return envelope('flex_chat_channels', res.rows.map((r) => renderChannel(r, b, web)), selfPath(req), q, page, res);
    });
    route(scope, routes, 'POST', path, (req, reply: FastifyReply) => {
      const form = formOf(req);
      const p = required(form, web ? ['FlexFlowSid', 'Identity', 'CustomerFriendlyName', 'ChatFriendlyName'] : ['FlexFlowSid', 'Identity', 'ChatUserFriendlyName', 'ChatFriendlyName']);
      if (!/^FO[0-9a-fA-F]{32}$/.test(p.FlexFlowSid ?? '')) throw new HttpError(400, 20001, 'Invalid FlexFlowSid');
      if (p.FlexFlowSid !== env.info.flexFlowSid) throw new HttpError(404, 20404, `The requested resource /FlexFlows/${p.FlexFlowSid ?? ''} was not found`);
      const taskSid = str(form, 'TaskSid') ?? null;
      if (taskSid !== null && !/^WT[0-9a-fA-F]{32}$/.test(taskSid)) throw new HttpError(400, 20001, 'Invalid TaskSid');
      const nowMs = env.clock.nowMs();
      const row: ChannelRow = {
        sid: newSid('CH'),
        flex_flow_sid: p.FlexFlowSid ?? '',
        user_sid: newSid('US'),
        task_sid: web ? null : taskSid,
        date_created_ms: nowMs,
        date_updated_ms: nowMs,
      };
      env.db
        .prepare('INSERT INTO flex_channels (sid, flex_flow_sid, user_sid, task_sid, date_created_ms, date_updated_ms) VALUES (?, ?, ?, ?, ?, ?)')
        .run(row.sid, row.flex_flow_sid, row.user_sid, row.task_sid, row.date_created_ms, row.date_updated_ms);
      return reply.code(201).send(renderChannel(row, base(req), web));
    });
    route(scope, routes, 'GET', `${path}/:Sid`, (req) => {
      const sid = (req.params as Record<string, string>).Sid;
      const row = env.db.prepare('SELECT * FROM flex_channels WHERE sid = ? AND date_created_ms <= ?').get(sid, env.clock.nowMs()) as ChannelRow | undefined;
      if (!row) throw new HttpError(404, 20404, `The requested resource ${path}/${sid ?? ''} was not found`);
      return renderChannel(row, base(req), web);
    });
  }

  const renderInteraction = (r: InteractionRow, b: string): Record<string, unknown> => ({
    sid: r.sid,
    channel: parseJsonParam('Channel', r.channel),
    routing: parseJsonParam('Routing', r.routing),
    url: `${b}/Interactions/${r.sid}`,
    links: { channels: `${b}/Interactions/${r.sid}/Channels` },
    interaction_context_sid: r.interaction_context_sid,
    webhook_ttid: r.webhook_ttid,
  });

  // POST /v1/Interactions answers 200 per the spec (its only documented response). There is no list (GET → 405).
  route(scope, routes, 'POST', '/v1/Interactions', (req) => {
    const form = formOf(req);
    const p = required(form, ['Channel']);
    // Channel and Routing are JSON objects (spec descriptions); an array, a string or a number is refused.
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    const channel = parseJsonParam('Channel', p.Channel);
    if (!isObject(channel)) throw new HttpError(400, 20001, 'Invalid JSON in parameter Channel');
    const routing = parseJsonParam('Routing', str(form, 'Routing')) ?? {};
    if (!isObject(routing)) throw new HttpError(400, 20001, 'Invalid JSON in parameter Routing');
    const ctx = str(form, 'InteractionContextSid') ?? null;
    if (ctx !== null && !/^HQ[0-9a-fA-F]{32}$/.test(ctx)) throw new HttpError(400, 20001, 'Invalid InteractionContextSid');
    const row: InteractionRow = {
      sid: newSid('KD'),
      channel: JSON.stringify({ ...channel, sid: newSid('UO') }),
      routing: JSON.stringify(routing),
      interaction_context_sid: ctx,
      webhook_ttid: str(form, 'WebhookTtid') ?? null,
    };
    env.db
      .prepare('INSERT INTO interactions (sid, channel, routing, interaction_context_sid, webhook_ttid) VALUES (?, ?, ?, ?, ?)')
      .run(row.sid, row.channel, row.routing, row.interaction_context_sid, row.webhook_ttid);
    return renderInteraction(row, base(req));
  });

  const findInteraction = (req: FastifyRequest): InteractionRow => {
    const sid = (req.params as Record<string, string>).Sid;
    const row = env.db.prepare('SELECT * FROM interactions WHERE sid = ?').get(sid) as InteractionRow | undefined;
    if (!row) throw new HttpError(404, 20404, `The requested resource /v1/Interactions/${sid ?? ''} was not found`);
    return row;
  };

  route(scope, routes, 'GET', '/v1/Interactions/:Sid', (req) => renderInteraction(findInteraction(req), base(req)));

  // UpdateInteraction: the spec's only updatable parameter is WebhookTtid; 200 with the interaction.
  route(scope, routes, 'POST', '/v1/Interactions/:Sid', (req) => {
    const row = findInteraction(req);
    const ttid = str(formOf(req), 'WebhookTtid');
    if (ttid !== undefined) {
      env.db.prepare('UPDATE interactions SET webhook_ttid = ? WHERE sid = ?').run(ttid, row.sid);
      row.webhook_ttid = ttid;
    }
    return renderInteraction(row, base(req));
  });
}
