import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Flex from '@twilio/flex-ui';

/** The build-time constants the Flex plugin builder injects; FlexPlugin's constructor reads them. */
export function setFpbGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  g.__FPB_PLUGIN_UNIQUE_NAME = 'plugin-tajo';
  g.__FPB_PLUGIN_VERSION = '0.0.0-test';
  g.__FPB_FLEX_PLUGIN_SCRIPTS_VERSION = '7.1.2';
  g.__FPB_FLEX_PLUGIN_VERSION = '7.1.2';
  g.__FPB_FLEX_UI_VERSION = '2.12.0';
  g.__FPB_REACT_VERSION = '17.0.2';
  g.__FPB_REACT_DOM_VERSION = '17.0.2';
}

/** A tiny stand-in for the Flex UI: Actions that record listeners, and a Manager with a token and config. */
export function fakeFlex(opts: { token?: string | undefined; serviceAttributes?: Record<string, unknown> } = {}) {
  const listeners = new Map<string, Flex.ActionListener[]>();
  const Actions: Flex.ActionsApi = {
    addListener: (name, l) => listeners.set(name, [...(listeners.get(name) ?? []), l]),
    removeListener: (name, l) => listeners.set(name, (listeners.get(name) ?? []).filter((x) => x !== l)),
  };
  const session: Flex.SessionState = opts.token === undefined ? {} : { ssoTokenPayload: { token: opts.token } };
  const manager = {
    store: { getState: () => ({ flex: { session } }) },
    serviceConfiguration: { attributes: opts.serviceAttributes ?? {} },
  } as unknown as Flex.Manager;
  const flex = { Actions, Manager: { getInstance: () => manager } } as unknown as typeof Flex;
  /** Runs the listeners like Flex does after an action; returns what they returned (must be nothing). */
  const emit = (name: string, payload: Flex.ActionPayload): unknown[] => (listeners.get(name) ?? []).map((l) => l(payload));
  return { flex, manager, listeners, emit, session };
}

export const TASK_SID = `WT${'a'.repeat(32)}`;
export const RESERVATION_SID = `WR${'b'.repeat(32)}`;
export const WORKER_SID = `WK${'c'.repeat(32)}`;
export const QUEUE_SID = `WQ${'d'.repeat(32)}`;

export function fakeTask(over: Partial<Flex.ITask> = {}): Flex.ITask {
  return {
    sid: RESERVATION_SID,
    taskSid: TASK_SID,
    status: 'completed',
    taskStatus: 'completed',
    attributes: { name: 'Ana', customers: { email: 'ana@example.com' }, conversationSid: `CH${'e'.repeat(32)}` },
    age: 184,
    queueName: 'Support',
    queueSid: QUEUE_SID,
    taskChannelUniqueName: 'chat',
    workerSid: WORKER_SID,
    ...over,
  };
}

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on port 0 that answers each request with the next scripted status ('hang' never answers). */
export async function scriptedServer(script: Array<number | 'hang'>, fallback: number | 'hang' = 200) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const hooks: { onRequest?: () => void } = {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      hooks.onRequest?.();
      const next = script.shift() ?? fallback;
      if (next === 'hang') return void hanging.push(res);
      res.writeHead(next, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: next < 300 ? 1 : 0 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/flex/task-complete`,
    received,
    /** Called as each request arrives, before it is answered. */
    set onRequest(f: () => void) {
      hooks.onRequest = f;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function collectingLogger() {
  const lines: string[] = [];
  const put = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  return { lines, logger: { info: put, warn: put, error: put } };
}
