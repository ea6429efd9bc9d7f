/**
 * `@tajo/sdk`: the Tajo client (embedded or remote), its types, the error catalogue, and the server helpers for
 * mounting Tajo's verified webhook routes in your own server.
 */
export { TajoClient } from './client.js';
export type { TajoBackend } from './backend.js';
export { createManagementHandlers } from './management.js';
export { createWebhookHandler, webhookOptions } from './webhooks.js';
export * from './types.js';

export { ERRORS, TajoError, isTajoError } from '../core/errors.js';
export type { ErrorCode, ErrorDetail } from '../core/errors.js';

export { buildServer, startServer } from '../server/app.js';
export type { Background, RunningServer, ServerDeps } from '../server/app.js';
export type { ManagementHandlers } from '../server/management.js';
export { errorResponse } from '../server/httpErrors.js';
export type { ErrorBody } from '../server/httpErrors.js';
export { createNodeHandler } from '../server/nodeHandler.js';
export type { NodeHandler } from '../server/nodeHandler.js';
export { tajoWebhooksPlugin } from '../server/plugin.js';
export type { WebhookOptions } from '../server/plugin.js';
export { createKey, hashKey } from '../server/keys.js';

export type { TajoConfig, TwilioFlexConfig } from '../config/schema.js';
