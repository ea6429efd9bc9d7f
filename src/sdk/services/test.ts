/** `connectors.test`: run the checks for an installed connector. */
import type { SdkContext } from '../context.js';
import type { ConnectorId, TestReport } from '../types.js';
import { runBrevoChecks, runTwilioChecks } from './checks.js';
import { loadConnection } from './connection.js';
import type { ProbeOptions } from './vendorProbe.js';

export async function runChecks(ctx: SdkContext, id: ConnectorId, probe?: ProbeOptions): Promise<TestReport> {
  const conn = await loadConnection(ctx, id);
  const lists = ctx.config.connectors.twilio_flex.lists;
  const input = {
    creds: conn.creds,
    baseUrls: conn.baseUrls,
    configuredWorkspaceSid: conn.workspaceSid,
    brevo: conn.brevo,
    lists: {
      ...(lists.support_contacts !== undefined ? { support_contacts: lists.support_contacts } : {}),
      ...(lists.csat_respondents !== undefined ? { csat_respondents: lists.csat_respondents } : {}),
    },
    ...(probe ? { probe } : {}),
  };
  const checks = [...(await runTwilioChecks(input)), ...(await runBrevoChecks(input))];
  return { connector: id, ok: checks.every((c) => c.ok), checks };
}
