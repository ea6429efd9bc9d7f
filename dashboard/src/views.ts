/** Renders each API section into the page. */
import type { AgentTotal, QueueTotal, Report, SyncHealth } from '../../src/analytics/types.js';
import { COLORS, PALETTE, periodSeconds, type ChartSlot } from './charts.js';
import { age, dec, el, hours, int, pct, replace, secs } from './format.js';
import { plainTable, sortableTable, type Column, type SortState } from './tables.js';

const $ = (id: string): HTMLElement => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e;
};

function kpi(key: string, label: string, value: number | null, text: string, note?: string): HTMLElement {
  return el('div', { class: 'kpi' }, el('dt', {}, label), el('dd', { 'data-kpi': key, 'data-value': value === null ? '' : String(value) }, text), note ? el('dd', { class: 'note' }, note) : null);
}

export function renderSummary(r: Report, charts: Record<string, ChartSlot>): void {
  const s = r.summary;
  if (s) {
    replace($('kpis'),
      kpi('interactions', 'Interactions', s.interactions, int(s.interactions), `${int(s.answered)} answered`),
      kpi('abandoned', 'Abandoned', s.abandoned, int(s.abandoned), `${pct(s.abandon_rate)} of entered`),
      // TaskRouter canceled the queued task (TTL exceeded, workflow timeout, no worker accepted it): not an abandonment
      kpi('timed_out', 'Timed out', s.timed_out, int(s.timed_out), 'canceled by TaskRouter'),
      kpi('service_level', 'Service level', s.service_level, pct(s.service_level), `answered within ${r.service_level_seconds} s`),
      kpi('wait_p50', 'Wait p50', s.wait_p50, secs(s.wait_p50), `p90 ${secs(s.wait_p90)} · max ${secs(s.wait_max)}`),
      kpi('avg_handle', 'Avg handle', s.avg_handle, secs(s.avg_handle), `${int(s.tasks_handled)} handled by ${s.agents} agents`),
      kpi('csat_avg', 'CSAT', s.csat_avg, dec(s.csat_avg), `${int(s.csat_count)} surveys`),
    );
    $('sl-caption').textContent = `(answered within ${r.service_level_seconds} s)`;
  }
  const t = r.timeline ?? [];
  const x = { kind: 'time' as const, step: r.by, values: t.map((p) => periodSeconds(p.period)) };
  charts.volume?.render({
    x,
    series: [
      { label: 'Entered', color: COLORS.blue, kind: 'bars', values: t.map((p) => p.entered) },
      { label: 'Timed out', color: COLORS.amber, kind: 'line', values: t.map((p) => p.timed_out) },
      { label: 'Abandoned %', color: COLORS.red, kind: 'line', scale: 'r', unit: '%', values: t.map((p) => p.abandon_rate) },
    ],
    summary: `Interactions per ${r.by}: ${t.length} periods, ${int(t.reduce((a, p) => a + p.entered, 0))} entered; abandonment ${pct(r.summary?.abandon_rate)} overall; ${int(t.reduce((a, p) => a + p.timed_out, 0))} timed out`,
  });
  charts.sl?.render({
    x,
    series: [{ label: 'Service level', color: COLORS.green, kind: 'line', unit: '%', values: t.map((p) => p.service_level) }],
    yRange: [0, 100],
    summary: `Service level per ${r.by}, ${pct(r.summary?.service_level)} overall`,
  });
  const w = r.wait_histogram ?? [];
  charts.wait?.render({
    x: { kind: 'category', labels: w.map((b) => (b.to === null ? `${b.from}+ s` : `${b.from}–${b.to}`)) },
    series: [{ label: 'Answered', color: COLORS.purple, kind: 'bars', values: w.map((b) => b.count) }],
    summary: `Wait-time distribution in seconds: ${w.map((b) => `${b.from}${b.to === null ? '+' : `–${b.to}`}: ${b.count}`).join(', ')}`,
  });
}

export function renderChannels(r: Report, chart: ChartSlot | undefined): void {
  const rows = r.channel_rows ?? [];
  chart?.render({
    x: { kind: 'category', labels: rows.map((c) => c.channel) },
    series: [{ label: 'Interactions', color: COLORS.teal, kind: 'bars', values: rows.map((c) => c.entered) }],
    summary: `Channel mix: ${rows.map((c) => `${c.channel} ${c.entered} (${pct(c.share)})`).join(', ')}`,
  });
  chart?.container?.setAttribute('data-channels', JSON.stringify(r.channels ?? {}));
}

