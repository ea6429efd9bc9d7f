/**
 * `tajo connectors test`: the five Twilio checks of the product doc, then Brevo (key, lists), returned as data.
 * Causes and fixes follow the README's troubleshooting table.
 */
import type { CheckId, CheckResult, TwilioBaseUrls } from '../types.js';
import { brevoGet, parseFlexConfiguration, twilioGet, vendorMessage, type ProbeOptions, type ProbeResponse, type TwilioCredentials } from './vendorProbe.js';
import { BREVO_KEY_FIX } from './connection.js';

export const CHECK_LABELS: Record<CheckId, { ok: string; fail: string }> = {
  flex: { ok: 'Flex API connection successful', fail: 'Flex API connection failed' },
  conversations: { ok: 'Conversations API accessible', fail: 'Conversations API not accessible' },
  workspace: { ok: 'TaskRouter workspace found', fail: 'TaskRouter workspace not found' },
  workers: { ok: 'Agent list readable', fail: 'Agent list not readable' },
  queues: { ok: 'Queue configuration loaded', fail: 'Queue configuration not loaded' },
  brevo: { ok: 'Brevo API connection successful', fail: 'Brevo API connection failed' },
  brevo_lists: { ok: 'Brevo lists exist', fail: 'Brevo lists missing' },
};

export interface CheckInput {
  creds: TwilioCredentials;
  baseUrls: TwilioBaseUrls;
  configuredWorkspaceSid?: string;
  brevo: { apiKey?: string; baseUrl: string };
  lists: { support_contacts?: number; csat_respondents?: number };
  probe?: ProbeOptions;
}

export const TWILIO_AUTH_FIX = 'verify the Account SID and Auth Token (or the API key SID and secret)';
export const FLEX_FORBIDDEN_FIX = 'enable Flex on this Twilio account, or use the account that runs Flex';

/** Cause and fix for a failed Twilio call. */
export function twilioFailure(r: ProbeResponse, what: string): { cause: string; fix: string } {
  if (r.status === 401) return { cause: `Twilio rejected the credentials (${vendorMessage(r)})`, fix: TWILIO_AUTH_FIX };
  if (r.status === 403) return { cause: `Flex is not enabled on the account (${vendorMessage(r)})`, fix: FLEX_FORBIDDEN_FIX };
  if (r.status === 404) return { cause: `${what} not found (${vendorMessage(r)})`, fix: 'check the SID and the base URL' };
  if (r.status === 0) return { cause: `${what}: ${vendorMessage(r)}`, fix: 'check the network and the base URL (an emulator must be running)' };
  return { cause: `${what}: ${vendorMessage(r)}`, fix: 'retry later; if it persists, check Twilio status' };
}

function pass(id: CheckId, status: number, detail?: string): CheckResult {
  return { id, ok: true, label: CHECK_LABELS[id].ok, status, ...(detail ? { detail } : {}) };
}

function fail(id: CheckId, r: ProbeResponse | undefined, f: { cause: string; fix: string }, label = CHECK_LABELS[id].fail): CheckResult {
  return { id, ok: false, label, ...(r && r.status ? { status: r.status } : {}), cause: f.cause, fix: f.fix };
}

function skip(id: CheckId, because: string): CheckResult {
  return { id, ok: false, skipped: true, label: CHECK_LABELS[id].ok, cause: `not checked: ${because}` };
}

