import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isoSeconds } from '../common/clock.js';
import { productBase, type Env } from './env.js';
import { HttpError } from './errors.js';
import { route, type RouteTable } from './gate.js';
import { queryOf } from './paging.js';
import { listResponse, params, parseDateParam } from './taskrouter/common.js';

/** Conversations, Messages and Participants allow at most 100 per page (spec `maximum`). */
const CONV_MAX_PAGE = 100;

interface ConvRow {
  sid: string; chat_service_sid: string; messaging_service_sid: string | null; friendly_name: string | null; unique_name: string | null;
  attributes: string; state: string; eff_state: string; eff_updated_ms: number; date_created_ms: number; date_inactive_ms: number | null; date_closed_ms: number | null;
  [k: string]: unknown;
}
interface MsgRow { sid: string; conversation_sid: string; idx: number; author: string; body: string | null; participant_sid: string | null; attributes: string; date_created_ms: number; [k: string]: unknown }
interface PartRow { sid: string; conversation_sid: string; identity: string | null; messaging_binding: string | null; attributes: string; role_sid: string | null; date_created_ms: number; date_updated_ms: number; [k: string]: unknown }

const n = (x: number): string => String(Math.floor(x));

/** State and date_updated as of now (a conversation the world closes in an hour is still active). */
function effState(now: number): string {
  return `(CASE WHEN c.date_closed_ms IS NOT NULL AND c.date_closed_ms <= ${n(now)} THEN 'closed'
          WHEN c.date_inactive_ms IS NOT NULL AND c.date_inactive_ms <= ${n(now)} THEN 'inactive'
          WHEN c.state IN ('closed', 'inactive') AND c.date_updated_ms > ${n(now)} THEN 'active'
          ELSE c.state END)`;
}

function convSelect(now: number): string {
  return `SELECT c.*, ${effState(now)} AS eff_state,
    (CASE WHEN c.date_updated_ms <= ${n(now)} THEN c.date_updated_ms
          ELSE max(COALESCE((SELECT MAX(m.date_created_ms) FROM messages m WHERE m.conversation_sid = c.sid AND m.date_created_ms <= ${n(now)}), c.date_created_ms),
                   CASE WHEN c.date_inactive_ms <= ${n(now)} THEN c.date_inactive_ms ELSE 0 END) END) AS eff_updated_ms
    FROM conversations c`;
}

const parseJson = (s: string | null): unknown => {
  if (s === null) return null;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return null;
  }
};

