import { Option, type Command } from 'commander';
import { TajoError } from '../../core/errors.js';
import type { BudgetSnapshot } from '../../engine/budget.js';
import { startServer } from '../../server/app.js';
import { ServerMetrics, observeDeliveryLatency } from '../../server/metrics.js';
import { EmbeddedBackend } from '../../sdk/embedded.js';
import { createManagementHandlers } from '../../sdk/management.js';
import { loadConnection } from '../../sdk/services/connection.js';
import { backgroundLoops } from '../../sdk/services/worker.js';
import { startScaleRuntime } from '../../scale/runtime.js';
import { signalShutdown } from '../io.js';
import type { CommandEnv } from '../main.js';
import { listenOrExplain } from '../listen.js';
import { intOption } from '../options.js';
import { assertEnabled } from '../preflight.js';

type Role = 'ingest' | 'worker' | 'all';

export function registerServeCommand(program: Command, env: CommandEnv): void {
  program
    .command('serve')
    .description('webhook server + management API (/api/v1) + background processing')
    .addOption(new Option('--role <role>', 'ingest: HTTP only; worker: processing only; all: both').choices(['ingest', 'worker', 'all']).default('all'))
    .option('--port <n>', 'port (default: config server.port, 8787)', intOption(0, 65535))
    .option('--host <host>', 'interface (default: config server.host, 127.0.0.1)')
    .option('--sync-every <seconds>', 'worker roles: incremental sync every N seconds, each stream partition run by one replica (default: off)', intOption(0, 86_400))
    .option('--lease-seconds <n>', "how long a dead replica's claimed webhooks, Brevo writes and sync streams wait before another replica takes them over (default: 60 / 120 / 30)", intOption(1, 3_600))
    .action(async (o: { role: Role; port?: number; host?: string; syncEvery?: number; leaseSeconds?: number }) => {
      const ctx = env.ctx();
      ctx.useDefaultLevel('info');
      if (o.role === 'ingest' && o.syncEvery) {
        throw new TajoError('TAJO_USAGE', '--sync-every runs on the worker roles (--role worker or all), not on --role ingest', { hint: 'start the scheduled syncs on a worker replica, or drop --sync-every' });
      }
      const sdk = await ctx.sdk();
      assertEnabled(sdk, 'twilio-flex', 'tajo serve');
      const store = await sdk.store();
      const conn = await loadConnection(sdk, 'twilio-flex').catch((err: unknown) => {
        if (err instanceof TajoError && err.code === 'TAJO_CONNECTOR_NOT_INSTALLED') return undefined;
        throw err;
      });
      if (conn) ctx.out.addSecrets(conn.creds.authToken, conn.creds.apiKeySecret, conn.brevo.apiKey);
      const accountSid = conn?.record.settings.accountSid ?? sdk.config.connectors.twilio_flex.account_sid;
      const authToken = conn?.creds.authToken ?? sdk.config.connectors.twilio_flex.auth_token;
      // Scale-out: this replica's id and heartbeat, and (worker roles, --sync-every) the sync scheduler on leases.
      const leaseMs = o.leaseSeconds !== undefined ? o.leaseSeconds * 1000 : undefined;
      const served: { url?: string } = {};
      const scale = await startScaleRuntime(sdk, 'twilio-flex', {
        role: o.role,
        ...(leaseMs !== undefined ? { leaseMs } : {}),
        ...(o.syncEvery ? { syncEveryMs: o.syncEvery * 1000 } : {}),
        info: () => (served.url ? { url: served.url } : {}),
      });
      ctx.onClose(() => scale.stop());
      // The server's metrics exist before the loops: the delivery worker observes `deliveryLatency` as Brevo accepts rows.
      const budgets: { of?: () => BudgetSnapshot[] } = {};
      const metrics = new ServerMetrics({ store, budgets: () => budgets.of?.() ?? [], defaultMetrics: true });
      const bg = await backgroundLoops(sdk, 'twilio-flex', {
        inbox: o.role !== 'ingest', delivery: o.role !== 'ingest', workerId: scale.replicaId, ...(leaseMs !== undefined ? { leaseMs } : {}),
        onDelivered: (rows) => observeDeliveryLatency(metrics, rows),
      });
      if (bg.budgets) budgets.of = bg.budgets;
      for (const w of [...bg.warnings, ...scale.warnings]) ctx.out.note(`! ${w}`);

      if (o.role === 'worker') {
        for (const l of bg.loops) l.start();
        ctx.onClose(async () => {
          for (const l of bg.loops) await l.stop();
        });
        ctx.out.result({ role: o.role, loops: bg.loops.length, replica: scale.replicaId }, () => [`tajo worker ${scale.replicaId} running (${bg.loops.length} loops); Ctrl-C to stop`]);
        await (ctx.io.waitForShutdown ?? signalShutdown)();
        return;
      }
      if (!accountSid || !authToken) {
        // Event Streams also takes the sink's Basic credentials; the Flex plugin routes do not need the token
        const eventStreams = sdk.config.server.sink_basic_auth
          ? 'Event Streams is accepted with server.sink_basic_auth only'
          : 'so is Event Streams (set server.sink_basic_auth to accept it with Basic auth)';
        ctx.out.note(`! no Twilio auth token installed: Twilio webhook signatures cannot be verified, so the TaskRouter and Conversations callbacks and signed surveys are refused; ${eventStreams}`);
      }
      const host = o.host ?? sdk.config.server.host;
      const port = o.port ?? sdk.config.server.port;
      const server = await listenOrExplain(() => startServer({
        store,
        config: sdk.config,
        logger: ctx.logger,
        twilioAuthToken: authToken ?? '',
        accountSid: accountSid ?? '',
        ...(!authToken && conn?.creds.apiKeySid && conn.creds.apiKeySecret ? { twilioApiKey: { apiKeySid: conn.creds.apiKeySid, apiKeySecret: conn.creds.apiKeySecret } } : {}),
        connectorId: 'twilio-flex',
        sdkHandlers: createManagementHandlers(EmbeddedBackend.fromContext(sdk)),
        ...(o.host ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        metrics,
        // the inbox processor as the server's own driver: woken after each inbox commit, its cycles counted in /metrics
        ...(bg.inbox ? { inboxProcessor: bg.inbox } : {}),
        background: bg.loops.filter((l) => l !== bg.inbox),
      }), 'tajo serve', host, port);
      ctx.onClose(() => server.close());
      served.url = server.url;
      scale.instrument(server.metrics.registry);
      ctx.out.result({ url: server.url, role: o.role, replica: scale.replicaId }, () => [`tajo serve listening on ${server.url} (role ${o.role}, replica ${scale.replicaId}); Ctrl-C to stop`]);
      await (ctx.io.waitForShutdown ?? signalShutdown)();
    });
}
