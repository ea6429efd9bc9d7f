/**
 * An installed connector with its credentials opened: what every operation on a connector starts from.
 * Precedence: SDK options, then the config file (incl. `${ENV}`), then what `install` stored (encrypted).
 */
import { DEFAULT_BASE_URLS, DEFAULT_BREVO_BASE_URL } from '../../config/defaults.js';
import { TajoError } from '../../core/errors.js';
import { messageBodyKeyPurpose } from '../../engine/derive/messageBodies.js';
import type { ConnectorRecord } from '../../store/types.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, TwilioBaseUrls } from '../types.js';
import type { TwilioCredentials } from './vendorProbe.js';

export const SECRET_NAMES = { authToken: 'authToken', apiKeySecret: 'apiKeySecret', brevoApiKey: 'brevoApiKey' } as const;

export interface Connection {
  id: ConnectorId;
  record: ConnectorRecord;
  creds: TwilioCredentials;
  baseUrls: TwilioBaseUrls;
  workspaceSid: string;
  chatServiceSid?: string;
  brevo: { apiKey?: string; baseUrl: string };
}

/** What to do about a missing Brevo key, as every surface says it (sync and serve warnings, test, install). */
export const BREVO_KEY_FIX = 'set BREVO_API_KEY or brevo.api_key in tajo.yaml, or store one with `tajo connectors rotate twilio-flex --brevo-api-key …`';

export function notInstalled(id: ConnectorId): TajoError {
  return new TajoError('TAJO_CONNECTOR_NOT_INSTALLED', `Connector ${id} is not installed`, {
    hint: `run \`tajo connectors install ${id} --account-sid AC… --auth-token … --flex-flow-sid FO…\` (or --emulator URL)`,
  });
}

/** Config base URLs that differ from the real hosts override the installed ones (targeting an emulator). */
export function effectiveBaseUrls(ctx: SdkContext, installed?: TwilioBaseUrls): TwilioBaseUrls {
  const cfg = ctx.config.connectors.twilio_flex.base_urls;
  const out = { ...(installed ?? DEFAULT_BASE_URLS) };
  for (const k of Object.keys(DEFAULT_BASE_URLS) as (keyof TwilioBaseUrls)[]) {
    const v = cfg[k];
    if (v && v !== DEFAULT_BASE_URLS[k]) out[k] = v;
  }
  return out;
}

export function effectiveBrevoBaseUrl(ctx: SdkContext, installed?: string): string {
  if (ctx.options.brevoBaseUrl) return ctx.options.brevoBaseUrl;
  const cfg = ctx.config.brevo.base_url;
  if (cfg !== DEFAULT_BREVO_BASE_URL) return cfg;
  return installed ?? DEFAULT_BREVO_BASE_URL;
}

export async function loadConnection(ctx: SdkContext, id: ConnectorId): Promise<Connection> {
  const store = await ctx.store();
  const record = await store.getConnector(id);
  if (!record) throw notInstalled(id);
  const sealed = await store.getSecrets(id);
  // TAJO_CREDENTIALS_DECRYPT (wrong master key) propagates with its own hint.
  const stored: StoredSecrets = Object.keys(sealed).length ? ctx.vault().openAll(id, sealed) : {};
  const cfg = ctx.config.connectors.twilio_flex;
  const s = record.settings;
  const creds = resolveTwilioCredentials(ctx, s, stored);
  const brevoApiKey = ctx.options.brevoApiKey ?? ctx.config.brevo.api_key ?? stored.brevoApiKey ?? ctx.env.BREVO_API_KEY;
  return {
    id,
    record,
    creds,
    baseUrls: effectiveBaseUrls(ctx, s.baseUrls),
    workspaceSid: cfg.workspace_sid ?? s.workspaceSid,
    ...(s.chatServiceSid ? { chatServiceSid: s.chatServiceSid } : {}),
    brevo: { ...(brevoApiKey ? { apiKey: brevoApiKey } : {}), baseUrl: effectiveBrevoBaseUrl(ctx, s.brevoBaseUrl) },
  };
}

type StoredSecrets = Partial<Record<keyof typeof SECRET_NAMES, string>>;

/** The Twilio credentials in effect: the config file's wins over what `install`/`rotate` stored; an API key over a token. */
export function resolveTwilioCredentials(ctx: SdkContext, s: ConnectorRecord['settings'], stored: StoredSecrets): TwilioCredentials {
  const cfg = ctx.config.connectors.twilio_flex;
  const creds: TwilioCredentials = { accountSid: s.accountSid };
  const apiKeySid = cfg.api_key_sid ?? s.apiKeySid;
  const apiKeySecret = cfg.api_key_secret ?? stored.apiKeySecret;
  const authToken = cfg.auth_token ?? stored.authToken;
  if (apiKeySid && apiKeySecret) {
    creds.apiKeySid = apiKeySid;
    creds.apiKeySecret = apiKeySecret;
  } else if (authToken) {
    creds.authToken = authToken;
  }
  return creds;
}

/** Where a Brevo key that wins over a stored one comes from (undefined: a stored key is the one used). */
export function brevoKeyOverride(ctx: SdkContext): string | undefined {
  if (ctx.options.brevoApiKey) return 'the SDK option brevoApiKey';
  if (ctx.config.brevo.api_key) return 'brevo.api_key in the configuration';
  return undefined;
}

/**
 * `message_bodies: hashed`: the connector's HMAC key, derived from the master key (HKDF; never stored, never sent),
 * passed to the sync and the live planner; undefined in the other modes (the master key is not even loaded for them).
 */
export function messageBodyKey(ctx: SdkContext, id: ConnectorId): Buffer | undefined {
  if (ctx.config.connectors.twilio_flex.message_bodies !== 'hashed') return undefined;
  return ctx.vault().deriveKey(messageBodyKeyPurpose(id));
}

/** Literal secret values of a connection (to scrub from output and errors). */
export function connectionSecrets(c: Connection): string[] {
  return [c.creds.authToken, c.creds.apiKeySecret, c.brevo.apiKey].filter((v): v is string => typeof v === 'string');
}