export function renderCsat(r: Report, charts: Record<string, ChartSlot>): void {
  const c = r.csat;
  if (!c) return;
  $('csat-caption').textContent = `(${int(c.count)} surveys · avg ${dec(c.avg)} of ${c.scale} · low ≤ ${c.low_score_threshold} of 5: ${int(c.low_score)} · late ${int(c.late)} · absent ${int(c.absent)})`;
  $('csat-caption').dataset.value = JSON.stringify({ count: c.count, avg: c.avg, low_score: c.low_score, late: c.late, absent: c.absent });
  // the surveys' scale (c.scale): the distribution has every score 1..scale (and any score outside it that was given)
  const scores = [c.scale, ...Object.keys(c.distribution).map(Number).filter(Number.isFinite)];
  charts.csatTrend?.render({
    x: { kind: 'time', step: 'day', values: c.trend.map((d) => periodSeconds(d.day)) },
    series: [
      { label: 'Surveys', color: COLORS.gray, kind: 'bars', scale: 'r', values: c.trend.map((d) => d.count) },
      { label: 'Average score', color: COLORS.amber, kind: 'line', values: c.trend.map((d) => d.avg) },
    ],
    yRange: [Math.min(1, ...scores), Math.max(5, ...scores)],
    summary: `CSAT daily average over ${c.trend.length} days, ${dec(c.avg)} overall`,
  });
  const dist = Object.entries(c.distribution).sort((a, b) => Number(a[0]) - Number(b[0]));
  charts.csatDist?.render({
    x: { kind: 'category', labels: dist.map(([s]) => `Score ${s}`) },
    series: [{ label: 'Surveys', color: COLORS.amber, kind: 'bars', values: dist.map(([, n]) => n) }],
    summary: `CSAT distribution: ${dist.map(([s, n]) => `score ${s}: ${n}`).join(', ')}`,
  });
}

const QUEUE_COLUMNS: Column<QueueTotal>[] = [
  { key: 'queue_name', label: 'Queue', value: (q) => q.queue_name },
  { key: 'entered', label: 'Entered', value: (q) => q.entered, numeric: true },
  { key: 'answered', label: 'Answered', value: (q) => q.answered, numeric: true },
  { key: 'abandoned', label: 'Abandoned', value: (q) => q.abandoned, numeric: true },
  { key: 'abandon_rate', label: 'Aband. %', value: (q) => q.abandon_rate, format: (v) => dec(v as number | null), numeric: true },
  { key: 'timed_out', label: 'Timed out', value: (q) => q.timed_out, numeric: true },
  { key: 'service_level', label: 'SL %', value: (q) => q.service_level, format: (v) => dec(v as number | null), numeric: true },
  { key: 'wait_p50', label: 'Wait p50 (s)', value: (q) => q.wait_p50, format: (v) => dec(v as number | null), numeric: true },
  { key: 'wait_p90', label: 'p90 (s)', value: (q) => q.wait_p90, format: (v) => dec(v as number | null), numeric: true },
  { key: 'wait_max', label: 'Max (s)', value: (q) => q.wait_max, format: (v) => dec(v as number | null), numeric: true },
];

export function renderQueues(r: Report): void {
  plainTable($('queues'), 'Queues over the period', r.queue_totals ?? [], QUEUE_COLUMNS, (q) => q.queue_sid);
}

const num1 = (v: number | string | null) => dec(v as number | null);
const AGENT_COLUMNS: Column<AgentTotal>[] = [
  { key: 'worker_name', label: 'Agent', value: (a) => a.worker_name },
  { key: 'tasks_handled', label: 'Tasks', value: (a) => a.tasks_handled, numeric: true },
  { key: 'avg_handle', label: 'Avg handle (s)', value: (a) => a.avg_handle, format: num1, numeric: true },
  { key: 'p90_handle', label: 'p90 handle (s)', value: (a) => a.p90_handle, format: num1, numeric: true },
  { key: 'avg_wrapup', label: 'Wrap-up (s)', value: (a) => a.avg_wrapup, format: num1, numeric: true },
  { key: 'time_available', label: 'Available', value: (a) => a.time_available, format: (v) => hours(v as number), numeric: true },
  { key: 'time_busy', label: 'Busy', value: (a) => a.time_busy, format: (v) => hours(v as number), numeric: true },
  { key: 'time_break', label: 'Break', value: (a) => a.time_break, format: (v) => hours(v as number), numeric: true },
  { key: 'time_offline', label: 'Offline', value: (a) => a.time_offline, format: (v) => hours(v as number), numeric: true },
  { key: 'occupancy', label: 'Occupancy %', value: (a) => a.occupancy, format: num1, numeric: true },
  { key: 'avg_csat', label: 'CSAT', value: (a) => a.avg_csat, format: num1, numeric: true },
  { key: 'missed', label: 'Missed', value: (a) => a.missed, numeric: true },
  { key: 'ringing_abandoned', label: 'Hung up ringing', value: (a) => a.ringing_abandoned, numeric: true },
];

