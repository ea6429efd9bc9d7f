import { Option, type Command } from 'commander';
import { TajoError } from '../../core/errors.js';
import { startServer } from '../../server/app.js';
import { EmbeddedBackend } from '../../sdk/embedded.js';
import { createManagementHandlers } from '../../sdk/management.js';
import { loadConnection } from '../../sdk/services/connection.js';
import { backgroundLoops } from '../../sdk/services/worker.js';
import { signalShutdown } from '../io.js';
import type { CommandEnv } from '../main.js';
import { intOption } from '../options.js';

type Role = 'ingest' | 'worker' | 'all';

export function registerServeCommand(program: Command, env: CommandEnv): void {
  program
    .command('serve')
    .description('webhook server + management API (/api/v1) + background processing')
    .addOption(new Option('--role <role>', 'ingest: HTTP only; worker: processing only; all: both').choices(['ingest', 'worker', 'all']).default('all'))
    .option('--port <n>', 'port (default: config server.port, 8787)', intOption(0, 65535))
    .option('--host <host>', 'interface (default: config server.host, 127.0.0.1)')
    .action(async (o: { role: Role; port?: number; host?: string }) => {
      const ctx = env.ctx();
      if (!ctx.globals.logLevel && !ctx.io.env.TAJO_LOG_LEVEL) ctx.logger.level = 'info';
      const sdk = await ctx.sdk();
      const store = await sdk.store();
      const conn = await loadConnection(sdk, 'twilio-flex').catch((err: unknown) => {
        if (err instanceof TajoError && err.code === 'TAJO_CONNECTOR_NOT_INSTALLED') return undefined;
        throw err;
      });
      if (conn) ctx.out.addSecrets(conn.creds.authToken, conn.creds.apiKeySecret, conn.brevo.apiKey);
      const accountSid = conn?.record.settings.accountSid ?? sdk.config.connectors.twilio_flex.account_sid;
      const authToken = conn?.creds.authToken ?? sdk.config.connectors.twilio_flex.auth_token;
      const bg = await backgroundLoops(sdk, 'twilio-flex', { inbox: o.role !== 'ingest', delivery: o.role !== 'ingest' });
      for (const w of bg.warnings) ctx.out.note(`! ${w}`);

      if (o.role === 'worker') {
        for (const l of bg.loops) l.start();
        ctx.onClose(async () => {
          for (const l of bg.loops) await l.stop();
        });
        ctx.out.result({ role: o.role, loops: bg.loops.length }, () => [`tajo worker running (${bg.loops.length} loops); Ctrl-C to stop`]);
        await (ctx.io.waitForShutdown ?? signalShutdown)();
        return;
      }
      if (!accountSid || !authToken) {
        ctx.out.note('! no Twilio auth token installed: Twilio webhook signatures cannot be verified, so Twilio routes will refuse requests');
      }
      const server = await startServer({
        store,
        config: sdk.config,
        logger: ctx.logger,
        twilioAuthToken: authToken ?? '',
        accountSid: accountSid ?? '',
        connectorId: 'twilio-flex',
        sdkHandlers: createManagementHandlers(EmbeddedBackend.fromContext(sdk)),
        ...(o.host ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        background: bg.loops,
        ...(bg.onIngested ? { onIngested: bg.onIngested } : {}),
      });
      ctx.onClose(() => server.close());
      ctx.out.result({ url: server.url, role: o.role }, () => [`tajo serve listening on ${server.url} (role ${o.role}); Ctrl-C to stop`]);
      await (ctx.io.waitForShutdown ?? signalShutdown)();
    });
}
