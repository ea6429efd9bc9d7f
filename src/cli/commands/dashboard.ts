import type { Command } from 'commander';
import { signalShutdown } from '../io.js';
import type { CommandEnv } from '../main.js';
import { intOption } from '../options.js';

export function registerDashboardCommand(program: Command, env: CommandEnv): void {
  program
    .command('dashboard')
    .description('serve only the support dashboard and its read-only API (tajo serve also serves it at /)')
    .option('--port <n>', 'port (default: config server.port, 8787)', intOption(0, 65535))
    .option('--host <host>', 'interface (default: config server.host, 127.0.0.1); other than localhost requires server.dashboard_token')
    .action(async (o: { port?: number; host?: string }) => {
      const ctx = env.ctx();
      if (!ctx.globals.logLevel && !ctx.io.env.TAJO_LOG_LEVEL) ctx.logger.level = 'info';
      const sdk = await ctx.sdk();
      const store = await sdk.store();
      // loaded on use: other commands never pay for the HTTP server
      const { startDashboardServer } = await import('../../server/dashboardRoutes.js');
      const server = await startDashboardServer({
        store,
        config: sdk.config,
        logger: ctx.logger,
        ...(o.host ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
      });
      ctx.onClose(() => server.close());
      ctx.out.result({ url: server.url }, () => [`Tajo dashboard on ${server.url}/ ; Ctrl-C to stop`]);
      await (ctx.io.waitForShutdown ?? signalShutdown)();
    });
}