const count = (json: unknown, key: string): number | undefined => {
  const v = (json as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(v) ? v.length : undefined;
};

export async function runTwilioChecks(input: CheckInput): Promise<CheckResult[]> {
  const { creds, baseUrls } = input;
  const g = (api: keyof TwilioBaseUrls, p: string) => twilioGet(creds, baseUrls, api, p, input.probe);
  const results: CheckResult[] = [];

  const flex = await g('flex', '/v1/Configuration');
  if (flex.status !== 200) {
    results.push(fail('flex', flex, twilioFailure(flex, 'Flex Configuration')));
    for (const id of ['conversations', 'workspace', 'workers', 'queues'] as const) results.push(skip(id, 'Flex API connection failed'));
    return results;
  }
  const cfg = parseFlexConfiguration(flex.json);
  results.push(pass('flex', flex.status));

  const convPath = cfg.chatServiceSid ? `/v1/Services/${cfg.chatServiceSid}/Conversations?PageSize=1` : '/v1/Conversations?PageSize=1';
  const conv = await g('conversations', convPath);
  results.push(conv.status === 200 ? pass('conversations', conv.status) : fail('conversations', conv, twilioFailure(conv, 'Conversations')));

  const found = cfg.workspaceSid;
  const configured = input.configuredWorkspaceSid;
  if (configured && found && configured !== found) {
    results.push(
      fail('workspace', undefined, { cause: `workspace mismatch: found ${found} in Flex Configuration, configured ${configured}`, fix: `set workspace_sid to ${found} (or remove it to use the discovered one)` }, 'TaskRouter workspace mismatch'),
    );
    results.push(skip('workers', 'workspace mismatch'), skip('queues', 'workspace mismatch'));
    return results;
  }
  const ws = configured ?? found;
  if (!ws) {
    results.push(fail('workspace', undefined, { cause: 'Flex Configuration names no TaskRouter workspace', fix: 'pass --workspace-sid WS… (or set workspace_sid)' }));
    results.push(skip('workers', 'no workspace'), skip('queues', 'no workspace'));
    return results;
  }
  const wsRes = await g('taskrouter', `/v1/Workspaces/${ws}`);
  if (wsRes.status !== 200) {
    results.push(fail('workspace', wsRes, twilioFailure(wsRes, `TaskRouter workspace ${ws}`)));
    results.push(skip('workers', 'workspace not found'), skip('queues', 'workspace not found'));
    return results;
  }
  results.push(pass('workspace', wsRes.status, ws));

  const workers = await g('taskrouter', `/v1/Workspaces/${ws}/Workers?PageSize=1`);
  results.push(workers.status === 200 ? pass('workers', workers.status) : fail('workers', workers, twilioFailure(workers, 'Workers')));
  const queues = await g('taskrouter', `/v1/Workspaces/${ws}/TaskQueues?PageSize=1000`);
  const n = count(queues.json, 'task_queues');
  results.push(queues.status === 200 ? pass('queues', queues.status, n !== undefined ? `${n} queue${n === 1 ? '' : 's'}` : undefined) : fail('queues', queues, twilioFailure(queues, 'TaskQueues')));
  return results;
}

export async function runBrevoChecks(input: Pick<CheckInput, 'brevo' | 'lists' | 'probe'>): Promise<CheckResult[]> {
  const { apiKey, baseUrl } = input.brevo;
  if (!apiKey) {
    return [
      fail('brevo', undefined, { cause: 'no Brevo API key configured', fix: BREVO_KEY_FIX }),
      skip('brevo_lists', 'no Brevo API key'),
    ];
  }
  const account = await brevoGet(apiKey, baseUrl, '/account', input.probe);
  if (account.status !== 200) {
    const f =
      account.status === 401
        ? { cause: `Brevo rejected the API key (${vendorMessage(account)})`, fix: 'check the key (Brevo → SMTP & API → API keys) and replace it where it is set: brevo.api_key in tajo.yaml, else the stored one (`tajo connectors rotate twilio-flex --brevo-api-key …`), else BREVO_API_KEY' }
        : { cause: `Brevo: ${vendorMessage(account)}`, fix: account.status === 0 ? 'check the network and the Brevo base URL' : 'retry later' };
    return [fail('brevo', account, f), skip('brevo_lists', 'Brevo API connection failed')];
  }
  const results = [pass('brevo', account.status)];
  const configured = Object.entries(input.lists).filter((e): e is [string, number] => typeof e[1] === 'number');
  if (configured.length === 0) {
    results.push({
      id: 'brevo_lists',
      ok: true,
      label: 'Brevo lists not configured (no list memberships will be written)',
      fix: 'create them with `tajo connectors bootstrap twilio-flex --create-lists` and set lists.* in tajo.yaml',
    });
    return results;
  }
  const missing: string[] = [];
  const found: string[] = [];
  for (const [key, id] of configured) {
    const r = await brevoGet(apiKey, baseUrl, `/contacts/lists/${id}`, input.probe);
    if (r.status === 200) found.push(`${key} #${id}`);
    else missing.push(`${key} #${id} (${vendorMessage(r)})`);
  }
  if (missing.length) {
    results.push(fail('brevo_lists', undefined, { cause: `list${missing.length > 1 ? 's' : ''} not found in Brevo: ${missing.join(', ')}`, fix: 'create them with `tajo connectors bootstrap twilio-flex --create-lists`, or fix lists.* in tajo.yaml' }));
  } else {
    results.push(pass('brevo_lists', 200, found.join(', ')));
  }
  return results;
}
