import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, redactConfig } from '../../config/load.js';
import { resolveDataDir } from '../../core/dataDir.js';
import type { CommandEnv } from '../main.js';

/**
 * `tajo config check`: finds and validates the configuration (every problem at once, with its line: exit 78), and
 * prints what Tajo would run with: defaults filled in, `${ENV}` resolved, secrets redacted.
 */
export function registerConfigCommands(program: Command, env: CommandEnv): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate tajo.yaml and print the resolved configuration (secrets redacted)')
    .action(async () => {
      const ctx = env.ctx();
      const { io, globals } = ctx;
      const loaded = await loadConfig({ ...(globals.config ? { path: globals.config } : {}), env: io.env, cwd: io.cwd });
      const c = loaded.config;
      ctx.out.addSecrets(c.brevo.api_key, c.connectors.twilio_flex.auth_token, c.connectors.twilio_flex.api_key_secret, c.server.plugin_hmac_secret, c.server.dashboard_token, c.server.sink_basic_auth?.pass);
      const dataDir = resolveDataDir({ flag: globals.dataDir, env: io.env, configured: c.data_dir, configPath: loaded.path, cwd: io.cwd });
      const redacted = redactConfig(c);
      const fromEnv = io.env.TAJO_DATABASE_URL?.trim();
      const store = fromEnv ? redactConfig({ ...c, store: { url: fromEnv } }).store.url : redacted.store.url;
      const result = { ok: true, path: loaded.path ?? null, dataDir, store: store ?? `sqlite (${dataDir}/tajo.db)`, config: redacted };
      ctx.out.result(result, (r) => [
        `✓ Configuration is valid${r.path ? `: ${r.path}` : ' (no file found: defaults only)'}`,
        `  data dir: ${r.dataDir}`,
        `  store:    ${r.store}`,
        '',
        stringify(r.config).trimEnd(),
      ]);
    });
}
