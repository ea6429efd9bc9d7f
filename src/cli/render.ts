/** Human renderings of SDK results. `--json` prints the results themselves. */
import { ERRORS, type ErrorCode } from '../core/errors.js';
import { maskPii } from '../core/logger.js';
import { BREVO_KEY_FIX } from '../sdk/services/connection.js';
import type { BootstrapReport, CheckResult, ConnectResult, ConnectorStatus, DeadLetterDetail, DeadLetterSummary, SyncReport, TestReport } from '../sdk/types.js';

const n = (x: number) => x.toLocaleString('en-US');

export function renderCheck(c: CheckResult): string[] {
  if (c.skipped) return [`- ${c.label} (${c.cause ?? 'not checked'})`];
  if (c.ok && c.fix) return [`! ${c.label}`, `    fix: ${c.fix}`];
  if (c.ok) return [`✓ ${c.label}${c.detail ? ` (${c.detail})` : ''}`];
  const lines = [`✗ ${c.label}`];
  if (c.cause) lines.push(`    cause: ${c.cause}`);
  if (c.fix) lines.push(`    fix: ${c.fix}`);
  return lines;
}

export function renderTest(r: TestReport): string[] {
  const lines = r.checks.flatMap(renderCheck);
  const failed = r.checks.filter((c) => !c.ok && !c.skipped).length;
  lines.push(r.ok ? 'All checks passed.' : `${failed} check${failed === 1 ? '' : 's'} failed.`);
  return lines;
}

/** Exit code for a failed test: auth → 77, workspace mismatch → 78, anything else → 69. */
export function testExitCode(r: TestReport): number {
  const first = r.checks.find((c) => !c.ok && !c.skipped);
  if (!first) return 0;
  if (first.status === 401 || first.status === 403) return 77;
  if (first.id === 'workspace' && /mismatch/.test(first.cause ?? '')) return 78;
  if (first.id === 'brevo_lists') return 78;
  return 69;
}

/** `where`: the store holding the sealed credentials and where the master key that opens them is. */
export function renderConnect(r: ConnectResult, where: { store: string; masterKey: string }): string[] {
  return [
    `✓ Twilio credentials verified (account ${r.accountSid}, ${r.authMode === 'api_key' ? `API key ${r.apiKeySid ?? ''}` : 'auth token'})`,
    `✓ TaskRouter workspace ${r.workspaceSid}${r.workspaceDiscovered ? ' (discovered from Flex Configuration)' : ''}`,
    r.brevoConfigured ? '✓ Brevo API key verified' : `! No Brevo API key yet: before syncing, ${BREVO_KEY_FIX}`,
    `Credentials stored encrypted in ${where.store} (master key: ${where.masterKey})`,
    `Next: tajo connectors test ${r.connector}`,
  ];
}

export function renderStatus(s: ConnectorStatus): string[] {
  if (s.state === 'not_installed') return [`${s.connector}: not installed (tajo connectors install ${s.connector} …)`];
  const lines = [
    `${s.connector}: ${s.connected ? 'connected' : 'not connected'} (${s.state}${s.stateReason ? `: ${s.stateReason}` : ''})`,
    `  account ${s.accountSid ?? '?'}  workspace ${s.workspaceSid ?? '?'}`,
    `Last sync:             ${s.lastSync ?? 'never'}`,
    `Conversations tracked: ${n(s.conversationsTracked)}`,
    `Customers linked:      ${n(s.customersLinked)}`,
    `Agents monitored:      ${n(s.agentsMonitored)}`,
  ];
  if (s.streams.length) {
    lines.push('Streams:');
    for (const c of s.streams) lines.push(`  ${c.stream}${c.partition ? `/${c.partition}` : ''}: ${cursorText(c.cursor)} (updated ${c.updatedAt})`);
  }
  const o = s.outbox;
  lines.push(`Outbox: ${n(o.pending)} pending, ${n(o.inflight)} in flight, ${n(o.delivered)} delivered, ${n(o.dead)} dead${o.oldestPendingAt ? ` (oldest pending ${o.oldestPendingAt})` : ''}`);
  const reasons = Object.entries(s.deadLetters.byReason).map(([r, c]) => `${r} ${c}`);
  lines.push(`Dead letters: ${n(s.deadLetters.open)} open${reasons.length ? ` (${reasons.join(', ')})` : ''}`);
  lines.push(`Last error: ${s.lastError ? `${s.lastError.code} ${s.lastError.message} at ${s.lastError.at}` : 'none'}`);
  if (s.replicas) {
    lines.push(`Replicas: ${s.replicas.filter((r) => r.alive).length} alive${s.replicas.some((r) => !r.alive) ? `, ${s.replicas.filter((r) => !r.alive).length} silent` : ''}`);
    for (const r of s.replicas) {
      lines.push(`  ${r.id} (${r.role}, ${r.alive ? 'alive' : 'silent'}, heartbeat ${r.heartbeatAt})${r.leases.length ? `: owns ${r.leases.join(', ')}` : ''}`);
    }
  }
  return lines;
}

function cursorText(c: unknown): string {
  if (c === null || c === undefined) return '(none)';
  const t = typeof c === 'string' ? c : JSON.stringify(c);
  return t.length > 100 ? `${t.slice(0, 97)}...` : t;
}

