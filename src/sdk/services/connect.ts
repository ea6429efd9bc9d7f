/**
 * `connectors.connect` (install), `rotate` and `uninstall`: verify the credentials against Twilio (and Brevo),
 * discover the TaskRouter workspace from Flex Configuration, store everything with secrets sealed.
 */
import { TajoError, type ErrorDetail } from '../../core/errors.js';
import type { ConnectorRecord, ConnectorSettings } from '../../store/types.js';
import type { SdkContext } from '../context.js';
import type { ConnectParams, ConnectResult, ConnectorId, RotateParams, TwilioBaseUrls } from '../types.js';
import { FLEX_FORBIDDEN_FIX, TWILIO_AUTH_FIX } from './checks.js';
import { SECRET_NAMES, brevoKeyOverride, effectiveBaseUrls, effectiveBrevoBaseUrl, loadConnection, notInstalled, resolveTwilioCredentials } from './connection.js';
import { brevoGet, parseFlexConfiguration, twilioGet, vendorMessage, type ProbeOptions, type TwilioCredentials } from './vendorProbe.js';

const SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);

export function validateConnectParams(p: ConnectParams): void {
  const details: ErrorDetail[] = [];
  if (!p.accountSid || !SID('AC').test(p.accountSid)) details.push({ path: 'accountSid', message: 'must be an Account SID: "AC" followed by 32 hex characters' });
  if (!p.flexFlowSid || !SID('FO').test(p.flexFlowSid)) details.push({ path: 'flexFlowSid', message: 'must be a Flex Flow SID: "FO" followed by 32 hex characters' });
  if (p.workspaceSid !== undefined && !SID('WS').test(p.workspaceSid)) details.push({ path: 'workspaceSid', message: 'must be a Workspace SID: "WS" followed by 32 hex characters' });
  const hasKey = Boolean(p.apiKeySid || p.apiKeySecret);
  if (hasKey) {
    if (!p.apiKeySid || !SID('SK').test(p.apiKeySid)) details.push({ path: 'apiKeySid', message: 'must be an API key SID: "SK" followed by 32 hex characters' });
    if (!p.apiKeySecret) details.push({ path: 'apiKeySecret', message: 'is required with apiKeySid' });
  } else if (!p.authToken) {
    details.push({ path: 'authToken', message: 'an Auth Token, or an API key SID and secret, is required' });
  }
  if (details.length) throw new TajoError('TAJO_USAGE', 'Invalid connector credentials', { details, hint: 'see `tajo connectors install --help`' });
}

/** Verifies Twilio credentials and reads Flex Configuration; throws the catalogued error on failure. */
export async function verifyTwilio(creds: TwilioCredentials, baseUrls: TwilioBaseUrls, probe?: ProbeOptions) {
  const r = await twilioGet(creds, baseUrls, 'flex', '/v1/Configuration', probe);
  if (r.status === 401) throw new TajoError('TAJO_TWILIO_AUTH', `Twilio rejected the credentials (${vendorMessage(r)})`, { hint: TWILIO_AUTH_FIX });
  if (r.status === 403) throw new TajoError('TAJO_TWILIO_FORBIDDEN', `Twilio refused access to Flex (${vendorMessage(r)})`, { hint: FLEX_FORBIDDEN_FIX });
  if (r.status === 0 || r.status === 429 || r.status >= 500) throw new TajoError('TAJO_TWILIO_UNAVAILABLE', `Flex API: ${vendorMessage(r)}`, { hint: 'check the base URL and network, then retry' });
  if (r.status !== 200) throw new TajoError('TAJO_TWILIO_BAD_RESPONSE', `Flex Configuration: ${vendorMessage(r)}`);
  return parseFlexConfiguration(r.json);
}

