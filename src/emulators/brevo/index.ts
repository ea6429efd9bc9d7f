import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import { EmulatorClock, isoMillis } from '../common/clock.js';
import type { FaultInjector } from '../common/faults.js';
import { DEFAULT_ACCOUNT, registerAccountRoutes, type BrevoAccountInfo } from './account.js';
import { registerAttributeRoutes } from './attributes.js';
import { registerContactRoutes } from './contacts.js';
import { ContactWriter } from './contactWrite.js';
import type { BrevoContext } from './context.js';
import { registerEventRoutes } from './events.js';
import { registerEventQueryRoutes } from './eventsQuery.js';
import { ImportRunner, registerImportRoutes } from './imports.js';
import { inspectPlugin } from './inspect.js';
import { BrevoLimits, DEFAULT_BREVO_LIMITS, type BrevoLimitsConfig } from './limits.js';
import { registerListRoutes } from './lists.js';
import { registerFallbacks, registerRoute, type BrevoHandler, type PipelineDeps } from './pipeline.js';
import { RequestLog, type BrevoRequestLog } from './requestLog.js';
import { BrevoSpec } from './spec.js';
import { BrevoStore, type BrevoState } from './store.js';

export type { BrevoAccountInfo } from './account.js';
export type { BrevoLimitsConfig } from './limits.js';
export type { BrevoRequestLog } from './requestLog.js';
export type { BrevoState } from './store.js';
export { BrevoSpec, findBrevoSpecFile } from './spec.js';
export { DEFAULT_BREVO_LIMITS } from './limits.js';

export interface BrevoEmulatorOptions {
  /** The only accepted `api-key` header value. */
  apiKey: string;
  /** Emulated time (rate-limit windows, latency, import delay, timestamps). Default: real time. */
  clock?: EmulatorClock;
  /** Fault rules; the path they match is Brevo's own (`/v3/contacts/...`), whatever the mount prefix. */
  faults?: FaultInjector;
  /** API mount point; `<prefix>/contacts` mirrors `https://api.brevo.com/v3/contacts`. Default `/brevo/v3`. */
  prefix?: string;
  /** Inspection endpoints mount point (app root, no auth). Default `/_emulator/brevo`. */
  inspectPrefix?: string;
  /** Rate-limit budgets; defaults are Brevo's General tier (10 RPS contacts, 10 RPS events, 100 RPH others). */
  limits?: Partial<BrevoLimitsConfig>;
  /** An event for an unknown contact creates it from the identifiers (default true) or answers 404. */
  createContactOnUnknownEvent?: boolean;
  /** Validate parameters and bodies against the spec (default true). */
  specValidation?: boolean;
  /** Emulated milliseconds an import takes (default 2000). */
  importDelayMs?: number;
  /** Real milliseconds a "timeout" fault holds the connection before dropping it (default 5 minutes). */
  timeoutHoldMs?: number;
  /** Spec file; default: `specs/brevo/swagger_definition_v3.yml` found above this module. */
  specFile?: string;
  /** What `GET /account` reports. */
  account?: BrevoAccountInfo;
}

export interface BrevoEmulator {
  readonly prefix: string;
  readonly inspectPrefix: string;
  readonly clock: EmulatorClock;
  readonly limits: BrevoLimitsConfig;
  /** Every mounted operation as `METHOD /template` (the request-log keys). */
  readonly endpoints: readonly string[];
  /** Same as `GET /_emulator/brevo/state` (settles due imports first). */
  state(): BrevoState;
  /** Same as `GET /_emulator/brevo/requests`. */
  requestLog(): BrevoRequestLog;
  /** Empty account (default attributes and folder only), fresh budgets, empty request log. */
  reset(): void;
  /** Settle due imports and wait for their fileUrl downloads / notifyUrl calls. */
  settle(): Promise<void>;
}

/**
 * Mount the Brevo v3 emulator on `app` as an encapsulated plugin under `prefix` (so one fastify instance can host
 * other vendors), plus the inspection endpoints at `inspectPrefix`. Call before `app.listen()`/`app.ready()`.
 */
export function registerBrevoEmulator(app: FastifyInstance, opts: BrevoEmulatorOptions): BrevoEmulator {
  const clock = opts.clock ?? new EmulatorClock();
  const prefix = (opts.prefix ?? '/brevo/v3').replace(/\/$/, '');
  const inspectPrefix = (opts.inspectPrefix ?? '/_emulator/brevo').replace(/\/$/, '');
  const spec = BrevoSpec.load(opts.specFile);
  const specValidation = opts.specValidation ?? true;
  const store = new BrevoStore(() => clock.nowMs());
  const log = new RequestLog();
  const limitsConfig: BrevoLimitsConfig = { ...DEFAULT_BREVO_LIMITS, ...opts.limits };
  const limits = new BrevoLimits(limitsConfig, clock);
  const writer = new ContactWriter(store, () => clock.nowMs(), (entries) => {
    const at = isoMillis(clock.nowMs());
    log.ignored(entries.map((e) => ({ at, ...e })));
  });
  const deps: PipelineDeps = {
    apiKey: opts.apiKey,
    clock,
    faults: opts.faults,
    limits,
    log,
    spec,
    specValidation,
    prefix,
    timeoutHoldMs: opts.timeoutHoldMs ?? 300_000,
    held: new Set(),
  };

  const routes: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; template: string; handler: BrevoHandler }[] = [];
  const ctx: BrevoContext = {
    store,
    writer,
    clock,
    log,
    createContactOnUnknownEvent: opts.createContactOnUnknownEvent ?? true,
    importDelayMs: opts.importDelayMs ?? 2000,
    route: (method, template, handler) => {
      if (!spec.operation(method, template)) throw new Error(`Brevo emulator: ${method} ${template} is not in the spec`);
      routes.push({ method, template, handler });
    },
  };
  const runner = new ImportRunner(ctx);
  registerAccountRoutes(ctx, opts.account ?? DEFAULT_ACCOUNT);
  registerContactRoutes(ctx);
  registerAttributeRoutes(ctx);
  registerListRoutes(ctx);
  registerImportRoutes(ctx, runner);
  registerEventRoutes(ctx, specValidation, () => spec.componentValidator('event'));
  registerEventQueryRoutes(ctx);

  const api: FastifyPluginCallback = (instance, _o, done) => {
    // Raw bodies: the emulator parses JSON itself to answer with Brevo's error bodies.
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_req, body, next) => next(null, body));
    for (const r of routes) registerRoute(instance, deps, r.method, r.template, r.handler);
    registerFallbacks(instance, deps, () => routes);
    instance.addHook('preClose', (next) => {
      for (const release of [...deps.held]) release();
      runner.reset();
      next();
    });
    done();
  };
  app.register(api, { prefix });

  const reset = () => {
    runner.reset();
    store.reset();
    limits.reset();
    log.reset();
  };
  const state = () => {
    void runner.settle();
    return store.snapshot();
  };
  app.register(
    inspectPlugin({
      state: async () => {
        await runner.settle();
        return store.snapshot();
      },
      requestLog: () => log.snapshot(),
      reset,
    }),
    { prefix: inspectPrefix },
  );

  return {
    prefix,
    inspectPrefix,
    clock,
    limits: limitsConfig,
    endpoints: routes.map((r) => `${r.method} ${r.template}`),
    state, requestLog: () => log.snapshot(), reset, settle: () => runner.settle() };
}
