import type { FastifyInstance } from 'fastify';
import type { Env } from '../env.js';
import type { RouteTable } from '../gate.js';
import { registerEvents } from './events.js';
import { registerResources } from './resources.js';
import { registerStats } from './stats.js';
import { registerTasks } from './tasks.js';

/** TaskRouter (`https://taskrouter.twilio.com/v1/Workspaces/{WS}/…`), read-only. */
export function registerTaskRouter(scope: FastifyInstance, env: Env, routes: RouteTable): void {
  registerStats(scope, env, routes);
  registerResources(scope, env, routes);
  registerTasks(scope, env, routes);
  registerEvents(scope, env, routes);
}
