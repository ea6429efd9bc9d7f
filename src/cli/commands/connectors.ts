import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { redactUrlPassword } from '../../config/redact.js';
import { CHANNELS, SYNC_RESOURCES, type Channel, type SyncResource } from '../../config/defaults.js';
import { ERRORS } from '../../core/errors.js';
import { MASTER_KEY_FILE } from '../../core/vault.js';
import type { SdkContext } from '../../sdk/context.js';
import type { ConnectParams, RotateParams, SyncParams } from '../../sdk/types.js';
import { fetchEmulatorInfo } from '../emulatorInfo.js';
import type { CommandEnv } from '../main.js';
import { csvOf, httpUrl, intOption, isoDate } from '../options.js';
import { assertChannels, assertEnabled, assertResources } from '../preflight.js';
import { SyncProgressView } from '../progress.js';
import { renderBootstrap, renderConnect, renderStatus, renderSync, renderTest, syncExitCode, testExitCode } from '../render.js';

interface InstallOpts {
  accountSid?: string;
  authToken?: string;
  apiKeySid?: string;
  apiKeySecret?: string;
  flexFlowSid?: string;
  workspaceSid?: string;
  brevoApiKey?: string;
  brevoBaseUrl?: string;
  emulator?: string;
}

interface SyncOpts {
  type: 'full' | 'incremental';
  resources?: SyncResource[];
  since?: string;
  channels?: Channel[];
  dryRun?: boolean;
  deliver: boolean;
}

/** `install` also reads these from the environment, then tajo.yaml (flags win); `rotate` takes its flags only. */
const credentialOptions = (cmd: Command, fromEnv: boolean) => {
  const env = (name: string) => (fromEnv ? ` (env ${name}, else tajo.yaml)` : '');
  return cmd
    .option('--auth-token <token>', `Twilio Auth Token${env('TWILIO_AUTH_TOKEN')}`)
    .option('--api-key-sid <SK…>', `Twilio API key SID, instead of the auth token${env('TWILIO_API_KEY')}`)
    .option('--api-key-secret <secret>', `Twilio API key secret${env('TWILIO_API_SECRET')}`)
    .option('--brevo-api-key <key>', `Brevo API key${env('BREVO_API_KEY')}`);
};

