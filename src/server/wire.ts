/**
 * Wire-level constants the server shares with its clients (the remote SDK, embedders). Kept apart from the routes so
 * that importing them loads no HTTP framework, signature validator or metrics registry: the CLI's `tajo report` and an
 * SDK without a server import the SDK, which imports these (CLI start-up: see README, bench:report).
 */

/** Request body limit of every Tajo route, and the largest event `handleEvent` takes. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** The `X-Tajo-Sync-Id` a remote client gives its sync (random, so that it may abort that one). */
export const SYNC_ID_HEADER = 'x-tajo-sync-id';

/**
 * A sync asked with `Accept: application/x-ndjson` streams its progress: from its first progress event the answer is
 * 200 `application/x-ndjson`, one JSON object a line: `{"progress": SyncProgressEvent}` for each report, then
 * `{"result": SyncReport}` or `{"error": {code, message, details, hint}}` (the error body of a plain answer) as the last
 * line. A sync that ends before any progress is answered as without the header (its JSON, or its error with its status).
 * While the caller reads slower than they come, only the latest event of each stream (and of delivery) is held and
 * sent when it catches up; warnings and the last line are always sent.
 */
export const SYNC_STREAM_TYPE = 'application/x-ndjson';
