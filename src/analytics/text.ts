/** `tajo report` renderings: terminal tables with sparklines, and CSV per table. */
import type { Report } from './types.js';

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled between the series' min and max; null → space. */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return '';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return values.map((v) => (v === null ? ' ' : BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))])).join('');
}

const int = (n: number): string => n.toLocaleString('en-US');
const opt = (v: number | null, unit = ''): string => (v === null ? '-' : `${v.toLocaleString('en-US', { maximumFractionDigits: 1 })}${unit}`);
const hours = (secs: number): string => `${(secs / 3600).toFixed(1)}h`;

type Cell = string | number | null;

/** What the abandonment columns count (docs/SEMANTICS.md §1). */
export const ABANDON_NOTE =
  'abandoned = the customer left while queued (hung up, left the chat); timed out = TaskRouter canceled the queued task (TTL exceeded, workflow timeout, no worker accepted it). aband % counts customer abandonments only.';

/** Columns padded to their widest cell; numbers (and "-") right-aligned. */
export function table(head: string[], rows: Cell[][]): string[] {
  const cells = rows.map((r) => r.map((c) => (c === null ? '-' : typeof c === 'number' ? int(c) : c)));
  const right = head.map((_, i) => rows.every((r) => typeof r[i] === 'number' || r[i] === null || /^[-\d.,]+[%shm]?$/.test(String(r[i] ?? ''))));
  const width = head.map((h, i) => Math.max([...h].length, ...cells.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(width[i] ?? 0) : c.padEnd(width[i] ?? 0))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)];
}

export function renderReport(r: Report): string[] {
  const out: string[] = [];
  const range = `${r.range.since ?? 'start'} → ${r.range.until ?? 'now'}`;
  out.push(`Support report ${range}${r.filters.queue ? `  queue: ${r.filters.queue}` : ''}  (UTC days; service level = answered within ${r.service_level_seconds} s)`);
  const s = r.summary;
  if (s?.interactions === 0 && !r.agent_totals?.length && !r.csat?.count) {
    out.push('', 'No interactions in this range. Sync first (tajo connectors sync twilio-flex) or widen --since/--until.');
    return out;
  }
  if (s) {
    out.push('');
    out.push(`Interactions ${int(s.interactions)}  answered ${int(s.answered)}  abandoned ${int(s.abandoned)} (${opt(s.abandon_rate, '%')})  timed out ${int(s.timed_out)}  service level ${opt(s.service_level, '%')}`);
    out.push(`Wait avg ${opt(s.wait_avg, ' s')}  p50 ${opt(s.wait_p50, ' s')}  p90 ${opt(s.wait_p90, ' s')}  max ${opt(s.wait_max, ' s')}   handled ${int(s.tasks_handled)} by ${s.agents} agents, avg handle ${opt(s.avg_handle, ' s')}   CSAT ${opt(s.csat_avg)} (${int(s.csat_count)} surveys)`);
  }
  if (r.timeline?.length) {
    out.push(`Volume per ${r.by}  ${sparkline(r.timeline.map((t) => t.entered))}   abandoned %  ${sparkline(r.timeline.map((t) => t.abandon_rate))}`);
  }
  if (r.queue_totals) {
    out.push('', 'Queues');
    out.push(...table(
      ['queue', 'entered', 'answered', 'abandoned', 'aband %', 'timed out', 'SL %', 'wait p50 s', 'p90 s', 'max s', 'daily volume', 'daily SL %'],
      r.queue_totals.map((q) => [q.queue_name, q.entered, q.answered, q.abandoned, opt(q.abandon_rate), q.timed_out, opt(q.service_level), opt(q.wait_p50), opt(q.wait_p90), opt(q.wait_max),
        sparkline(q.daily.map((d) => d.entered)), sparkline(q.daily.map((d) => d.service_level))]),
    ));
  }
  if (r.channel_rows) {
    out.push('', 'Channels');
    out.push(...table(
      ['channel', 'entered', 'share %', 'answered', 'aband %', 'timed out', 'SL %', 'wait p50 s', 'avg handle s', 'CSAT', 'surveys'],
      r.channel_rows.map((c) => [c.channel, c.entered, opt(c.share), c.answered, opt(c.abandon_rate), c.timed_out, opt(c.service_level), opt(c.wait_p50), opt(c.avg_handle), opt(c.csat_avg), c.csat_count]),
    ));
  }
  if (r.agent_totals) {
    out.push('', `Agents (${r.agent_totals.length})`);
    out.push(...table(
      ['agent', 'days', 'tasks', 'avg handle s', 'p90 s', 'wrap-up s', 'available', 'busy', 'break', 'offline', 'occupancy %', 'CSAT', 'rang out (canceled/missed/rejected)'],
      r.agent_totals.map((a) => [a.worker_name, a.days, a.tasks_handled, opt(a.avg_handle), opt(a.p90_handle), opt(a.avg_wrapup), hours(a.time_available), hours(a.time_busy),
        hours(a.time_break), hours(a.time_offline), opt(a.occupancy), opt(a.avg_csat), `${a.ringing_abandoned}/${a.missed}/${a.rejected}`]),
    ));
  }
  const c = r.csat;
  if (c) {
    out.push('', `CSAT  avg ${opt(c.avg)} of ${c.scale} over ${int(c.count)} surveys · low (≤ ${c.low_score_threshold} of 5) ${int(c.low_score)} · late ${int(c.late)} · absent ${int(c.absent)} · response rate ${opt(c.response_rate, '%')}`);
    const max = Math.max(1, ...Object.values(c.distribution));
    for (const [score, n] of Object.entries(c.distribution).sort((a, b) => Number(b[0]) - Number(a[0]))) {
      out.push(`  ${score.padStart(2)} ${'█'.repeat(Math.round((n / max) * 30)).padEnd(30)} ${int(n)}`);
    }
    if (c.trend.length > 1) out.push(`  daily avg ${sparkline(c.trend.map((t) => t.avg))}   daily surveys ${sparkline(c.trend.map((t) => t.count))}`);
  }
  if (s || r.queue_totals || r.channel_rows) out.push('', ABANDON_NOTE);
  return out;
}

/** The tables `--csv` can print. */
export const CSV_TABLES = ['queues', 'agents', 'channels', 'csat', 'timeline'] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvOf(rows: ReadonlyArray<object>): string {
  if (rows.length === 0) return '';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell((r as Record<string, unknown>)[c])).join(','))].join('\n');
}

/** One table as CSV (rows per day or hour, as in `--json`); CSAT is its daily trend plus the distribution. */
export function reportCsv(r: Report, t: CsvTable): string {
  switch (t) {
    case 'queues':
      return csvOf(r.queues ?? []);
    case 'agents':
      return csvOf(r.agents ?? []);
    case 'channels':
      return csvOf(r.channel_rows ?? []);
    case 'timeline':
      return csvOf(r.timeline ?? []);
    case 'csat':
      return csvOf([
        ...(r.csat?.trend ?? []).map((d) => ({ day: d.day, score: '', count: d.count, avg: d.avg, low_score: d.low_score })),
        ...Object.entries(r.csat?.distribution ?? {}).map(([score, count]) => ({ day: '', score, count, avg: '', low_score: '' })),
      ]);
  }
}
