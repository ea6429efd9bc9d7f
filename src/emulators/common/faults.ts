import { z } from 'zod';
import { mulberry32 } from './random.js';

/**
 * Fault injection, loaded from a YAML/JSON file (`--faults FILE`) or `PUT /_emulator/faults`.
 * Every rule applies to requests whose vendor and path match. Times are emulated ISO instants or
 * offsets in seconds from emulator start (`"+30"`).
 */
export const FaultRuleSchema = z
  .object({
    vendor: z.enum(['twilio', 'brevo', 'any']).default('any'),
    /** Regular expression tested against the path without the vendor prefix, e.g. `^/v1/Workspaces/.+/Events`. */
    path: z.string().optional(),
    method: z.string().optional(),
    /** Extra latency in emulated milliseconds. */
    latencyMs: z.number().nonnegative().optional(),
    /** Probability of answering 500/503. */
    errorRate: z.number().min(0).max(1).optional(),
    errorStatus: z.number().int().min(500).max(599).default(503),
    /** Probability of never answering (the client must time out). */
    timeoutRate: z.number().min(0).max(1).optional(),
    /** Probability of answering 429 regardless of budgets (a "429 storm"). */
    rate429: z.number().min(0).max(1).optional(),
    /** Add Retry-After (seconds) to 429s (Twilio does not document one; this is opt-in). */
    retryAfterSeconds: z.number().int().positive().optional(),
    /** Window during which the rule is active. */
    from: z.string().optional(),
    to: z.string().optional(),
    /** Status answered to every matching request inside the window (an outage). */
    outageStatus: z.number().int().min(400).max(599).optional(),
    /** Twilio only: Flex not enabled on the account → 403 on Flex API calls. */
    flexDisabled: z.boolean().optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof FaultRuleSchema>;

export const FaultFileSchema = z.object({ seed: z.number().int().default(1), rules: z.array(FaultRuleSchema).default([]) }).strict();
export type FaultFile = z.infer<typeof FaultFileSchema>;

export type FaultAction =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'status'; status: number; latencyMs: number; retryAfterSeconds?: number; reason: 'error' | 'outage' | '429' | 'flex_disabled' }
  | { kind: 'timeout' };

export class FaultInjector {
  private rules: FaultRule[] = [];
  private rand: () => number = mulberry32(1);

  constructor(private readonly startMs: number, file?: FaultFile) {
    if (file) this.load(file);
  }

  load(file: FaultFile): void {
    this.rules = [...file.rules];
    this.rand = mulberry32(file.seed);
  }

  current(): FaultFile {
    return { seed: 1, rules: [...this.rules] };
  }

  /** The first 429 rule's Retry-After, if any rule asks for one on this vendor (applies to budget 429s too). */
  retryAfterFor(vendor: 'twilio' | 'brevo'): number | undefined {
    return this.rules.find((r) => (r.vendor === vendor || r.vendor === 'any') && r.retryAfterSeconds !== undefined)?.retryAfterSeconds;
  }

  private instant(s: string | undefined, dflt: number): number {
    if (s === undefined) return dflt;
    if (/^\+\d+(\.\d+)?$/.test(s)) return this.startMs + Number(s.slice(1)) * 1000;
    const t = Date.parse(s);
    return Number.isNaN(t) ? dflt : t;
  }

  decide(vendor: 'twilio' | 'brevo', method: string, path: string, nowMs: number): FaultAction {
    let latencyMs = 0;
    for (const r of this.rules) {
      if (r.vendor !== 'any' && r.vendor !== vendor) continue;
      if (r.method && r.method.toUpperCase() !== method.toUpperCase()) continue;
      if (r.path && !new RegExp(r.path).test(path)) continue;
      if (nowMs < this.instant(r.from, -Infinity) || nowMs > this.instant(r.to, Infinity)) continue;
      latencyMs += r.latencyMs ?? 0;
      if (r.flexDisabled && vendor === 'twilio' && path.startsWith('/flex-api')) {
        return { kind: 'status', status: 403, latencyMs, reason: 'flex_disabled' };
      }
      if (r.outageStatus !== undefined) return { kind: 'status', status: r.outageStatus, latencyMs, reason: 'outage' };
      if (r.timeoutRate !== undefined && this.rand() < r.timeoutRate) return { kind: 'timeout' };
      if (r.rate429 !== undefined && this.rand() < r.rate429) {
        return { kind: 'status', status: 429, latencyMs, reason: '429', ...(r.retryAfterSeconds ? { retryAfterSeconds: r.retryAfterSeconds } : {}) };
      }
      if (r.errorRate !== undefined && this.rand() < r.errorRate) return { kind: 'status', status: r.errorStatus, latencyMs, reason: 'error' };
    }
    return { kind: 'none', latencyMs };
  }
}
