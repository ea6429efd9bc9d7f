import Fastify, { type FastifyInstance } from 'fastify';
import { EmulatorClock } from '../../common/clock.js';
import { registerBrevoEmulator, type BrevoEmulator, type BrevoEmulatorOptions } from '../index.js';

export const API_KEY = 'xkeysib-test-emulator-key';

/** A clock whose emulated time only moves with `advance()` (real time is frozen). */
export function frozenClock(startMs = Date.parse('2026-01-05T09:00:00.000Z')): EmulatorClock {
  const real = Date.now();
  return new EmulatorClock(startMs, 1, () => real);
}

export interface Started {
  app: FastifyInstance;
  emu: BrevoEmulator;
  /** `http://127.0.0.1:PORT/brevo/v3` */
  base: string;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Start a real fastify server on port 0 with only the Brevo emulator mounted. */
export async function startBrevo(opts: Partial<BrevoEmulatorOptions> = {}): Promise<Started> {
  const app = Fastify();
  const emu = registerBrevoEmulator(app, { apiKey: API_KEY, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  const base = `${origin}${emu.prefix}`;
  return {
    app,
    emu,
    base,
    origin,
    async call(method, path, body, headers = {}) {
      const res = await fetch(path.startsWith('http') ? path : base + path, {
        method,
        headers: { 'api-key': API_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    close: () => app.close(),
  };
}
