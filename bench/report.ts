/** The bench's result: figures against the plan, and their human rendering. */
import { groupBrevo, groupTwilio, type BudgetFloor, type Plan } from './plan.js';

type Counts = Record<string, { requests: number; rateLimited: number }>;

export interface BenchResult {
  scale: string;
  seed: number;
  timeScale: number;
  maxMinutes: number | null;
  /** False when `--max-minutes` stopped the run or the sync did not finish ok. */
  completed: boolean;
  syncStatus: string;
  wallS: number;
  floorS: number;
  floorEmulatedS: number;
  floorBudget: string;
  ratio: number;
  requests: { total: number; plan: number; ratio: number; perApi: Array<{ api: string; actual: number; plan: number }> };
  rateLimited: { twilio: number; brevo: number; brevoInjected: number; brevoByBucket: Record<string, number> };
  rss: { peakMb: number; afterSetupMb: number };
  budgets: BudgetFloor[];
  data: Record<string, number>;
  throughput: { taskrouterEventsRead: number; brevoWritesDelivered: number; taskrouterEventsPerS: number; brevoRequestsPerS: number };
  delivery?: unknown;
  brevoCheck?: { contacts: number; truthContacts: number; events: number; uniqueEvents: number; truthEvents: number };
  targets: { ratio: boolean; requests: boolean };
  /** Conversations API requests per endpoint (list vs fetch by sid), where the plan lumps them together. */
  conversationsDetail?: Record<string, number>;
}

export interface SummaryInput {
  opts: { scale: string; seed: number; timeScale: number; maxMinutes: number | null };
  limited: boolean;
  ready: Record<string, unknown>;
  done: Record<string, unknown>;
  plan: Plan;
  twilio: Counts;
  brevo: Counts;
  brevoRateLimited: { total: number; injected: number; byBucket: Record<string, number> };
  brevoCheck?: BenchResult['brevoCheck'];
}

const r2 = (n: number) => Math.round(n * 100) / 100;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

export function summarise(i: SummaryInput): BenchResult {
  const actual: Record<string, number> = {};
  for (const [k, v] of Object.entries(i.twilio)) actual[groupTwilio(k)] = (actual[groupTwilio(k)] ?? 0) + v.requests;
  for (const [k, v] of Object.entries(i.brevo)) actual[groupBrevo(k)] = (actual[groupBrevo(k)] ?? 0) + v.requests;
  const apis = [...new Set([...Object.keys(i.plan.requests), ...Object.keys(actual)])];
  const perApi = apis.map((api) => ({ api, actual: actual[api] ?? 0, plan: i.plan.requests[api] ?? 0 }));
  const total = perApi.reduce((s, a) => s + a.actual, 0);
  const plan = perApi.reduce((s, a) => s + a.plan, 0);
  const report = (i.done.report ?? {}) as { status?: string; delivery?: unknown };
  const wallS = Number(i.done.wallMs) / 1000;
  const progress = (i.done.progress ?? {}) as { records?: number; delivered?: number };
  const brevoRequests = Object.values(i.brevo).reduce((s, v) => s + v.requests, 0);
  const ratio = wallS / i.plan.floorRealS;
  const completed = !i.limited && report.status === 'ok';
  return {
    scale: i.opts.scale,
    seed: i.opts.seed,
    timeScale: i.opts.timeScale,
    maxMinutes: i.opts.maxMinutes,
    completed,
    syncStatus: i.limited ? 'stopped by --max-minutes' : String(report.status ?? i.done.error ?? 'unknown'),
    wallS: r2(wallS),
    floorS: r2(i.plan.floorRealS),
    floorEmulatedS: r2(i.plan.floorEmulatedS),
    floorBudget: i.plan.floorBudget,
    ratio: r3(ratio),
    requests: { total, plan, ratio: r3(total / Math.max(1, plan)), perApi },
    rateLimited: {
      twilio: Object.values(i.twilio).reduce((s, v) => s + v.rateLimited, 0),
      brevo: i.brevoRateLimited.total,
      brevoInjected: i.brevoRateLimited.injected,
      brevoByBucket: i.brevoRateLimited.byBucket,
    },
    rss: { peakMb: Number(i.done.peakMb), afterSetupMb: Number(i.ready.rssMb) },
    budgets: i.plan.budgets.map((b) => ({ ...b, seconds: r2(b.seconds) })),
    data: i.plan.data,
    throughput: {
      taskrouterEventsRead: progress.records ?? 0,
      brevoWritesDelivered: progress.delivered ?? 0,
      taskrouterEventsPerS: r2((progress.records ?? 0) / wallS),
      brevoRequestsPerS: r2(brevoRequests / wallS),
    },
    ...(report.delivery !== undefined ? { delivery: report.delivery } : {}),
    ...(i.brevoCheck ? { brevoCheck: i.brevoCheck } : {}),
    targets: { ratio: completed && ratio <= 1.1, requests: completed && total <= 1.02 * plan },
    conversationsDetail: Object.fromEntries(Object.entries(i.twilio).filter(([k]) => groupTwilio(k) === 'twilio conversations list+fetch').map(([k, v]) => [k, v.requests])),
  };
}