export function renderSync(r: SyncReport): string[] {
  const head = `${r.dryRun ? 'Dry run' : 'Sync'} (${r.type}) ${r.status === 'ok' ? 'finished' : r.status} in ${(r.durationMs / 1000).toFixed(1)} s, through ${r.syncedThrough}`;
  const lines = [head];
  if (r.statusReason) lines.push(`! ${r.statusReason}`);
  for (const s of r.streams) {
    if (s.status === 'skipped') continue;
    const wait = s.rateWaitMs > 0 ? `  waited ${(s.rateWaitMs / 1000).toFixed(1)} s for budget` : '';
    // `conversations` counts the open conversations it re-read for a close or a STOP (or listed, when many are open);
    // new ones are read with their tasks by taskrouter_events, their requests counted here. Not `status`'s "tracked".
    const what = s.stream === 'conversations' ? 're-read' : 'records';
    const note = s.stream === 'conversations' ? '  (open ones re-read; new ones read with their tasks)' : '';
    lines.push(`  ${s.stream.padEnd(18)} ${n(s.records).padStart(8)} ${what} ${n(s.pages).padStart(5)} pages ${n(s.requests).padStart(6)} requests${wait}${s.status !== 'ok' ? `  ${s.status}${s.error ? `: ${s.error.message}` : ''}` : note}`);
  }
  const o = r.outbox;
  lines.push(`  Brevo writes ${r.dryRun ? 'planned' : 'enqueued'}: ${n(o.contact)} contacts, ${n(o.event)} events, ${n(o.list_add + o.list_remove)} list changes`);
  const dl = Object.entries(r.deadLetters);
  const dlText = dl.map(([k, v]) => `${k} ${n(v)}`).join(', ');
  // a dry run stores no dead letter: `tajo dlq list` would not show them
  if (dl.length) lines.push(r.dryRun ? `  dead letters it would open: ${dlText} (a dry run stores none)` : `  dead letters: ${dlText} (see \`tajo dlq list\`)`);
  const d = r.delivery;
  if (d) lines.push(`  delivered to Brevo: ${n(d.delivered)} writes in ${n(d.requests)} requests, ${n(d.pending)} pending, ${n(d.deadLettered)} dead-lettered${d.paused ? ' — PAUSED: Brevo rejected the API key' : ''}`);
  for (const w of r.warnings) lines.push(`! ${w}`);
  if (r.sampleContacts?.length) {
    lines.push('Sample contact changes:');
    for (const c of r.sampleContacts.slice(0, 5)) {
      lines.push(`  ${c.change} ${maskPii(c.ext_id)}`);
      for (const [k, v] of Object.entries(c.diff)) lines.push(`    ${k}: ${JSON.stringify(v.from ?? null)} → ${JSON.stringify(v.to ?? null)}`);
    }
  }
  return lines;
}

/** Exit code of a sync: paused (auth) 77, failed per its error code, aborted 130. */
export function syncExitCode(r: SyncReport): number {
  if (r.status === 'ok') return r.delivery?.paused ? 77 : 0;
  if (r.status === 'paused') return 77;
  if (r.status === 'aborted') return 130;
  const code = /^(TAJO_[A-Z_]+)/.exec(r.statusReason ?? '')?.[1];
  return code && code in ERRORS ? ERRORS[code as ErrorCode].exit : 70;
}

export function renderBootstrap(r: BootstrapReport): string[] {
  const lines = ['Brevo attributes:'];
  for (const a of r.attributes) {
    const mark = a.action === 'type_mismatch' ? '✗' : '✓';
    lines.push(`  ${mark} ${a.name} (${a.type}): ${a.action === 'type_mismatch' ? `exists as ${a.existingType ?? '?'} — values of another type are ignored by Brevo; change it in Brevo or the mapping` : a.action}`);
  }
  lines.push('Brevo lists:');
  for (const l of r.lists) {
    const mark = l.action === 'exists' || l.action === 'created' ? '✓' : '✗';
    lines.push(`  ${mark} ${l.key}: ${l.id ?? '-'}${l.name ? ` "${l.name}"` : ''} ${l.action}`);
  }
  const toSet = r.lists.filter((l) => l.action === 'created' || l.action === 'exists');
  // the lists' place in tajo.yaml, as YAML that can be pasted (a top-level `lists:` is not a setting)
  if (toSet.length > 0) lines.push('Set in tajo.yaml:', '  connectors:', '    twilio_flex:', '      lists:', ...toSet.map((l) => `        ${l.key}: ${l.id}`));
  if (r.lists.some((l) => l.action === 'missing' || l.action === 'not_configured')) lines.push('Create the lists with --create-lists');
  return lines;
}

export function renderDeadLetters(rows: DeadLetterSummary[]): string[] {
  if (!rows.length) return ['No dead letters.'];
  return rows.map((d) => `#${d.id}  ${d.createdAt}  ${d.source}/${d.reason}  ${d.recordKey}  ${d.status}${d.error ? `  ${d.error.slice(0, 80)}` : ''}`);
}

export function renderDeadLetter(d: DeadLetterDetail): string[] {
  return [
    `#${d.id} ${d.status}`,
    `source:  ${d.source}`,
    `reason:  ${d.reason}`,
    `record:  ${d.recordKey}`,
    `created: ${d.createdAt}  updated: ${d.updatedAt}`,
    ...(d.error ? [`error:   ${d.error}`] : []),
    'payload:',
    JSON.stringify(d.payload, null, 2),
  ];
}
