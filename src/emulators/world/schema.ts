/**
 * The emulated Twilio world, kept in SQLite (in memory for small scales, a file on disk for large ones).
 * The generator writes these tables; the Twilio emulator serves them in the vendor's response shapes.
 * All times are emulated epoch milliseconds. JSON columns hold strings exactly as Twilio would return them
 * (task `attributes` may be malformed on purpose).
 */
export const WORLD_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (sid TEXT PRIMARY KEY, friendly_name TEXT NOT NULL, available INTEGER NOT NULL, date_created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS task_channels (sid TEXT PRIMARY KEY, unique_name TEXT NOT NULL, friendly_name TEXT NOT NULL, date_created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS workflows (sid TEXT PRIMARY KEY, friendly_name TEXT NOT NULL, date_created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS task_queues (sid TEXT PRIMARY KEY, friendly_name TEXT NOT NULL, target_workers TEXT NOT NULL, task_order TEXT NOT NULL DEFAULT 'FIFO', date_created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
  sid TEXT PRIMARY KEY, friendly_name TEXT NOT NULL, attributes TEXT NOT NULL,
  activity_sid TEXT NOT NULL, date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL, date_status_changed_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  sid TEXT PRIMARY KEY, attributes TEXT NOT NULL, assignment_status TEXT NOT NULL,
  task_channel_unique_name TEXT NOT NULL, task_queue_sid TEXT NOT NULL, workflow_sid TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0, reason TEXT, timeout INTEGER NOT NULL DEFAULT 86400,
  date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL, task_queue_entered_ms INTEGER,
  -- when the task reached completed/canceled; Twilio deletes such tasks after a retention period
  ended_ms INTEGER);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (date_created_ms, sid);
CREATE TABLE IF NOT EXISTS reservations (
  sid TEXT PRIMARY KEY, task_sid TEXT NOT NULL, worker_sid TEXT NOT NULL, reservation_status TEXT NOT NULL,
  date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS reservations_task ON reservations (task_sid);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, event_date_ms INTEGER NOT NULL,
  resource_type TEXT NOT NULL, resource_sid TEXT NOT NULL, actor_type TEXT NOT NULL, actor_sid TEXT NOT NULL,
  description TEXT NOT NULL,
  task_sid TEXT, reservation_sid TEXT, worker_sid TEXT, task_queue_sid TEXT, workflow_sid TEXT, task_channel TEXT,
  -- JSON object, snake_case keys as in the Events API (task_attributes is a JSON string inside it)
  event_data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_date ON events (event_date_ms, sid);
CREATE INDEX IF NOT EXISTS events_task ON events (task_sid);
CREATE INDEX IF NOT EXISTS events_reservation ON events (reservation_sid);
CREATE TABLE IF NOT EXISTS conversations (
  sid TEXT PRIMARY KEY, chat_service_sid TEXT NOT NULL, messaging_service_sid TEXT, friendly_name TEXT, unique_name TEXT,
  attributes TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL,
  date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL, date_inactive_ms INTEGER, date_closed_ms INTEGER);
CREATE INDEX IF NOT EXISTS conversations_created ON conversations (date_created_ms, sid);
CREATE TABLE IF NOT EXISTS participants (
  sid TEXT PRIMARY KEY, conversation_sid TEXT NOT NULL, identity TEXT, messaging_binding TEXT,
  attributes TEXT NOT NULL DEFAULT '{}', role_sid TEXT, date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS participants_conv ON participants (conversation_sid, date_created_ms);
CREATE TABLE IF NOT EXISTS messages (
  sid TEXT PRIMARY KEY, conversation_sid TEXT NOT NULL, idx INTEGER NOT NULL, author TEXT NOT NULL, body TEXT,
  participant_sid TEXT, attributes TEXT NOT NULL DEFAULT '{}', date_created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_conv ON messages (conversation_sid, idx);
CREATE TABLE IF NOT EXISTS flex_channels (
  sid TEXT PRIMARY KEY, flex_flow_sid TEXT NOT NULL, user_sid TEXT NOT NULL, task_sid TEXT,
  date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS interactions (sid TEXT PRIMARY KEY, channel TEXT NOT NULL, routing TEXT NOT NULL, interaction_context_sid TEXT, webhook_ttid TEXT);
CREATE TABLE IF NOT EXISTS sinks (sid TEXT PRIMARY KEY, description TEXT NOT NULL, sink_type TEXT NOT NULL, sink_configuration TEXT NOT NULL, status TEXT NOT NULL, date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (sid TEXT PRIMARY KEY, sink_sid TEXT NOT NULL, description TEXT NOT NULL, types TEXT NOT NULL, date_created_ms INTEGER NOT NULL, date_updated_ms INTEGER NOT NULL);
`;

/** Keys of the `meta` table. */
export type WorldMetaKey =
  | 'account_sid' | 'auth_token' | 'api_key_sid' | 'api_key_secret' | 'flex_flow_sid' | 'workspace_sid'
  | 'workspace_name' | 'chat_service_sid' | 'flex_instance_sid' | 'messaging_service_sid' | 'workflow_sid'
  | 'seed' | 'scale' | 'now_ms' | 'brevo_api_key';
