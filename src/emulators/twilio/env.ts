import type { Database } from 'better-sqlite3';
import type { FastifyRequest } from 'fastify';
import type { EmulatorClock } from '../common/clock.js';
import type { FaultInjector } from '../common/faults.js';
import type { RequestLog, TwilioBudgets } from './limits.js';
import { PRODUCT_PREFIX, type TwilioCredentials, type TwilioProduct, type WorldInfo } from './types.js';

/** Everything a route needs; one per registered emulator. */
export interface Env {
  db: Database;
  clock: EmulatorClock;
  faults: FaultInjector;
  creds: TwilioCredentials;
  info: WorldInfo;
  taskRetentionMs: number;
  eventRetentionMs: number;
  budgets: TwilioBudgets;
  log: RequestLog;
  /** Release functions of requests held open by a timeout fault. */
  held: Set<() => void>;
}

export const now = (env: Env): number => env.clock.nowMs();

/** `http://host:port` as the client addressed us. */
export function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/** Absolute base of a product (`http://127.0.0.1:P/taskrouter`), mirroring `https://taskrouter.twilio.com`. */
export function productBase(req: FastifyRequest, product: TwilioProduct): string {
  return origin(req) + PRODUCT_PREFIX[product];
}

/** Absolute URL of the request path without its query string. */
export function selfPath(req: FastifyRequest): string {
  const i = req.url.indexOf('?');
  return origin(req) + (i === -1 ? req.url : req.url.slice(0, i));
}