export function renderAgents(r: Report, state: SortState, onSort: (s: SortState) => void): void {
  const rows = r.agent_totals ?? [];
  $('agents-hint').textContent = `${rows.length} agents. Select a column header to sort (Enter or Space).`;
  sortableTable($('agents'), { caption: 'Agents over the period', rows, columns: AGENT_COLUMNS, rowKey: (a) => a.worker_sid, state, onSort });
}

export function renderHealth(h: SyncHealth, chart: ChartSlot | undefined): void {
  const c = h.connector;
  const status = el('p', { class: `pill ${c.status === 'active' ? 'ok' : c.installed ? 'warn' : 'muted'}` },
    c.installed ? `Connector ${c.status ?? ''}${c.status_reason ? `: ${c.status_reason}` : ''} · last sync ${c.last_sync_at ?? 'never'}` : 'Connector not installed');
  const o = h.outbox;
  const outbox = el('p', { 'data-health': 'outbox' }, `Outbox: ${int(o.pending)} pending, ${int(o.inflight)} in flight, ${int(o.delivered)} delivered, ${int(o.dead)} dead${o.oldest_pending_age_seconds !== null ? ` · oldest pending ${age(o.oldest_pending_age_seconds)}` : ''}`);
  const streams = el('div', { class: 'scroll' });
  plainTable(streams, 'Streams', h.streams, [
    { key: 'stream', label: 'Stream', value: (s) => s.stream },
    { key: 'lag_seconds', label: 'Lag', value: (s) => s.lag_seconds, format: (v) => age(v as number | null), numeric: true },
    { key: 'updated_at', label: 'Updated', value: (s) => s.updated_at.replace('T', ' ').slice(0, 19) },
    { key: 'cursor', label: 'Cursor', value: (s) => s.cursor },
  ], (s) => `${s.stream}/${s.partition}`);
  const reasons = Object.entries(h.dead_letters.by_reason);
  const dlq = el('div', {}, el('h3', {}, `Dead letters: ${int(h.dead_letters.open)} open`),
    reasons.length ? el('ul', { class: 'tags' }, ...reasons.map(([k, n]) => el('li', { 'data-reason': k }, `${k} `, el('strong', {}, int(n))))) : el('p', { class: 'muted' }, 'None.'));
  const errors = el('div', {}, el('h3', {}, 'Last errors'),
    h.last_errors.length ? el('ul', { class: 'errors' }, ...h.last_errors.map((e) => el('li', {}, el('time', {}, e.at.replace('T', ' ').slice(0, 19)), ` ${e.source} · `, el('strong', {}, e.code), e.count > 1 ? ` (${int(e.count)} open)` : '', `: ${e.message}`))) : el('p', { class: 'muted' }, 'None.'));
  replace(document.getElementById('health') as HTMLElement, status, outbox, streams, el('div', { class: 'cols' }, dlq, errors));
  const hist = h.budgets.history;
  const names = [...new Set(hist.flatMap((s) => Object.keys(s.use_pct)))].slice(0, PALETTE.length);
  const figure = chart?.container.closest('figure');
  const note = document.getElementById('budgets-note');
  if (figure) figure.hidden = names.length === 0 || hist.length < 2;
  if (note) note.hidden = !(names.length === 0 || hist.length < 2);
  if (names.length === 0 || hist.length < 2) return;
  chart?.render({
    x: { kind: 'time', values: hist.map((s) => Date.parse(s.at) / 1000) },
    series: names.map((n, i) => ({ label: n, color: PALETTE[i] ?? COLORS.gray, kind: 'line' as const, unit: '%', values: hist.map((s) => s.use_pct[n] ?? null) })),
    yRange: [0, 100],
    height: 160,
    summary: `Rate-budget use over ${hist.length} samples: ${names.join(', ')}`,
  });
}