export async function verifyBrevo(apiKey: string, baseUrl: string, probe?: ProbeOptions): Promise<void> {
  const r = await brevoGet(apiKey, baseUrl, '/account', probe);
  if (r.status === 401) throw new TajoError('TAJO_BREVO_AUTH', `Brevo rejected the API key (${vendorMessage(r)})`, { hint: 'check the key in Brevo → SMTP & API → API keys' });
  if (r.status !== 200) throw new TajoError('TAJO_BREVO_UNAVAILABLE', `Brevo: ${vendorMessage(r)}`, { hint: 'check the Brevo base URL and network, then retry' });
}

function discoverWorkspace(found: string | undefined, configured: string | undefined): { workspaceSid: string; discovered: boolean } {
  if (configured && found && configured !== found) {
    throw new TajoError('TAJO_WORKSPACE_MISMATCH', `Workspace mismatch: found ${found} in Flex Configuration, configured ${configured}`, {
      details: [{ path: 'workspaceSid', message: `found ${found}, configured ${configured}` }],
      hint: `use --workspace-sid ${found} (or leave it out to use the discovered one)`,
    });
  }
  const ws = configured ?? found;
  if (!ws) throw new TajoError('TAJO_TWILIO_BAD_RESPONSE', 'Flex Configuration names no TaskRouter workspace', { hint: 'pass --workspace-sid WS…' });
  return { workspaceSid: ws, discovered: !configured };
}

export async function connect(ctx: SdkContext, id: ConnectorId, p: ConnectParams, probe?: ProbeOptions): Promise<ConnectResult> {
  validateConnectParams(p);
  const useKey = Boolean(p.apiKeySid && p.apiKeySecret);
  const creds: TwilioCredentials = useKey ? { accountSid: p.accountSid, apiKeySid: p.apiKeySid!, apiKeySecret: p.apiKeySecret! } : { accountSid: p.accountSid, authToken: p.authToken! };
  const baseUrls = { ...effectiveBaseUrls(ctx), ...p.baseUrls };
  const brevoBaseUrl = p.brevoBaseUrl ?? effectiveBrevoBaseUrl(ctx);
  const brevoApiKey = p.brevoApiKey ?? ctx.options.brevoApiKey ?? ctx.config.brevo.api_key;

  const flex = await verifyTwilio(creds, baseUrls, probe);
  const { workspaceSid, discovered } = discoverWorkspace(flex.workspaceSid, p.workspaceSid ?? ctx.config.connectors.twilio_flex.workspace_sid);
  const ws = await twilioGet(creds, baseUrls, 'taskrouter', `/v1/Workspaces/${workspaceSid}`, probe);
  if (ws.status !== 200) throw new TajoError('TAJO_TWILIO_NOT_FOUND', `TaskRouter workspace ${workspaceSid}: ${vendorMessage(ws)}`, { hint: 'check --workspace-sid' });
  if (brevoApiKey) await verifyBrevo(brevoApiKey, brevoBaseUrl, probe);

  const store = await ctx.store();
  const vault = await ctx.sealingVault();
  const seal = (name: string, value: string) => store.putSecret(id, name, vault.seal(value, { connectorId: id, name }));
  const now = new Date().toISOString();
  const prev = await store.getConnector(id);
  if (prev) refuseOtherAccount(prev.settings, p.accountSid, workspaceSid);
  const settings: ConnectorSettings = {
    accountSid: p.accountSid,
    flexFlowSid: p.flexFlowSid,
    workspaceSid,
    ...(flex.chatServiceSid ? { chatServiceSid: flex.chatServiceSid } : {}),
    authMode: useKey ? 'api_key' : 'auth_token',
    ...(useKey ? { apiKeySid: p.apiKeySid! } : {}),
    baseUrls,
    brevoBaseUrl,
  };
  // A re-install (new credentials, a new Flex Flow) resumes from the kept cursors: its last sync stays what it was.
  const record: ConnectorRecord = { id, settings, status: 'active', installedAt: prev?.installedAt ?? now, updatedAt: now, ...(prev?.lastSyncAt ? { lastSyncAt: prev.lastSyncAt } : {}) };
  await store.saveConnector(record);
  if (useKey) await seal(SECRET_NAMES.apiKeySecret, p.apiKeySecret!);
  else await seal(SECRET_NAMES.authToken, p.authToken!);
  if (p.brevoApiKey) await seal(SECRET_NAMES.brevoApiKey, p.brevoApiKey);
  ctx.logger.info({ connector: id, workspaceSid, discovered }, 'connector installed');
  return toConnectResult(record, Boolean(brevoApiKey || (await store.getSecrets(id))[SECRET_NAMES.brevoApiKey]), discovered);
}

