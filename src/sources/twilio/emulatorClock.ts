/**
 * The vendors' clock when Twilio is Tajo's emulator: `GET /_emulator/clock` at the origin of the connector's Flex base
 * URL answers its emulated now and `--time-scale`. The one place that reads it (the sync's windows and rate budgets,
 * `sync --since`, `tajo report` and the dashboard's "now").
 */
export type EmulatorClockAnswer =
  | { kind: 'emulator'; nowMs: number; timeScale: number }
  /** A twilio.com host, no usable URL, or a host that answers without an emulator clock: the real clock. */
  | { kind: 'real' }
  /** Not a twilio.com host, and nothing answered (refused, timeout): most likely an emulator that is gone. */
  | { kind: 'unreachable'; origin: string };

export async function readEmulatorClock(flexBaseUrl: string | undefined, opts: { timeoutMs?: number } = {}): Promise<EmulatorClockAnswer> {
  if (!flexBaseUrl) return { kind: 'real' };
  let origin: URL;
  try {
    origin = new URL(flexBaseUrl);
  } catch {
    return { kind: 'real' };
  }
  if (/(^|\.)twilio\.com$/i.test(origin.hostname)) return { kind: 'real' };
  let res: Response;
  try {
    res = await fetch(`${origin.origin}/_emulator/clock`, { signal: AbortSignal.timeout(opts.timeoutMs ?? 3_000) });
  } catch {
    return { kind: 'unreachable', origin: origin.origin };
  }
  const body = res.ok ? ((await res.json().catch(() => undefined)) as { timeScale?: unknown; nowMs?: unknown } | undefined) : undefined;
  const timeScale = Number(body?.timeScale);
  const nowMs = Number(body?.nowMs);
  return Number.isFinite(timeScale) && timeScale > 0 && Number.isFinite(nowMs) ? { kind: 'emulator', nowMs, timeScale } : { kind: 'real' };
}
