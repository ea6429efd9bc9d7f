/**
 * The SDK behind `tajo serve`'s management API (`/api/v1`): the server validates auth and routes, these
 * handlers validate bodies and call the embedded backend — so a remote `TajoClient` gets the same results.
 */
import { z } from 'zod';
import { CHANNELS, SYNC_RESOURCES } from '../config/defaults.js';
import { TajoError } from '../core/errors.js';
import type { ManagementHandlers } from '../server/management.js';
import type { TajoBackend } from './backend.js';
import { CONNECTOR_IDS, type ConnectorId, type HandleEventInput } from './types.js';

const url = z.string().url();
const ConnectBody = z
  .object({
    accountSid: z.string(),
    authToken: z.string().optional(),
    apiKeySid: z.string().optional(),
    apiKeySecret: z.string().optional(),
    flexFlowSid: z.string(),
    workspaceSid: z.string().optional(),
    baseUrls: z.object({ flex: url.optional(), conversations: url.optional(), taskrouter: url.optional(), events: url.optional() }).strict().optional(),
    brevoApiKey: z.string().optional(),
    brevoBaseUrl: url.optional(),
  })
  .strict();

const SyncBody = z
  .object({
    type: z.enum(['full', 'incremental']).optional(),
    resources: z.array(z.enum(SYNC_RESOURCES)).optional(),
    since: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date' }).optional(),
    channels: z.array(z.enum(CHANNELS)).optional(),
    dryRun: z.boolean().optional(),
    deliver: z.boolean().optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw new TajoError('TAJO_USAGE', `Invalid ${what} request`, {
    details: r.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
  });
}

function connector(id: string): ConnectorId {
  if ((CONNECTOR_IDS as readonly string[]).includes(id)) return id as ConnectorId;
  throw new TajoError('TAJO_CONNECTOR_UNKNOWN', `Unknown connector "${id}"`);
}

/** Drops undefined values (exactOptionalPropertyTypes: zod output has `key?: T | undefined`). */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

export function createManagementHandlers(backend: TajoBackend): ManagementHandlers {
  return {
    connect: async (id, body) => {
      const { baseUrls, ...rest } = parse(ConnectBody, body, 'connect');
      return backend.connect(connector(id), { ...defined(rest), ...(baseUrls ? { baseUrls: defined(baseUrls) } : {}) });
    },
    sync: async (id, body) => backend.sync(connector(id), defined(parse(SyncBody, body, 'sync'))),
    status: async (id) => backend.status(connector(id)),
    handleEvent: async (id, event) => backend.handleEvent(connector(id), event as unknown as HandleEventInput),
    dlqList: async (q) => backend.dlqList(q),
    dlqReplay: async (id) => backend.dlqReplay(id),
    dlqDiscard: async (id) => backend.dlqDiscard(id),
  };
}