/**
 * A re-install over a connector of another account or workspace is refused before anything is stored: the data dir's
 * cursors, customers and interactions are that account's, and the next sync would resume the other account's cursors
 * and mix both in one timeline. SIDs are not secrets, so the message names them.
 */
function refuseOtherAccount(prev: ConnectorSettings, accountSid: string, workspaceSid: string): void {
  if (prev.accountSid !== accountSid) {
    throw new TajoError('TAJO_CONNECTOR_ACCOUNT_CHANGED', `This data dir's connector is installed for account ${prev.accountSid}`, {
      details: [{ path: 'accountSid', message: `installed for ${prev.accountSid}, given ${accountSid}` }],
      hint: 'give each Twilio account its own data dir (--data-dir or TAJO_DATA_DIR)',
    });
  }
  if (prev.workspaceSid !== workspaceSid) {
    throw new TajoError('TAJO_CONNECTOR_ACCOUNT_CHANGED', `This data dir's connector is installed for workspace ${prev.workspaceSid}`, {
      details: [{ path: 'workspaceSid', message: `installed for ${prev.workspaceSid}, now ${workspaceSid}` }],
      hint: "`tajo connectors uninstall twilio-flex` first to drop the old workspace's cursors (synced customers stay), then install again",
    });
  }
}

export function toConnectResult(r: ConnectorRecord, brevoConfigured: boolean, discovered: boolean): ConnectResult {
  const s = r.settings;
  return {
    connector: r.id as ConnectorId,
    accountSid: s.accountSid,
    flexFlowSid: s.flexFlowSid,
    workspaceSid: s.workspaceSid,
    workspaceDiscovered: discovered,
    ...(s.chatServiceSid ? { chatServiceSid: s.chatServiceSid } : {}),
    authMode: s.authMode,
    ...(s.apiKeySid ? { apiKeySid: s.apiKeySid } : {}),
    baseUrls: s.baseUrls,
    brevoBaseUrl: s.brevoBaseUrl,
    brevoConfigured,
    installedAt: r.installedAt,
  };
}

/** Replaces credentials after verifying them; resumes a connector paused by an auth failure. */
export async function rotate(ctx: SdkContext, id: ConnectorId, p: RotateParams, probe?: ProbeOptions): Promise<ConnectResult> {
  const conn = await loadConnection(ctx, id);
  const s = conn.record.settings;
  const twilioChange = Boolean(p.authToken || p.apiKeySid || p.apiKeySecret);
  if (!twilioChange && !p.brevoApiKey) throw new TajoError('TAJO_USAGE', 'Nothing to rotate', { hint: 'pass --auth-token, --api-key-sid/--api-key-secret or --brevo-api-key' });
  await refuseOverridden(ctx, id, s, p);
  let settings = s;
  const store = await ctx.store();
  const vault = await ctx.sealingVault();
  const seal = (name: string, value: string) => store.putSecret(id, name, vault.seal(value, { connectorId: id, name }));
  if (twilioChange) {
    const params: ConnectParams = { accountSid: s.accountSid, flexFlowSid: s.flexFlowSid, ...p };
    validateConnectParams(params);
    const useKey = Boolean(p.apiKeySid && p.apiKeySecret);
    const creds: TwilioCredentials = useKey ? { accountSid: s.accountSid, apiKeySid: p.apiKeySid!, apiKeySecret: p.apiKeySecret! } : { accountSid: s.accountSid, authToken: p.authToken! };
    await verifyTwilio(creds, conn.baseUrls, probe);
    settings = { ...s, authMode: useKey ? 'api_key' : 'auth_token' };
    if (useKey) settings.apiKeySid = p.apiKeySid!;
    else delete settings.apiKeySid;
    await seal(useKey ? SECRET_NAMES.apiKeySecret : SECRET_NAMES.authToken, useKey ? p.apiKeySecret! : p.authToken!);
  }
  if (p.brevoApiKey) {
    await verifyBrevo(p.brevoApiKey, conn.brevo.baseUrl, probe);
    await seal(SECRET_NAMES.brevoApiKey, p.brevoApiKey);
  }
  const record: ConnectorRecord = { ...conn.record, settings, status: 'active', updatedAt: new Date().toISOString() };
  delete record.statusReason;
  await store.saveConnector(record);
  if (conn.record.status === 'paused') await store.setConnectorStatus(id, 'active');
  return toConnectResult(record, Boolean(p.brevoApiKey ?? conn.brevo.apiKey), false);
}