export function registerConversations(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  /** Base of a conversation URL, default (`/v1/Conversations`) or service-scoped (`/v1/Services/IS…/Conversations`). */
  const convBase = (req: FastifyRequest, service: boolean): string =>
    `${productBase(req, 'conversations')}/v1${service ? `/Services/${env.info.chatServiceSid}` : ''}/Conversations`;

  const renderConv = (r: ConvRow, b: string): Record<string, unknown> => {
    const url = `${b}/${r.sid}`;
    const timers: Record<string, string> = {};
    if (r.date_inactive_ms !== null) timers.date_inactive = isoSeconds(r.date_inactive_ms);
    if (r.date_closed_ms !== null) timers.date_closed = isoSeconds(r.date_closed_ms);
    return {
      account_sid: env.info.accountSid,
      chat_service_sid: r.chat_service_sid,
      messaging_service_sid: r.messaging_service_sid,
      sid: r.sid,
      friendly_name: r.friendly_name,
      unique_name: r.unique_name,
      attributes: r.attributes || '{}',
      state: r.eff_state,
      date_created: isoSeconds(r.date_created_ms),
      date_updated: isoSeconds(r.eff_updated_ms),
      timers,
      bindings: {},
      url,
      links: { participants: `${url}/Participants`, messages: `${url}/Messages`, webhooks: `${url}/Webhooks`, export: `${url}/Export` },
    };
  };

  const renderMsg = (r: MsgRow, b: string, service: boolean): Record<string, unknown> => {
    const url = `${b}/${r.conversation_sid}/Messages/${r.sid}`;
    return {
      account_sid: env.info.accountSid,
      ...(service ? { chat_service_sid: env.info.chatServiceSid } : {}),
      conversation_sid: r.conversation_sid,
      sid: r.sid,
      index: r.idx,
      author: r.author,
      body: r.body,
      media: null,
      attributes: r.attributes || '{}',
      participant_sid: r.participant_sid,
      date_created: isoSeconds(r.date_created_ms),
      date_updated: isoSeconds(r.date_created_ms),
      delivery: null,
      content_sid: null,
      url,
      links: { delivery_receipts: `${url}/Receipts`, channel_metadata: `${url}/ChannelMetadata` },
    };
  };

  const renderPart = (r: PartRow, b: string, service: boolean): Record<string, unknown> => ({
    account_sid: env.info.accountSid,
    ...(service ? { chat_service_sid: env.info.chatServiceSid } : {}),
    conversation_sid: r.conversation_sid,
    sid: r.sid,
    identity: r.identity,
    attributes: r.attributes || '{}',
    messaging_binding: parseJson(r.messaging_binding),
    role_sid: r.role_sid,
    date_created: isoSeconds(r.date_created_ms),
    date_updated: isoSeconds(Math.min(r.date_updated_ms, env.clock.nowMs())),
    url: `${b}/${r.conversation_sid}/Participants/${r.sid}`,
    last_read_message_index: null,
    last_read_timestamp: null,
  });

  const checkService = (req: FastifyRequest, service: boolean): void => {
    if (service && params(req).ChatServiceSid !== env.info.chatServiceSid) {
      throw new HttpError(404, 20404, `The requested resource ${req.url.split('?')[0] ?? ''} was not found`);
    }
  };

  const findConv = (req: FastifyRequest, key: string | undefined, service: boolean): ConvRow => {
    checkService(req, service);
    const now = env.clock.nowMs();
    const row = env.db
      .prepare(`${convSelect(now)} WHERE (c.sid = ? OR c.unique_name = ?) AND c.date_created_ms <= ?${service ? ' AND c.chat_service_sid = ?' : ''}`)
      .get(key, key, now, ...(service ? [env.info.chatServiceSid] : [])) as ConvRow | undefined;
    if (!row) throw new HttpError(404, 20404, `The requested resource ${req.url.split('?')[0] ?? ''} was not found`);
    return row;
  };

  for (const service of [false, true]) {
    const P = service ? '/v1/Services/:ChatServiceSid/Conversations' : '/v1/Conversations';

    route(scope, routes, 'GET', P, (req) => {
      checkService(req, service);
      const q = queryOf(req);
      const now = env.clock.nowMs();
      const where = ['c.date_created_ms <= ?'];
      const p: unknown[] = [now];
      if (service) {
        where.push('c.chat_service_sid = ?');
        p.push(env.info.chatServiceSid);
      }
      const start = parseDateParam('StartDate', q.get('StartDate'));
      const rawEnd = q.get('EndDate');
      // A bare date as EndDate means the whole day ("on or before this date").
      const end = parseDateParam('EndDate', rawEnd === null ? null : /^\d{4}-\d{2}-\d{2}$/.test(rawEnd) ? `${rawEnd}T23:59:59.999Z` : rawEnd);
      if (start !== null) {
        where.push('c.date_created_ms >= ?');
        p.push(start);
      }
      if (end !== null) {
        where.push('c.date_created_ms <= ?');
        p.push(end);
      }
      const state = q.get('State');
      if (state) {
        if (!['active', 'inactive', 'closed'].includes(state)) throw new HttpError(400, 20001, `Invalid State: ${state}`);
        where.push(`${effState(now)} = ?`);
        p.push(state);
      }
      // Spec: "If this filter is used, the returned list is sorted by latest conversation creation date in descending order".
      const dir = start !== null || end !== null ? 'desc' : 'asc';
      const b = convBase(req, service);
      return listResponse<ConvRow>(
        env,
        req,
        'conversations',
        {
          select: convSelect(now),
          where,
          params: p,
          order: [
            { expr: 'c.date_created_ms', key: 'date_created_ms', dir },
            { expr: 'c.sid', key: 'sid', dir },
          ],
        },
        (r) => renderConv(r, b),
        CONV_MAX_PAGE,
      );
    });

    route(scope, routes, 'GET', `${P}/:Sid`, (req) => renderConv(findConv(req, params(req).Sid, service), convBase(req, service)));

    route(scope, routes, 'GET', `${P}/:ConversationSid/Messages`, (req) => {
      const conv = findConv(req, params(req).ConversationSid, service);
      const order = queryOf(req).get('Order') ?? 'asc';
      if (order !== 'asc' && order !== 'desc') throw new HttpError(400, 20001, `Invalid Order: ${order}`);
      const b = convBase(req, service);
      return listResponse<MsgRow>(
        env,
        req,
        'messages',
        {
          select: 'SELECT m.* FROM messages m',
          where: ['m.conversation_sid = ?', 'm.date_created_ms <= ?'],
          params: [conv.sid, env.clock.nowMs()],
          order: [
            { expr: 'm.idx', key: 'idx', dir: order },
            { expr: 'm.sid', key: 'sid', dir: order },
          ],
        },
        (r) => renderMsg(r, b, service),
        CONV_MAX_PAGE,
      );
    });

    route(scope, routes, 'GET', `${P}/:ConversationSid/Messages/:Sid`, (req) => {
      const conv = findConv(req, params(req).ConversationSid, service);
      const row = env.db
        .prepare('SELECT * FROM messages WHERE conversation_sid = ? AND sid = ? AND date_created_ms <= ?')
        .get(conv.sid, params(req).Sid, env.clock.nowMs()) as MsgRow | undefined;
      if (!row) throw new HttpError(404, 20404, `The requested resource ${req.url.split('?')[0] ?? ''} was not found`);
      return renderMsg(row, convBase(req, service), service);
    });

    route(scope, routes, 'GET', `${P}/:ConversationSid/Participants`, (req) => {
      const conv = findConv(req, params(req).ConversationSid, service);
      const b = convBase(req, service);
      return listResponse<PartRow>(
        env,
        req,
        'participants',
        {
          select: 'SELECT p.* FROM participants p',
          where: ['p.conversation_sid = ?', 'p.date_created_ms <= ?'],
          params: [conv.sid, env.clock.nowMs()],
          order: [
            { expr: 'p.date_created_ms', key: 'date_created_ms', dir: 'asc' },
            { expr: 'p.sid', key: 'sid', dir: 'asc' },
          ],
        },
        (r) => renderPart(r, b, service),
        CONV_MAX_PAGE,
      );
    });

    route(scope, routes, 'GET', `${P}/:ConversationSid/Participants/:Sid`, (req) => {
      const conv = findConv(req, params(req).ConversationSid, service);
      const key = params(req).Sid;
      const row = env.db
        .prepare('SELECT * FROM participants WHERE conversation_sid = ? AND (sid = ? OR identity = ?) AND date_created_ms <= ?')
        .get(conv.sid, key, key, env.clock.nowMs()) as PartRow | undefined;
      if (!row) throw new HttpError(404, 20404, `The requested resource ${req.url.split('?')[0] ?? ''} was not found`);
      return renderPart(row, convBase(req, service), service);
    });
  }
}
