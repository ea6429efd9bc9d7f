import { TajoError, coerceError } from '../core/errors.js';
import type { CliIo } from './io.js';

/** Object keys that hold secrets: dropped from every `--json` document whatever the command returned. */
const SECRET_KEYS = new Set([
  'authToken', 'auth_token', 'apiKeySecret', 'api_key_secret', 'brevoApiKey', 'brevo_api_key', 'api_key',
  'masterKey', 'master_key', 'password', 'secret', 'authorization',
  // the server's own secrets (config server.*: the Event Streams sink's Basic password, the plugin HMAC, the dashboard)
  'pass', 'plugin_hmac_secret', 'pluginHmacSecret', 'hmacSecret', 'dashboard_token', 'dashboardToken',
]);

const REDACTED = '[redacted]';

/**
 * All CLI output goes through here. Human text by default; with `--json`, stdout carries exactly one JSON
 * document (the result or `{error}`) and human notes go to stderr. Every write is scrubbed of the secret
 * values the process has seen (flags, env, emulator info), so a secret cannot leak by accident.
 */
export class Output {
  private readonly secrets = new Set<string>();
  private documentWritten = false;

  constructor(
    readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** Registers literal secret values to scrub from everything written. */
  addSecrets(...values: (string | undefined | null)[]): void {
    for (const v of values) if (typeof v === 'string' && v.length >= 4) this.secrets.add(v);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** A human line on stdout (stderr in JSON mode, so stdout stays one document). */
  line(text = ''): void {
    const t = this.scrub(`${text}\n`);
    if (this.json) this.io.stderr(t);
    else this.io.stdout(t);
  }

  /** A note for humans only: stderr, both modes. */
  note(text: string): void {
    this.io.stderr(this.scrub(`${text}\n`));
  }

  /** The command's result: JSON document, or the human rendering. */
  result<T>(data: T, human?: (data: T) => string | string[] | void): void {
    if (this.json) {
      this.writeDocument(data);
      return;
    }
    const text = human ? human(data) : JSON.stringify(stripSecrets(data), null, 2);
    if (text === undefined) return;
    for (const l of Array.isArray(text) ? text : [text]) this.line(l);
  }

  /** Writes `text` unscrubbed: only for the emulator's own throwaway credentials (the documented exception). */
  raw(text: string): void {
    this.io.stdout(text);
  }

  error(err: unknown): number {
    const e = toTajoError(err);
    if (this.json && !this.documentWritten) {
      this.writeDocument({ error: { code: e.code, message: e.message, details: [...e.details], ...(e.hint ? { hint: e.hint } : {}) } });
    } else if (this.json) {
      this.note(JSON.stringify({ error: { code: e.code, message: e.message } }));
    } else {
      // A message that lists its details (config errors: one line each) shows its head only: details follow once.
      const message = e.details.length ? (e.message.split('\n')[0] ?? e.message) : e.message;
      const lines = [`error[${e.code}]: ${message}`];
      for (const d of e.details) lines.push(`  ${d.path ?? ''}${d.line !== undefined ? ` (line ${d.line})` : ''}${d.path || d.line !== undefined ? ': ' : ''}${d.message}`);
      if (e.hint) lines.push(`hint: ${e.hint}`);
      this.io.stderr(this.scrub(`${lines.join('\n')}\n`));
    }
    return e.exitCode;
  }

  private writeDocument(data: unknown): void {
    this.documentWritten = true;
    this.io.stdout(this.scrub(`${JSON.stringify(stripSecrets(data))}\n`));
  }
}

/** Deep copy without secret-named keys. */
export function stripSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // a value already "[redacted]" stays, so a reader sees the secret is set (`tajo config check`)
    for (const [k, v] of Object.entries(value)) if ((!SECRET_KEYS.has(k) || v === REDACTED) && v !== undefined) out[k] = stripSecrets(v);
    return out;
  }
  return value;
}

export function toTajoError(err: unknown): TajoError {
  if (err instanceof TajoError) return err;
  const e = coerceError(err);
  return new TajoError('TAJO_INTERNAL', `Internal error: ${e.message}`, { cause: e, hint: 'run again with --log-level debug; report it if it persists' });
}
