import { timingSafeEqual } from 'node:crypto';
import { BrevoHttpError } from './errors.js';

/** Brevo authenticates with the `api-key` header ([SPEC] securitySchemes.api-key). */
export function checkApiKey(header: string | string[] | undefined, apiKey: string): void {
  const given = Buffer.from(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''));
  const want = Buffer.from(apiKey);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new BrevoHttpError(401, { code: 'unauthorized', message: 'Key not found' });
  }
}
