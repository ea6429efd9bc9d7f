import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino redacts wherever they appear in a log object. Secrets are censored; phones and emails
 * are masked by `maskPii` before they are logged (pino's redact cannot mask partially).
 */
export const REDACT_PATHS = [
  'authToken', '*.authToken', 'auth_token', '*.auth_token',
  'apiKeySecret', '*.apiKeySecret', 'api_key_secret', '*.api_key_secret',
  'brevoApiKey', '*.brevoApiKey', 'api_key', '*.api_key', 'apiKey', '*.apiKey',
  'password', '*.password', 'secret', '*.secret', 'masterKey', '*.masterKey', 'token', '*.token',
  'headers.authorization', '*.headers.authorization', 'headers["api-key"]', '*.headers["api-key"]',
  'headers["x-twilio-signature"]', '*.headers["x-twilio-signature"]',
  'req.headers.authorization', 'req.headers["api-key"]', 'req.headers["x-tajo-signature"]',
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
