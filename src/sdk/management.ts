/**
 * The SDK behind `tajo serve`'s management API (`/api/v1`): the server checks the API key, decodes the JSON body and
 * routes; these handlers call the embedded backend, which checks the arguments with the same validation as an
 * embedded TajoClient (src/sdk/validate.ts) — so a remote `TajoClient` gets the same results and the same errors.
 */
import { TajoError } from '../core/errors.js';
import type { ManagementHandlers } from '../server/management.js';
import type { TajoBackend } from './backend.js';
import { CONNECTOR_IDS, type ConnectorId } from './types.js';
import { dlqListFromQuery } from './validate.js';

function connector(id: string): ConnectorId {
  if ((CONNECTOR_IDS as readonly string[]).includes(id)) return id as ConnectorId;
  throw new TajoError('TAJO_CONNECTOR_UNKNOWN', `Unknown connector "${id}"`, { hint: `available: ${CONNECTOR_IDS.join(', ')}` });
}

/** A body's fields as the backend's parameters (the backend validates them; `unknown` keeps TS honest about that). */
const asParams = <T>(body: Record<string, unknown>): T => body as unknown as T;

export function createManagementHandlers(backend: TajoBackend): ManagementHandlers {
  return {
    connect: async (id, body) => backend.connect(connector(id), asParams(body)),
    test: async (id) => backend.test(connector(id)),
    sync: async (id, body, opts) =>
      backend.sync(connector(id), asParams(body), { ...(opts?.signal ? { signal: opts.signal } : {}), ...(opts?.onProgress ? { onProgress: opts.onProgress } : {}) }),
    status: async (id) => backend.status(connector(id)),
    handleEvent: async (id, body) => backend.handleEvent(connector(id), asParams(body)),
    rotate: async (id, body) => backend.rotate(connector(id), asParams(body)),
    uninstall: async (id) => backend.uninstall(connector(id)),
    bootstrap: async (id, body) => backend.bootstrap(connector(id), asParams(body)),
    webhooks: async (id, body) => backend.webhooks(connector(id), asParams(body)),
    forget: async (id, body) => {
      const { key, ...opts } = body;
      return backend.forget(connector(id), key as string, asParams(opts));
    },
    dlqList: async (query) => backend.dlqList(asParams(dlqListFromQuery(query))),
    dlqShow: async (id) => backend.dlqShow(id),
    dlqReplay: async (id) => backend.dlqReplay(id),
    dlqDiscard: async (id) => backend.dlqDiscard(id),
  };
}
