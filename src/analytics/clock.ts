/**
 * The "now" of `tajo report` and the dashboard API: the vendors' clock, the same one a sync reads up to
 * (src/sdk/services/clients.ts `vendorTime`). That is this machine's clock in production, and an emulator's own world
 * clock (`GET /_emulator/clock`, shifted and time-scaled) for a connector installed with `--emulator`, so "the last 7
 * days" of a report are the last 7 days of the world the data was synced from. A reading is extrapolated at the
 * emulator's time scale and read again at most every `refreshMs` (in the background once there is one), so the
 * dashboard does not ask the emulator on every request. An emulator that does not answer never breaks a report: this
 * machine's clock is used, with a warning.
 */
import { DEFAULT_BASE_URLS } from '../config/defaults.js';
import type { TajoConfig } from '../config/schema.js';
import { readEmulatorClock } from '../sources/twilio/emulatorClock.js';
import type { Store } from '../store/store.js';

export interface ClockReading {
  /** The vendors' now when read (epoch ms). */
  nowMs: number;
  timeScale: number;
  emulated: boolean;
  /** Set when an emulator was expected but did not answer: the reading is this machine's clock. */
  warning?: string;
}

/** The Flex base URL the connector's syncs use (config over installed, as `effectiveBaseUrls`); undefined when not installed. */
export async function flexBaseUrlOf(store: Pick<Store, 'getConnector'>, config: TajoConfig, connectorId: string): Promise<string | undefined> {
  const cfg = config.connectors.twilio_flex.base_urls.flex;
  if (cfg && cfg !== DEFAULT_BASE_URLS.flex) return cfg;
  const record = await store.getConnector(connectorId).catch(() => undefined);
  return record?.settings.baseUrls.flex;
}

/**
 * Reads the vendors' clock behind `flexBaseUrl`: a twilio.com host (or none) is the real clock; another host is asked
 * for its emulator clock. A host that answers without one (not an emulator) is the real clock, as for the sync; one that
 * does not answer at all is the real clock with a warning.
 */
export async function readVendorClock(flexBaseUrl: string | undefined, opts: { timeoutMs?: number } = {}): Promise<ClockReading> {
  const answer = await readEmulatorClock(flexBaseUrl, opts);
  if (answer.kind === 'emulator') return { nowMs: answer.nowMs, timeScale: answer.timeScale, emulated: true };
  const machine: ClockReading = { nowMs: Date.now(), timeScale: 1, emulated: false };
  return answer.kind === 'unreachable' ? { ...machine, warning: `the emulator at ${answer.origin} did not answer for its clock: times are on this machine's clock` } : machine;
}

/**
 * A vendors' clock read once and extrapolated (`now()` is synchronous and cheap), read again in the background when the
 * last reading is older than `refreshMs` of real time. `now()` never goes backwards.
 */
export class VendorClock {
  private anchor: { reading: ClockReading; at: number } | undefined;
  private readAt: number | undefined;
  private failing = false;
  private pending: Promise<void> | undefined;
  private last = 0;

  constructor(
    private readonly read: () => Promise<ClockReading>,
    private readonly opts: { refreshMs?: number; onWarning?: (message: string) => void } = {},
  ) {}

  /** The first reading (awaited once; later calls return at once and refresh in the background when stale). */
  async ready(): Promise<void> {
    if (this.readAt === undefined) return this.refresh();
    if (Date.now() - this.readAt >= (this.opts.refreshMs ?? 60_000)) void this.refresh().catch(() => undefined);
  }

  /** Whether the clock in use is an emulator's. */
  get emulated(): boolean {
    return this.anchor?.reading.emulated ?? false;
  }

  now(): number {
    const a = this.anchor;
    const ms = a ? Math.round(a.reading.nowMs + (Date.now() - a.at) * a.reading.timeScale) : Date.now();
    return (this.last = Math.max(this.last, ms));
  }

  private refresh(): Promise<void> {
    this.pending ??= this.read()
      .then((reading) => {
        this.readAt = Date.now();
        // an emulator that stopped answering keeps its last reading (extrapolated) rather than jumping to this machine's clock
        if (!(reading.warning && this.anchor?.reading.emulated)) this.anchor = { reading, at: Date.now() };
        if (reading.warning && !this.failing) this.opts.onWarning?.(reading.warning);
        this.failing = reading.warning !== undefined;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
