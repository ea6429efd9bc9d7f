import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Field names that carry a credential wherever they are logged: vendor credentials (Twilio auth token and API key
 * secret, Brevo key), the master key, and the server's own secrets (sink Basic pass, plugin HMAC secret, dashboard
 * token, an agent's Flex token, Tajo API keys), in the spellings the code and the config use.
 */
const SECRET_FIELDS = [
  'authToken', 'auth_token', 'twilioAuthToken', 'apiKeySecret', 'api_key_secret', 'brevoApiKey', 'api_key', 'apiKey',
  'password', 'pass', 'secret', 'hmacSecret', 'pluginHmacSecret', 'plugin_hmac_secret', 'masterKey', 'master_key',
  'token', 'dashboardToken', 'dashboard_token', 'flexToken',
];

/** Request headers that carry a credential (Node lower-cases received ones; a fetch init may spell them capitalised). */
const SECRET_HEADERS = ['authorization', 'Authorization', 'api-key', 'x-twilio-signature', 'x-tajo-signature', 'x-flex-token', 'cookie'];

/**
 * Paths pino redacts wherever they appear in a log object, up to two levels down (`server.sink_basic_auth.pass`,
 * `req.headers.authorization`). Secrets are censored; phones and emails are masked by `maskPii` before they are logged
 * (pino's redact cannot mask partially).
 */
export const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  ...SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`, `*.*.headers["${h}"]`]),
];

export interface LoggerOpts {
  level?: LoggerOptions['level'];
  /** Extra literal secret values to scrub from any string field (e.g. the loaded credentials). */
  name?: string;
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOpts = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.TAJO_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: opts.name ? { name: opts.name } : null,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options, pino.destination(2));
}

/** A logger that writes nothing (tests, embedded SDK without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** `+14155550123` → `+1415•••0123`; `jane.doe@x.com` → `j•••@x.com`. */
export function maskPhone(phone: string): string {
  if (phone.length <= 6) return '•••';
  return `${phone.slice(0, 5)}•••${phone.slice(-4)}`;
}

export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at <= 0) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}

/** Mask an identifier of unknown kind (ext_id): phone, email or chat identity. */
export function maskPii(value: string): string {
  if (value.includes('@')) return maskEmail(value);
  if (/^\+?\d[\d\s()-]{5,}$/.test(value)) return maskPhone(value);
  if (value.startsWith('chat:')) return `chat:${value.slice(5, 7)}•••`;
  return value.length > 4 ? `${value.slice(0, 2)}•••` : '•••';
}
