/**
 * The one error catalogue. Every expected failure in Tajo carries one of these stable codes.
 * Codes are never reused or renamed; add new ones at the end of their group.
 *
 * - `status`: HTTP status the webhook server / management API answers with.
 * - `exit`: process exit code the CLI uses (sysexits-style groups).
 * - `retryable`: whether the engine may retry the operation that produced it.
 */
export const ERRORS = {
  // configuration and usage (exit 64/78)
  TAJO_CONFIG_INVALID: { status: 400, exit: 78, retryable: false, message: 'Configuration is invalid' },
  TAJO_CONFIG_NOT_FOUND: { status: 400, exit: 78, retryable: false, message: 'Configuration file not found' },
  TAJO_CONFIG_ENV_MISSING: { status: 400, exit: 78, retryable: false, message: 'Environment variable referenced by the configuration is not set' },
  TAJO_USAGE: { status: 400, exit: 64, retryable: false, message: 'Invalid command usage' },
  TAJO_CONNECTOR_NOT_INSTALLED: { status: 404, exit: 69, retryable: false, message: 'Connector is not installed' },
  TAJO_CONNECTOR_UNKNOWN: { status: 404, exit: 64, retryable: false, message: 'Unknown connector' },
  TAJO_CLIENT_CLOSED: { status: 503, exit: 70, retryable: false, message: 'The Tajo client was closed: create a new TajoClient to go on' },
  TAJO_CONNECTOR_DISABLED: { status: 409, exit: 78, retryable: false, message: 'Connector is disabled in the configuration (enabled: false)' },
  TAJO_CREDENTIAL_OVERRIDDEN: { status: 409, exit: 78, retryable: false, message: 'The configuration (tajo.yaml or an SDK option) sets this credential and takes precedence over stored credentials' },
  TAJO_CONNECTOR_ACCOUNT_CHANGED: { status: 409, exit: 78, retryable: false, message: 'The connector is installed here for another Twilio account or TaskRouter workspace' },
  TAJO_PERSON_NOT_FOUND: { status: 404, exit: 65, retryable: false, message: "No customer in Tajo's store has this phone, email, WhatsApp number or chat identity" },
  TAJO_DEAD_LETTER_FORGOTTEN: { status: 409, exit: 65, retryable: false, message: 'The dead letter names a person `tajo forget` erased: replaying it would bring their data back' },
  // credentials and store (exit 74/77)
  TAJO_MASTER_KEY_INVALID: { status: 500, exit: 78, retryable: false, message: 'TAJO_MASTER_KEY must be 32 bytes, base64 or hex encoded' },
  TAJO_CREDENTIALS_DECRYPT: { status: 500, exit: 77, retryable: false, message: 'Stored credentials cannot be decrypted with this master key' },
  TAJO_STORE_UNAVAILABLE: { status: 503, exit: 74, retryable: true, message: 'State store is unavailable' },
  TAJO_STORE_MIGRATION: { status: 500, exit: 74, retryable: false, message: 'State store migration failed' },
  TAJO_CHECKPOINT_CONFLICT: { status: 409, exit: 75, retryable: true, message: 'Checkpoint was updated by another process' },
  TAJO_LEASE_HELD: { status: 409, exit: 75, retryable: true, message: 'Another process holds the lease for this stream' },
  TAJO_MESSAGE_BODY_KEY_MISSING: { status: 500, exit: 78, retryable: false, message: 'message_bodies: hashed needs the key derived from the master key, and none was given' },
  TAJO_CUSTOMER_CONFLICT: { status: 409, exit: 75, retryable: true, message: 'Customer rows were re-derived by another process since they were read' },
  TAJO_STORE_COPY_CONFLICT: { status: 409, exit: 65, retryable: false, message: 'The target database holds other versions of rows being copied into it' },
  TAJO_MASTER_KEY_MISSING: { status: 500, exit: 77, retryable: false, message: 'No master key (TAJO_MASTER_KEY or master.key in the data directory) to open the stored credentials with' },
  // vendor APIs (exit 69/75/77)
  TAJO_TWILIO_AUTH: { status: 502, exit: 77, retryable: false, message: 'Twilio rejected the credentials (401): verify the Account SID and Auth Token / API key' },
  TAJO_TWILIO_FORBIDDEN: { status: 502, exit: 77, retryable: false, message: 'Twilio refused access (403): Flex is not enabled on this account' },
  TAJO_TWILIO_NOT_FOUND: { status: 502, exit: 69, retryable: false, message: 'Twilio resource not found (404)' },
  TAJO_TWILIO_RATE_LIMITED: { status: 503, exit: 75, retryable: true, message: 'Twilio rate limit reached (429)' },
  TAJO_TWILIO_UNAVAILABLE: { status: 503, exit: 75, retryable: true, message: 'Twilio is unavailable (5xx or timeout)' },
  TAJO_TWILIO_BAD_RESPONSE: { status: 502, exit: 69, retryable: false, message: 'Twilio answered with an unexpected response' },
  TAJO_WORKSPACE_MISMATCH: { status: 409, exit: 78, retryable: false, message: 'Configured TaskRouter workspace differs from the one in Flex Configuration' },
  TAJO_BREVO_AUTH: { status: 502, exit: 77, retryable: false, message: 'Brevo rejected the API key (401)' },
  TAJO_BREVO_RATE_LIMITED: { status: 503, exit: 75, retryable: true, message: 'Brevo rate limit reached (429)' },
  TAJO_BREVO_UNAVAILABLE: { status: 503, exit: 75, retryable: true, message: 'Brevo is unavailable (5xx or timeout)' },
  TAJO_BREVO_REJECTED: { status: 502, exit: 65, retryable: false, message: 'Brevo rejected the request (4xx)' },
  TAJO_BREVO_LIST_MISSING: { status: 409, exit: 78, retryable: false, message: 'Configured Brevo list does not exist' },
  TAJO_BREVO_ATTRIBUTE_TYPE: { status: 409, exit: 78, retryable: false, message: 'Brevo attribute exists with a different type' },
  TAJO_BREVO_ATTRIBUTE_MISSING: { status: 409, exit: 78, retryable: false, message: 'Brevo has no contact attribute of that name' },
  TAJO_SERVER_UNAVAILABLE: { status: 503, exit: 75, retryable: true, message: "The Tajo server (a remote client's baseUrl) gave no usable answer: connection refused, no answer in time, a gateway error, or an answer past the size limit" },
  // inbound webhooks (4xx, never 5xx unless the store is down)
  TAJO_WEBHOOK_SIGNATURE_MISSING: { status: 403, exit: 65, retryable: false, message: 'X-Twilio-Signature header is missing' },
  TAJO_WEBHOOK_SIGNATURE_INVALID: { status: 403, exit: 65, retryable: false, message: 'X-Twilio-Signature does not match' },
  TAJO_WEBHOOK_UNAUTHENTICATED: { status: 401, exit: 65, retryable: false, message: 'Request is not authenticated' },
  TAJO_WEBHOOK_CONTENT_TYPE: { status: 415, exit: 65, retryable: false, message: 'Unsupported content type' },
  TAJO_WEBHOOK_BODY_TOO_LARGE: { status: 413, exit: 65, retryable: false, message: 'Request body is too large' },
  TAJO_WEBHOOK_MALFORMED: { status: 400, exit: 65, retryable: false, message: 'Request body is malformed' },
  TAJO_WEBHOOK_RATE_LIMITED: { status: 429, exit: 75, retryable: true, message: 'Too many requests from this source' },
  TAJO_API_KEY_INVALID: { status: 401, exit: 77, retryable: false, message: 'Tajo API key is missing, wrong or revoked' },
  TAJO_DASHBOARD_TOKEN: { status: 401, exit: 77, retryable: false, message: 'Dashboard token is missing or wrong (server.dashboard_token, as a Bearer token or ?token=)' },
  TAJO_ROUTE_NOT_FOUND: { status: 404, exit: 64, retryable: false, message: 'No such route' },
  TAJO_WEBHOOK_BODY_CONSUMED: { status: 500, exit: 70, retryable: false, message: "The request body was already read by another body parser: mount Tajo's handler before any body parser (signatures need the raw body)" },
  // records (dead-letter reasons are separate: see engine/deadLetterReasons.ts)
  TAJO_RECORD_INVALID: { status: 422, exit: 65, retryable: false, message: 'Record cannot be mapped' },
  TAJO_INTERNAL: { status: 500, exit: 70, retryable: false, message: 'Internal error' },
} as const satisfies Record<string, { status: number; exit: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorDetail {
  /** Where the problem is (a YAML path, a header, a field). */
  path?: string;
  line?: number;
  message: string;
}

/** An expected failure, carrying a stable code. Never put secrets in `message` or `details`. */
export class TajoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: number;
  readonly retryable: boolean;
  readonly details: readonly ErrorDetail[];
  /** A suggested fix for humans (CLI prints it after the message). */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message?: string, opts: { details?: ErrorDetail[]; hint?: string; cause?: unknown } = {}) {
    const def = ERRORS[code];
    super(message ?? def.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TajoError';
    this.code = code;
    this.status = def.status;
    this.exitCode = def.exit;
    this.retryable = def.retryable;
    this.details = Object.freeze([...(opts.details ?? [])]);
    this.hint = opts.hint;
  }

  toJSON(): { code: ErrorCode; message: string; details?: readonly ErrorDetail[]; hint?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.details.length ? { details: this.details } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

export function isTajoError(err: unknown, code?: ErrorCode): err is TajoError {
  return err instanceof TajoError && (code === undefined || err.code === code);
}

/** Normalise anything thrown into an Error (graphile-worker's coerceError). */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
