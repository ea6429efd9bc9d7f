import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { WORLD_DDL, type WorldMetaKey } from '../world/schema.js';
import type { WorldInfo } from './types.js';

/** Reads one `meta` value. */
export function metaValue(db: Database, key: WorldMetaKey): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

/** A stable SID derived from a seed string (used only when the world does not name one). */
export function derivedSid(prefix: string, seed: string): string {
  return prefix + createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

/**
 * The account-level SIDs, from the world's `meta` table. Missing ones are derived from the account SID
 * and written back, so every response of a run names the same resources.
 */
export function readWorldInfo(db: Database, accountSid: string): WorldInfo {
  db.exec(WORLD_DDL);
  const get = (key: WorldMetaKey, dflt: () => string): string => {
    const v = metaValue(db, key);
    if (v) return v;
    const d = dflt();
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, d);
    return d;
  };
  const firstWorkflow = db.prepare('SELECT sid FROM workflows ORDER BY date_created_ms, sid LIMIT 1').get() as { sid: string } | undefined;
  return {
    accountSid,
    workspaceSid: get('workspace_sid', () => derivedSid('WS', `${accountSid}/workspace`)),
    workspaceName: get('workspace_name', () => 'Flex Task Assignment'),
    chatServiceSid: get('chat_service_sid', () => derivedSid('IS', `${accountSid}/chat`)),
    flexInstanceSid: get('flex_instance_sid', () => derivedSid('GO', `${accountSid}/flex`)),
    messagingServiceSid: get('messaging_service_sid', () => derivedSid('MG', `${accountSid}/messaging`)),
    workflowSid: metaValue(db, 'workflow_sid') ?? firstWorkflow?.sid ?? null,
    flexFlowSid: get('flex_flow_sid', () => derivedSid('FO', `${accountSid}/flexflow`)),
  };
}
