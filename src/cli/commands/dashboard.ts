import type { Command } from 'commander';
import { signalShutdown } from '../io.js';
import type { CommandEnv } from '../main.js';
import { listenOrExplain } from '../listen.js';
import { intOption } from '../options.js';

export function registerDashboardCommand(program: Command, env: CommandEnv): void {
  program
    .command('dashboard')
    .description('serve only the support dashboard and its read-only API (tajo serve also serves it at /)')
    .option('--port <n>', 'port (default: config server.port, 8787)', intOption(0, 65535))
    .option('--host <host>', 'interface (default: config server.host, 127.0.0.1); other than localhost requires server.dashboard_token')
    .action(async (o: { port?: number; host?: string }) => {
      const ctx = env.ctx();
      ctx.useDefaultLevel('info');
      const sdk = await ctx.sdk();
      const store = await sdk.store();
      // loaded on use: other commands never pay for the HTTP server
      const { startDashboardServer } = await import('../../server/dashboardRoutes.js');
      const host = o.host ?? sdk.config.server.host;
      const port = o.port ?? sdk.config.server.port;
      const server = await listenOrExplain(
        () => startDashboardServer({ store, config: sdk.config, logger: ctx.logger, host, port }),
        'tajo dashboard',
        host,
        port,
      );
      ctx.onClose(() => server.close());
      ctx.out.result({ url: server.url }, () => [`Tajo dashboard on ${server.url}/ ; Ctrl-C to stop`]);
      await (ctx.io.waitForShutdown ?? signalShutdown)();
    });
}