export function registerConnectorCommands(program: Command, env: CommandEnv): void {
  const connectors = program.command('connectors').description('install, test, sync and inspect connectors');

  credentialOptions(
    connectors
      .command('install')
      .description('verify Twilio (and Brevo) credentials, discover the workspace, store them encrypted')
      .argument('<connector>', 'twilio-flex')
      .option('--account-sid <AC…>', 'Twilio Account SID (env TWILIO_ACCOUNT_SID, else account_sid in tajo.yaml)')
      .option('--flex-flow-sid <FO…>', 'Flex Flow SID (env TWILIO_FLEX_FLOW_SID, else flex_flow_sid in tajo.yaml)')
      .option('--workspace-sid <WS…>', 'TaskRouter workspace (env TWILIO_WORKSPACE_SID, else workspace_sid in tajo.yaml, else discovered from Flex Configuration)'),
    true,
  )
    .option('--brevo-base-url <url>', 'Brevo API base URL (default: brevo.base_url in tajo.yaml, https://api.brevo.com/v3)', httpUrl)
    .option('--emulator <url>', 'take every base URL and credential from a running `tajo emulator` (flags still win; TWILIO_* and BREVO_API_KEY in the environment are not read)')
    .action(async (connector: string, o: InstallOpts) => {
      const ctx = env.ctx();
      const params = await installParams(ctx.io.env, o, (s) => ctx.out.addSecrets(...s), await ctx.sdk());
      const tajo = await ctx.tajo();
      const r = await tajo.connectors.connect(connector, params);
      const where = credentialsLocation(await ctx.sdk());
      ctx.out.result(r, (x) => renderConnect(x, where));
    });

  connectors
    .command('test')
    .description('check Flex, Conversations, TaskRouter (workspace, agents, queues) and Brevo')
    .argument('<connector>', 'twilio-flex')
    .action(async (connector: string) => {
      const ctx = env.ctx();
      const r = await (await ctx.tajo()).connectors.test(connector);
      // a missing list fails the sync with TAJO_BREVO_LIST_MISSING: the test names the same code
      const lists = r.checks.find((c) => c.id === 'brevo_lists' && !c.ok && !c.skipped);
      const listError = lists ? { code: 'TAJO_BREVO_LIST_MISSING' as const, message: `${ERRORS.TAJO_BREVO_LIST_MISSING.message}: ${lists.cause ?? ''}` } : undefined;
      ctx.out.result(listError ? { ...r, error: listError } : r, () => renderTest(r));
      if (listError && !ctx.out.json) ctx.out.note(`error[${listError.code}]: ${listError.message}`);
      ctx.exitCode = testExitCode(r);
    });

  connectors
    .command('sync')
    .description('read Twilio and write Brevo (progress per stream)')
    .argument('<connector>', 'twilio-flex')
    .addOption(new Option('--type <type>', 'full or incremental').choices(['full', 'incremental']).default('incremental'))
    .option('--resources <list>', `comma-separated, among the ones the configuration syncs (sync.*): ${SYNC_RESOURCES.join(',')}`, csvOf(SYNC_RESOURCES))
    .option('--since <date>', "where a full sync (or a first incremental one) starts: ISO date, not after Twilio's now (an emulator's own clock when installed with --emulator); clamped to the 30-day TaskRouter retention", isoDate)
    .option('--channels <list>', `comma-separated, among the configured channels: ${CHANNELS.join(',')}`, csvOf(CHANNELS))
    .option('--dry-run', 'read Twilio and print the Brevo writes it would make, writing nothing')
    .option('--no-deliver', 'only fill the outbox (leave delivery to `tajo serve`)')
    .action(async (connector: string, o: SyncOpts) => {
      const ctx = env.ctx();
      const sdk = await ctx.sdk();
      assertEnabled(sdk, connector, 'a sync');
      assertChannels(sdk, o.channels);
      assertResources(sdk, o.resources);
      // the configured Brevo lists are checked by the SDK's sync itself (embedded and remote alike), before it enqueues
      const params: SyncParams = {
        type: o.type,
        ...(o.resources ? { resources: o.resources } : {}),
        ...(o.since ? { since: o.since } : {}),
        ...(o.channels ? { channels: o.channels } : {}),
        ...(o.dryRun ? { dryRun: true } : {}),
        deliver: o.deliver,
      };
      const view = new SyncProgressView(ctx.io, ctx.out);
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      try {
        const r = await (await ctx.tajo()).connectors.sync(connector, params, { signal: abort.signal, onProgress: (e) => view.update(e) });
        view.stop();
        ctx.out.result(r, renderSync);
        ctx.exitCode = syncExitCode(r);
      } finally {
        view.stop();
        process.off('SIGINT', onSignal);
      }
    });

  connectors
    .command('status')
    .description('connection state, counts, cursors, outbox backlog, dead letters, last error')
    .argument('<connector>', 'twilio-flex')
    .action(async (connector: string) => {
      const ctx = env.ctx();
      ctx.out.result(await (await ctx.tajo()).connectors.status(connector), renderStatus);
    });

  connectors
    .command('bootstrap')
    .description('create the Brevo attributes of the field mapping (and the lists with --create-lists)')
    .argument('<connector>', 'twilio-flex')
    .option('--create-lists', 'create the support_contacts and csat_respondents lists when missing')
    .action(async (connector: string, o: { createLists?: boolean }) => {
      const ctx = env.ctx();
      const r = await (await ctx.tajo()).connectors.bootstrap(connector, { createLists: Boolean(o.createLists) });
      ctx.out.result(r, renderBootstrap);
      if (r.attributes.some((a) => a.action === 'type_mismatch')) ctx.exitCode = 78;
    });

  credentialOptions(connectors.command('rotate').description('replace stored credentials (verified first); resumes a paused connector').argument('<connector>', 'twilio-flex'), false).action(
    async (connector: string, o: InstallOpts) => {
      const ctx = env.ctx();
      ctx.out.addSecrets(o.authToken, o.apiKeySecret, o.brevoApiKey);
      const p: RotateParams = {
        ...(o.authToken ? { authToken: o.authToken } : {}),
        ...(o.apiKeySid ? { apiKeySid: o.apiKeySid } : {}),
        ...(o.apiKeySecret ? { apiKeySecret: o.apiKeySecret } : {}),
        ...(o.brevoApiKey ? { brevoApiKey: o.brevoApiKey } : {}),
      };
      const r = await (await ctx.tajo()).connectors.rotate(connector, p);
      ctx.out.result(r, () => [`✓ Credentials verified and replaced for ${r.connector} (${r.authMode === 'api_key' ? `API key ${r.apiKeySid ?? ''}` : 'auth token'})`]);
    },
  );

  connectors
    .command('uninstall')
    .description('remove the connector, its stored credentials and cursors (synced data stays)')
    .argument('<connector>', 'twilio-flex')
    .action(async (connector: string) => {
      const ctx = env.ctx();
      const r = await (await ctx.tajo()).connectors.uninstall(connector);
      ctx.out.result(r, () => [`✓ ${r.connector} uninstalled; credentials and cursors removed`]);
    });

  connectors
    .command('webhooks')
    .description('register a Twilio Event Streams sink + subscription pointing at `tajo serve`')
    .argument('<connector>', 'twilio-flex')
    .requiredOption('--public-url <url>', 'public URL of `tajo serve` (the sink posts to <url>/webhooks/twilio/event-streams)')
    .option('--event-types <list>', 'comma-separated Event Streams types (checked against the Events API; an existing subscription is brought in line; default: the ones Tajo reads)')
    .option('--wait <seconds>', 'how long to wait for the sink to pass Twilio\'s test-event handshake', intOption(0, 600), 10)
    .action(async (connector: string, o: { publicUrl: string; eventTypes?: string; wait: number }) => {
      const ctx = env.ctx();
      const r = await (await ctx.tajo()).connectors.webhooks(connector, {
        publicUrl: o.publicUrl,
        activationWaitSeconds: o.wait,
        ...(o.eventTypes ? { eventTypes: o.eventTypes.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      });
      ctx.out.result(r, () =>
        r.sinkStatus === 'active'
          ? [
              `✓ Event Streams sink ${r.sinkSid} ${r.sinkCreated ? 'created' : 'found'} → ${r.sinkUrl}`,
              `✓ Subscription ${r.subscriptionSid ?? ''} ${r.subscriptionCreated ? 'created' : 'found'}: ${r.eventTypes.length} event types`,
              ...r.eventTypes.map((t) => `    ${t}${r.eventTypesAdded?.includes(t) ? ' (added)' : ''}`),
              ...(r.eventTypesRemoved ?? []).map((t) => `    ${t} (removed)`),
            ]
          : [
              `! Event Streams sink ${r.sinkSid} ${r.sinkCreated ? 'created' : 'found'} → ${r.sinkUrl}, status ${r.sinkStatus}`,
              '  Twilio sent its test event; the sink activates once the test_id is validated. Check that `tajo serve` is reachable at that URL and run this command again.',
            ],
      );
      if (r.sinkStatus !== 'active') ctx.exitCode = 75;
    });
}

/** Flags, then env, then config; with `--emulator`, flags then the emulator's info. */
async function installParams(
  env: NodeJS.ProcessEnv,
  o: InstallOpts,
  addSecrets: (s: (string | undefined)[]) => void,
  sdk: Pick<SdkContext, 'config'>,
): Promise<ConnectParams> {
  addSecrets([o.authToken, o.apiKeySecret, o.brevoApiKey, env.TWILIO_AUTH_TOKEN, env.TWILIO_API_SECRET, env.BREVO_API_KEY]);
  const pick = <T>(...v: (T | undefined)[]) => v.find((x) => x !== undefined && x !== '');
  if (o.emulator) {
    const info = await fetchEmulatorInfo(o.emulator);
    addSecrets([info.authToken, info.apiKeySecret, info.brevoApiKey]);
    const useKey = Boolean(o.apiKeySid || o.apiKeySecret) && !o.authToken;
    return {
      accountSid: pick(o.accountSid, info.accountSid)!,
      ...(useKey ? { apiKeySid: pick(o.apiKeySid, info.apiKeySid)!, apiKeySecret: pick(o.apiKeySecret, info.apiKeySecret)! } : { authToken: pick(o.authToken, info.authToken)! }),
      flexFlowSid: pick(o.flexFlowSid, info.flexFlowSid)!,
      ...(o.workspaceSid ? { workspaceSid: o.workspaceSid } : {}),
      baseUrls: info.twilio,
      brevoApiKey: pick(o.brevoApiKey, info.brevoApiKey)!,
      brevoBaseUrl: pick(o.brevoBaseUrl, info.brevo)!,
    };
  }
  const c = sdk.config.connectors.twilio_flex;
  const apiKeySid = pick(o.apiKeySid, env.TWILIO_API_KEY, c.api_key_sid);
  const apiKeySecret = pick(o.apiKeySecret, env.TWILIO_API_SECRET, c.api_key_secret);
  const authToken = pick(o.authToken, env.TWILIO_AUTH_TOKEN, c.auth_token);
  // An explicit auth token flag wins over API key settings coming from env/config.
  const useKey = Boolean(apiKeySid && apiKeySecret) && !(o.authToken && !o.apiKeySid);
  const accountSid = pick(o.accountSid, env.TWILIO_ACCOUNT_SID, c.account_sid) ?? '';
  const flexFlowSid = pick(o.flexFlowSid, env.TWILIO_FLEX_FLOW_SID, c.flex_flow_sid) ?? '';
  const workspaceSid = pick(o.workspaceSid, env.TWILIO_WORKSPACE_SID, c.workspace_sid);
  const brevoApiKey = pick(o.brevoApiKey, env.BREVO_API_KEY, sdk.config.brevo.api_key);
  return {
    accountSid,
    flexFlowSid,
    ...(useKey ? { apiKeySid: apiKeySid!, apiKeySecret: apiKeySecret! } : authToken ? { authToken } : apiKeySid || apiKeySecret ? { ...(apiKeySid ? { apiKeySid } : {}), ...(apiKeySecret ? { apiKeySecret } : {}) } : {}),
    ...(workspaceSid ? { workspaceSid } : {}),
    ...(brevoApiKey ? { brevoApiKey } : {}),
    ...(o.brevoBaseUrl ? { brevoBaseUrl: o.brevoBaseUrl } : {}),
  };
}

/** Where `install` put the sealed credentials (the store, which may not be in the data dir) and the key that opens them. */
function credentialsLocation(sdk: Pick<SdkContext, 'storeUrl' | 'dataDir' | 'env'>): { store: string; masterKey: string } {
  const url = sdk.storeUrl()?.trim();
  const store = url ? redactUrlPassword(url) : join(sdk.dataDir, 'tajo.db');
  const masterKey = sdk.env.TAJO_MASTER_KEY?.trim() ? 'TAJO_MASTER_KEY' : join(sdk.dataDir, MASTER_KEY_FILE);
  return { store, masterKey };
}
