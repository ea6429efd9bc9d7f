/** Vendor clients for an installed connector, on the engine's budgeted HTTP layer. */
import { budgetsForBrevo, budgetsForTwilio } from '../../engine/budget.js';
import { TajoError } from '../../core/errors.js';
import { BrevoClient } from '../../sinks/brevo/client.js';
import { TwilioClient } from '../../sources/twilio/client.js';
import type { SdkContext } from '../context.js';
import type { Connection } from './connection.js';

const timeScales = new WeakMap<SdkContext, Promise<number>>();

/**
 * The `timeScale` option, else `TAJO_TIME_SCALE`, else — when the connector points at a Tajo emulator (not a
 * twilio.com host) — the emulator's own `--time-scale` from `GET /_emulator/clock`, else 1.
 */
export function timeScaleOf(ctx: SdkContext, conn?: Connection): Promise<number> {
  const explicit = ctx.options.timeScale ?? (ctx.env.TAJO_TIME_SCALE ? Number(ctx.env.TAJO_TIME_SCALE) : undefined);
  if (explicit !== undefined) return Promise.resolve(Number.isFinite(explicit) && explicit > 0 ? explicit : 1);
  if (!conn) return Promise.resolve(1);
  let p = timeScales.get(ctx);
  if (!p) {
    p = emulatorTimeScale(conn.baseUrls.flex);
    timeScales.set(ctx, p);
  }
  return p;
}

async function emulatorTimeScale(flexBaseUrl: string): Promise<number> {
  let origin: URL;
  try {
    origin = new URL(flexBaseUrl);
  } catch {
    return 1;
  }
  if (/(^|\.)twilio\.com$/i.test(origin.hostname)) return 1;
  try {
    const res = await fetch(`${origin.origin}/_emulator/clock`, { signal: AbortSignal.timeout(3_000) });
    const body = res.ok ? ((await res.json()) as { timeScale?: unknown }) : undefined;
    const t = Number(body?.timeScale);
    return Number.isFinite(t) && t > 0 ? t : 1;
  } catch {
    return 1;
  }
}

export async function brevoClientFor(ctx: SdkContext, conn: Connection): Promise<BrevoClient> {
  const apiKey = conn.brevo.apiKey;
  if (!apiKey) throw new TajoError('TAJO_BREVO_AUTH', 'No Brevo API key configured', { hint: 'pass --brevo-api-key, set BREVO_API_KEY, or brevo.api_key in tajo.yaml' });
  const cfg = ctx.config.connectors.twilio_flex;
  const timeScale = await timeScaleOf(ctx, conn);
  return new BrevoClient({ baseUrl: conn.brevo.baseUrl, apiKey, budgets: budgetsForBrevo(timeScale), logger: ctx.logger, logApiCalls: cfg.log_api_calls, timeScale });
}

export async function twilioClientFor(ctx: SdkContext, conn: Connection, opts: { priority?: 0 | 1; signal?: AbortSignal } = {}): Promise<TwilioClient> {
  const c = conn.creds;
  const useKey = Boolean(c.apiKeySid && c.apiKeySecret);
  const cfg = ctx.config.connectors.twilio_flex;
  const timeScale = await timeScaleOf(ctx, conn);
  return new TwilioClient({
    baseUrls: conn.baseUrls,
    credentials: { accountSid: c.accountSid, username: useKey ? c.apiKeySid! : c.accountSid, password: (useKey ? c.apiKeySecret : c.authToken) ?? '' },
    budgets: budgetsForTwilio(conn.workspaceSid, timeScale),
    logger: ctx.logger,
    logApiCalls: cfg.log_api_calls,
    timeScale,
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