/**
 * A rotation that would not take effect is refused before anything is verified or stored: the config file (or an SDK
 * option) sets the credential, and it wins over stored credentials (connection.ts). Reporting success there would
 * leave the old credential in use. Names the settings, never their values.
 */
async function refuseOverridden(ctx: SdkContext, id: ConnectorId, s: ConnectorSettings, p: RotateParams): Promise<void> {
  const problems: ErrorDetail[] = [];
  const cfg = ctx.config.connectors.twilio_flex;
  if (p.authToken || p.apiKeySid || p.apiKeySecret) {
    const useKey = Boolean(p.apiKeySid && p.apiKeySecret);
    const store = await ctx.store();
    const sealed = await store.getSecrets(id);
    const stored = Object.keys(sealed).length ? ctx.vault().openAll(id, sealed) : {};
    const settings: ConnectorSettings = { ...s, authMode: useKey ? 'api_key' : 'auth_token' };
    if (useKey) settings.apiKeySid = p.apiKeySid!;
    else delete settings.apiKeySid;
    const after = resolveTwilioCredentials(ctx, settings, useKey ? { ...stored, apiKeySecret: p.apiKeySecret! } : { ...stored, authToken: p.authToken! });
    const effective = useKey ? after.apiKeySid === p.apiKeySid && after.apiKeySecret === p.apiKeySecret : after.authToken === p.authToken && !after.apiKeySid;
    if (!effective) {
      const set = (['auth_token', 'api_key_sid', 'api_key_secret'] as const).filter((k) => cfg[k] !== undefined);
      for (const k of set) problems.push({ path: `connectors.twilio_flex.${k}`, message: 'set in the configuration: it wins over stored credentials' });
    }
  }
  if (p.brevoApiKey) {
    const from = brevoKeyOverride(ctx);
    if (from) problems.push({ path: from.includes('SDK') ? 'brevoApiKey' : 'brevo.api_key', message: `set as ${from}: it wins over the stored key` });
  }
  if (problems.length) {
    throw new TajoError('TAJO_CREDENTIAL_OVERRIDDEN', `Nothing rotated: ${problems.map((d) => d.path).join(', ')} ${problems.length > 1 ? 'take' : 'takes'} precedence over stored credentials, so the new ${problems.length > 1 ? 'ones' : 'one'} would not be used`, {
      details: problems,
      hint: 'change the value where it is set (tajo.yaml, the ${ENV} it reads, or the SDK option), or remove it there and rotate again',
    });
  }
}

export async function uninstall(ctx: SdkContext, id: ConnectorId): Promise<{ connector: ConnectorId; removed: boolean }> {
  const store = await ctx.store();
  const rec = await store.getConnector(id);
  if (!rec) throw notInstalled(id);
  await store.deleteConnector(id);
  return { connector: id, removed: true };
}
