import type { ErrorObject, ValidateFunction } from 'ajv';
import { badRequest, type BrevoErrorCode, type BrevoHttpError } from './errors.js';

/** `/contacts/0/email` → `contacts[0].email`. */
export function fieldPath(instancePath: string, prefix = ''): string {
  const parts = instancePath.split('/').filter(Boolean);
  let out = prefix;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

const RANGE_KEYWORDS = new Set(['minItems', 'maxItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'maxLength', 'maxProperties']);

/** Pick the most informative ajv error: the deepest one, preferring concrete keywords over `anyOf` summaries. */
function pick(errors: readonly ErrorObject[]): ErrorObject {
  let best = errors[0] as ErrorObject;
  const score = (e: ErrorObject) => e.instancePath.split('/').length * 10 + (e.keyword === 'anyOf' ? 0 : e.keyword === 'required' ? 1 : 2);
  for (const e of errors) if (score(e) > score(best)) best = e;
  return best;
}

/**
 * Map ajv errors to Brevo's error body: a missing field → `missing_parameter`, a size/range violation →
 * `out_of_range`, anything else → `invalid_parameter`. (The codes are Brevo's; the wording is the emulator's.)
 */
export function toBrevoError(errors: readonly ErrorObject[] | null | undefined, prefix = ''): BrevoHttpError {
  if (!errors || errors.length === 0) return badRequest('Invalid request');
  const anyOfRoot = errors.find((e) => e.keyword === 'anyOf');
  const requiredOnly = errors.filter((e) => e.keyword !== 'anyOf').every((e) => e.keyword === 'required');
  if (anyOfRoot && requiredOnly) {
    const names = errors.filter((e) => e.keyword === 'required').map((e) => String(e.params.missingProperty));
    const where = fieldPath(anyOfRoot.instancePath, prefix);
    return badRequest(`${where ? `${where}: ` : ''}one of ${names.join(', ')} is required`, 'missing_parameter');
  }
  const e = pick(errors);
  const field = fieldPath(e.instancePath, prefix);
  let code: BrevoErrorCode = 'invalid_parameter';
  let message: string;
  if (e.keyword === 'required') {
    code = 'missing_parameter';
    const name = fieldPath(`${e.instancePath}/${String(e.params.missingProperty)}`, prefix);
    message = `${name} is missing`;
  } else if (e.keyword === 'minProperties' && e.params.limit === 1) {
    code = 'missing_parameter';
    message = `${field} must contain at least one property`;
  } else if (e.keyword === 'minItems' && e.params.limit === 1) {
    code = 'missing_parameter';
    message = `${field} must not be empty`;
  } else {
    if (RANGE_KEYWORDS.has(e.keyword) || e.keyword === 'minItems') code = 'out_of_range';
    message = `${field || 'body'} ${e.message ?? 'is invalid'}`;
    if (e.keyword === 'enum') message += `: ${(e.params.allowedValues as unknown[]).join(', ')}`;
  }
  return badRequest(message, code);
}

/** Validate or throw the Brevo error for the first problem. */
export function check(validate: ValidateFunction | undefined, value: unknown, prefix = ''): void {
  if (validate && !validate(value)) throw toBrevoError(validate.errors, prefix);
}

/** Parse a JSON request body the way Brevo answers (400 invalid_parameter on malformed JSON). */
export function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw badRequest('Input must be a valid JSON object', 'invalid_parameter');
  }
}
