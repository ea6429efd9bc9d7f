import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, redactConfig } from '../../config/load.js';
import { redactUrlPassword } from '../../config/redact.js';
import { DEFAULT_BASE_URLS, DEFAULT_BREVO_BASE_URL } from '../../config/defaults.js';
import { resolveDataDir } from '../../core/dataDir.js';
import { isTajoError } from '../../core/errors.js';
import type { SdkContext } from '../../sdk/context.js';
import { effectiveBaseUrls, effectiveBrevoBaseUrl } from '../../sdk/services/connection.js';
import type { TwilioBaseUrls } from '../../sdk/types.js';
import type { ConnectorRecord } from '../../store/types.js';
import type { CommandEnv } from '../main.js';

/** Where a base URL in effect comes from: tajo.yaml (a non-default value), the installed connector (`install --emulator`, `--brevo-base-url`), or the vendor's real host. */
type UrlSource = 'config' | 'installed' | 'default';
type BaseUrlReport = Record<keyof TwilioBaseUrls | 'brevo', { url: string; source: UrlSource }>;
interface ConnectorReport {
  id: 'twilio-flex';
  /** null: the store could not be read (`storeError` names the code), so installed URLs are unknown. */
  installed: boolean | null;
  storeError?: string;
}

/**
 * `tajo config check`: finds and validates the configuration (every problem at once, with its line: exit 78), and
 * prints what Tajo would run with: defaults filled in, `${ENV}` resolved, secrets redacted, and the base URLs a sync
 * of the installed connector uses (the config's own `base_urls` are overridden by what `install --emulator` stored).
 */
export function registerConfigCommands(program: Command, env: CommandEnv): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate tajo.yaml and print the resolved configuration (secrets redacted) and the base URLs in effect')
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
      const { connector, baseUrls } = await resolveBaseUrls(await ctx.sdk());
      const result = { ok: true, path: loaded.path ?? null, dataDir, store: store ?? `sqlite (${dataDir}/tajo.db)`, connector, baseUrls, config: redacted };
      const installedNote = connector.installed === true ? 'twilio-flex installed' : connector.installed === false ? 'twilio-flex not installed' : `store not readable (${connector.storeError ?? 'error'}): installed URLs unknown`;
      ctx.out.result(result, (r) => [
        `✓ Configuration is valid${r.path ? `: ${r.path}` : ' (no file found: defaults only)'}`,
        `  data dir: ${r.dataDir}`,
        `  store:    ${r.store}`,
        `  base URLs a sync uses (${installedNote}):`,
        ...Object.entries(r.baseUrls).map(([k, v]) => `    ${k.padEnd(14)} ${v.url} (${SOURCE_TEXT[v.source]})`),
        '',
        ...(Object.values(r.baseUrls).some((u) => u.source === 'installed') ? ["# the base URLs below are the configuration's: the installed connector's (above) are the ones used"] : []),
        stringify(r.config).trimEnd(),
      ]);
    });
}

const SOURCE_TEXT: Record<UrlSource, string> = { config: 'from the configuration', installed: 'installed with the connector', default: 'default' };

/**
 * The base URLs the sync resolves (`effectiveBaseUrls` / `effectiveBrevoBaseUrl`, over the installed record) and where
 * each comes from. The store is read only when it exists: `config check` on a fresh machine creates nothing.
 */
async function resolveBaseUrls(sdk: SdkContext): Promise<{ connector: ConnectorReport; baseUrls: BaseUrlReport }> {
  const connector: ConnectorReport = { id: 'twilio-flex', installed: false };
  let settings: ConnectorRecord['settings'] | undefined;
  if (storeExists(sdk)) {
    try {
      settings = (await (await sdk.store()).getConnector('twilio-flex'))?.settings;
      connector.installed = settings !== undefined;
    } catch (err) {
      connector.installed = null;
      connector.storeError = isTajoError(err) ? err.code : 'TAJO_INTERNAL';
    }
  }
  const cfg = sdk.config.connectors.twilio_flex.base_urls;
  const twilio = effectiveBaseUrls(sdk, settings?.baseUrls);
  const sourceOf = (configured: string | undefined, installed: string | undefined, dflt: string): UrlSource =>
    configured !== undefined && configured !== dflt ? 'config' : installed !== undefined && installed !== dflt ? 'installed' : 'default';
  const out = {} as BaseUrlReport;
  for (const k of Object.keys(DEFAULT_BASE_URLS) as (keyof TwilioBaseUrls)[]) {
    out[k] = { url: redactUrlPassword(twilio[k]), source: sourceOf(cfg[k], settings?.baseUrls[k], DEFAULT_BASE_URLS[k]) };
  }
  out.brevo = { url: redactUrlPassword(effectiveBrevoBaseUrl(sdk, settings?.brevoBaseUrl)), source: sourceOf(sdk.config.brevo.base_url, settings?.brevoBaseUrl, DEFAULT_BREVO_BASE_URL) };
  return { connector, baseUrls: out };
}

/** A SQLite store is read only when its file exists (opening creates it); Postgres (or a URL no store takes) is tried. */
function storeExists(sdk: SdkContext): boolean {
  const url = sdk.storeUrl()?.trim();
  if (!url) return existsSync(join(sdk.dataDir, 'tajo.db'));
  if (/^postgres(ql)?:\/\//i.test(url)) return true;
  const file = /^(sqlite|file):(\/\/)?(.+)$/i.exec(url)?.[3];
  return file === undefined || existsSync(file); // an unsupported URL is tried: its error is reported
}
