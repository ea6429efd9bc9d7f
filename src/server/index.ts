/** The `tajo serve` HTTP server and the pieces users embed in their own servers. */
export { buildServer, startServer, SERVER_TIMEOUTS, type Background, type InboxDriver, type RunningServer, type ServerDeps } from './app.js';
export { createNodeHandler, type NodeHandler } from './nodeHandler.js';
export { tajoWebhooksPlugin, DEFAULT_BODY_LIMIT, type WebhookOptions } from './plugin.js';
export { registerManagementApi, type ManagementHandlers } from './management.js';
export { createKey, hashKey, generateKey, findActiveKey, KEY_PREFIX } from './keys.js';
export { ServerMetrics, type RouteName } from './metrics.js';
export { signPluginBody, twilioFlexTokenValidator, cachedValidator, type FlexTokenValidator, type FlexTokenResult } from './auth/pluginAuth.js';
export { checkFormSignature, checkJsonSignature, signedUrl, type SignatureCheck } from './auth/twilioSignature.js';
export { errorBody, type ErrorBody } from './httpErrors.js';
export type { RateLimitOptions } from './rateLimit.js';
