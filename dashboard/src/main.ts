/** Tajo support dashboard: polls the read-only API and renders KPIs, charts and tables. */
import './style.css';
import { ApiError, fetchSection, takeToken, type Params, type Report, type SyncHealth } from './api.js';
import { ChartSlot } from './charts.js';
import type { SortState } from './tables.js';
import { renderAgents, renderChannels, renderCsat, renderHealth, renderQueues, renderSummary } from './views.js';

const POLL_MS = 5000;
const token = takeToken();
const url = new URL(location.href);
const params: Params = {};
for (const k of ['since', 'until', 'queue'] as const) {
  const v = url.searchParams.get(k);
  if (v) params[k] = v;
}
const byParam = url.searchParams.get('by');
if (byParam === 'day' || byParam === 'hour') params.by = byParam;

const node = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const period = node<HTMLSelectElement>('period');
const queueSelect = node<HTMLSelectElement>('queue');
const liveButton = node<HTMLButtonElement>('live');
const status = node<HTMLElement>('status');
const alertBox = node<HTMLElement>('alert');

const PRESETS = ['1d', '7d', '30d'];
if (params.since && !PRESETS.includes(params.since)) period.prepend(new Option(`Custom (${params.since} → ${params.until ?? 'now'})`, 'custom'));
period.value = params.since ? (PRESETS.includes(params.since) ? params.since : 'custom') : 'all';
if (params.queue) queueSelect.append(new Option(params.queue, params.queue, true, true));

const charts: Record<string, ChartSlot> = {
  volume: new ChartSlot(node('chart-volume')),
  sl: new ChartSlot(node('chart-sl')),
  wait: new ChartSlot(node('chart-wait')),
  channels: new ChartSlot(node('chart-channels')),
  csatTrend: new ChartSlot(node('chart-csat-trend')),
  csatDist: new ChartSlot(node('chart-csat-dist')),
  budgets: new ChartSlot(node('chart-budgets')),
};

let live = true;
let timer: number | undefined;
let agentsReport: Report | undefined;
let agentSort: SortState = { key: 'tasks_handled', dir: 'desc' };
const knownQueues = new Map<string, string>();

function syncUrl(): void {
  const u = new URL(location.href);
  for (const k of ['since', 'until', 'queue', 'by'] as const) {
    const v = params[k];
    if (v) u.searchParams.set(k, v);
    else u.searchParams.delete(k);
  }
  history.replaceState(null, '', u);
}

function granularity(): Params {
  if (params.by) return params;
  return { ...params, by: params.since === '1d' ? 'hour' : 'day' };
}

function showError(err: unknown): void {
  const msg = err instanceof ApiError && err.status === 401
    ? `${err.message}. Open the dashboard with ?token=<server.dashboard_token>.`
    : `Could not load the dashboard data: ${err instanceof Error ? err.message : String(err)}`;
  alertBox.textContent = msg;
  alertBox.hidden = false;
}

function updateQueues(r: Report): void {
  if (params.queue) return;
  for (const q of r.queue_totals ?? []) knownQueues.set(q.queue_sid, q.queue_name);
  const current = queueSelect.value;
  const options = [...knownQueues.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  queueSelect.replaceChildren(new Option('All queues', ''), ...options.map(([sid, name]) => new Option(name, sid)));
  queueSelect.value = current;
}

/** The latest refresh: an earlier one answering after it (other period or queue) is dropped, not drawn over it. */
let generation = 0;

async function refresh(): Promise<void> {
  window.clearTimeout(timer);
  const mine = ++generation;
  status.textContent = 'Refreshing…';
  const p = granularity();
  try {
    const [summary, queues, agents, csat, channels, health] = await Promise.all([
      fetchSection('summary', p, token), fetchSection('queues', p, token), fetchSection('agents', p, token),
      fetchSection('csat', p, token), fetchSection('channels', p, token), fetchSection<SyncHealth>('health', p, token),
    ]);
    if (mine !== generation) return;
    alertBox.hidden = true;
    renderSummary(summary, charts);
    renderQueues(queues);
    updateQueues(queues);
    agentsReport = agents;
    renderAgents(agents, agentSort, onSort);
    renderCsat(csat, charts);
    renderChannels(channels, charts.channels);
    renderHealth(health, charts.budgets);
    const at = new Date().toISOString().slice(11, 19);
    status.textContent = live ? `Updated ${at} UTC · live, every ${POLL_MS / 1000} s` : `Updated ${at} UTC · paused`;
    document.body.dataset.loaded = 'true';
  } catch (err) {
    if (mine !== generation) return;
    showError(err);
    status.textContent = 'Update failed';
  } finally {
    if (live && mine === generation) {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void tick(), POLL_MS);
    }
  }
}

async function tick(): Promise<void> {
  if (document.hidden) {
    timer = window.setTimeout(() => void tick(), POLL_MS);
    return;
  }
  await refresh();
}

function onSort(s: SortState): void {
  agentSort = s;
  if (agentsReport) renderAgents(agentsReport, agentSort, onSort);
}

period.addEventListener('change', () => {
  if (period.value === 'custom') return;
  if (period.value === 'all') delete params.since;
  else params.since = period.value;
  delete params.until;
  delete params.by;
  syncUrl();
  void refresh();
});
queueSelect.addEventListener('change', () => {
  if (queueSelect.value) params.queue = queueSelect.value;
  else delete params.queue;
  syncUrl();
  void refresh();
});
liveButton.addEventListener('click', () => {
  live = !live;
  liveButton.setAttribute('aria-pressed', String(live));
  liveButton.textContent = live ? 'Live' : 'Paused';
  if (live) void refresh();
  else {
    window.clearTimeout(timer);
    status.textContent = 'Paused';
  }
});

void refresh();
