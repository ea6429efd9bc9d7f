/** Vendor clients for an installed connector, on the engine's budgeted HTTP layer. */
import { TajoError } from '../../core/errors.js';
import type { RequestStats } from '../../engine/http.js';
import { BrevoClient } from '../../sinks/brevo/client.js';
import { TwilioClient } from '../../sources/twilio/client.js';
import { readEmulatorClock } from '../../sources/twilio/emulatorClock.js';
import { brevoBudgetsFor, twilioBudgetsFor } from '../../scale/budgets.js';
import type { SdkContext } from '../context.js';
import { BREVO_KEY_FIX, type Connection } from './connection.js';

/** The vendors' clock as seen by the connector: the real one, or an emulator's (time-scaled, shifted). */
export interface VendorTime {
  timeScale: number;
  nowMs: () => number;
  emulated: boolean;
  /**
   * Reads an emulator's clock again (`nowMs` extrapolates from the last reading): the emulator's clock can jump — `POST
   * /_emulator/clock/advance`, or `generateMore` letting new interactions happen — and a sync that ended its read at
   * the extrapolated time missed whatever happened in the jump. Absent for the real clock.
   */
  resync?: () => Promise<void>;
}

const vendorTimes = new WeakMap<SdkContext, Promise<VendorTime>>();

/**
 * The `timeScale` option, else `TAJO_TIME_SCALE`, else — when the connector points at a Tajo emulator (not a
 * twilio.com host) — the emulator's own clock from `GET /_emulator/clock` (its `--time-scale` and emulated now,
 * which windows and "last 30 days" are computed against), else real time.
 */
export function vendorTime(ctx: SdkContext, conn?: Connection): Promise<VendorTime> {
  let p = vendorTimes.get(ctx);
  if (!p) {
    p = resolveVendorTime(ctx, conn);
    if (conn) vendorTimes.set(ctx, p);
  }
  return p;
}

export async function timeScaleOf(ctx: SdkContext, conn?: Connection): Promise<number> {
  return (await vendorTime(ctx, conn)).timeScale;
}

async function resolveVendorTime(ctx: SdkContext, conn: Connection | undefined): Promise<VendorTime> {
  const raw = ctx.options.timeScale ?? (ctx.env.TAJO_TIME_SCALE ? Number(ctx.env.TAJO_TIME_SCALE) : undefined);
  const explicit = raw !== undefined && Number.isFinite(raw) && raw > 0 ? raw : undefined;
  const emu = conn ? await emulatorClock(conn.baseUrls.flex) : undefined;
  if (conn && emu) {
    let anchor = { ...emu, at: Date.now() };
    // never backwards: a reading a few ms late must not move a run's end before the previous run's
    let last = 0;
    const nowMs = () => (last = Math.max(last, Math.round(anchor.nowMs + (Date.now() - anchor.at) * anchor.timeScale)));
    const resync = async () => {
      const again = await emulatorClock(conn.baseUrls.flex);
      if (again) anchor = { ...again, at: Date.now() };
    };
    return { timeScale: explicit ?? emu.timeScale, nowMs, emulated: true, resync };
  }
  return { timeScale: explicit ?? 1, nowMs: Date.now, emulated: false };
}

async function emulatorClock(flexBaseUrl: string): Promise<{ nowMs: number; timeScale: number } | undefined> {
  const answer = await readEmulatorClock(flexBaseUrl);
  return answer.kind === 'emulator' ? { nowMs: answer.nowMs, timeScale: answer.timeScale } : undefined;
}

export async function brevoClientFor(ctx: SdkContext, conn: Connection, stats?: RequestStats): Promise<BrevoClient> {
  const apiKey = conn.brevo.apiKey;
  if (!apiKey) throw new TajoError('TAJO_BREVO_AUTH', 'No Brevo API key configured', { hint: BREVO_KEY_FIX });
  const cfg = ctx.config.connectors.twilio_flex;
  const timeScale = await timeScaleOf(ctx, conn);
  return new BrevoClient({ baseUrl: conn.brevo.baseUrl, apiKey, budgets: brevoBudgetsFor(await ctx.store(), timeScale, { logger: ctx.logger }), logger: ctx.logger, logApiCalls: cfg.log_api_calls, timeScale, ...(stats ? { stats } : {}) });
}

export async function twilioClientFor(ctx: SdkContext, conn: Connection, opts: { priority?: 0 | 1; signal?: AbortSignal } = {}): Promise<TwilioClient> {
  const c = conn.creds;
  const useKey = Boolean(c.apiKeySid && c.apiKeySecret);
  const cfg = ctx.config.connectors.twilio_flex;
  const timeScale = await timeScaleOf(ctx, conn);
  return new TwilioClient({
    baseUrls: conn.baseUrls,
    credentials: { accountSid: c.accountSid, username: useKey ? c.apiKeySid! : c.accountSid, password: (useKey ? c.apiKeySecret : c.authToken) ?? '' },
    budgets: twilioBudgetsFor(await ctx.store(), conn.workspaceSid, timeScale, { logger: ctx.logger }),
    logger: ctx.logger,
    logApiCalls: cfg.log_api_calls,
    timeScale,
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