const n = (x: number) => x.toLocaleString('en-US');
const pad = (s: string, w: number) => (s.length >= w ? s : s + ' '.repeat(w - s.length));
const lpad = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

export function render(r: BenchResult): string[] {
  const d = r.data;
  const out = [
    `Tajo bench:sync — scale ${r.scale} (seed ${r.seed}), time scale ×${r.timeScale}; emulator and connector in separate processes`,
    `data         ${n(d.taskrouterEvents ?? 0)} TaskRouter events, ${n(d.conversations ?? 0)} conversations, ${n(d.contacts ?? 0)} contacts, ${n(d.brevoEvents ?? 0)} Brevo events`,
    `sync         ${r.syncStatus}`,
    `wall         ${r.wallS.toFixed(1)} s`,
    `floor        ${r.floorS.toFixed(1)} s  (${r.floorEmulatedS.toFixed(0)} emulated s ÷ ${r.timeScale}; bound by ${r.floorBudget})`,
    `ratio        ${r.ratio.toFixed(3)}  (target ≤ 1.10: ${r.targets.ratio ? 'met' : 'MISSED'})`,
    `requests     ${n(r.requests.total)} vs plan ${n(r.requests.plan)} = ${r.requests.ratio.toFixed(3)}×  (target ≤ 1.02×: ${r.targets.requests ? 'met' : 'MISSED'})`,
  ];
  for (const a of r.requests.perApi) {
    if (a.actual === 0 && a.plan === 0) continue;
    out.push(`  ${pad(a.api, 34)} ${lpad(n(a.actual), 8)}  plan ${lpad(n(a.plan), 8)}${a.plan > 0 ? `  ${(a.actual / a.plan).toFixed(3)}×` : ''}`);
    if (a.api === 'twilio conversations list+fetch') for (const [k, v] of Object.entries(r.conversationsDetail ?? {})) out.push(`    ${pad(k, 70)} ${lpad(n(v), 6)}`);
  }
  const buckets = Object.entries(r.rateLimited.brevoByBucket).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
  out.push(`429s         twilio ${r.rateLimited.twilio}, brevo ${r.rateLimited.brevo}${buckets ? ` (${buckets})` : ''}${r.rateLimited.brevoInjected ? ` (${r.rateLimited.brevoInjected} injected)` : ''}`);
  out.push(`peak RSS     connector ${r.rss.peakMb.toFixed(1)} MB (after setup ${r.rss.afterSetupMb.toFixed(1)} MB)`);
  out.push('budgets      minimal requests ÷ rate (emulated s):');
  for (const b of r.budgets) out.push(`  ${pad(b.budget, 48)} ${lpad(n(b.requests), 8)} req  ${lpad(b.seconds.toFixed(1), 8)} s`);
  if (!r.completed) {
    out.push(`throughput   ${n(r.throughput.taskrouterEventsRead)} TaskRouter events read (${r.throughput.taskrouterEventsPerS}/s), ${n(r.throughput.brevoWritesDelivered)} Brevo writes delivered, ${r.throughput.brevoRequestsPerS} Brevo requests/s`);
  }
  if (r.brevoCheck) {
    const c = r.brevoCheck;
    out.push(`brevo state  ${n(c.contacts)}/${n(c.truthContacts)} contacts, ${n(c.uniqueEvents)}/${n(c.truthEvents)} events (${n(c.events - c.uniqueEvents)} re-sent)`);
  }
  return out;
}
