/** Brevo's own error bodies (`errorModel` / `contactErrorModel` in the spec). */

export type BrevoErrorCode =
  | 'invalid_parameter'
  | 'missing_parameter'
  | 'out_of_range'
  | 'document_not_found'
  | 'duplicate_parameter'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'permission_denied'
  | 'not_acceptable'
  | 'bad_request'
  // not in the spec's enum; see specs/OVERRIDES.md
  | 'too_many_requests'
  | 'internal_error';

export interface BrevoErrorBody {
  code: BrevoErrorCode;
  message: string;
  metadata?: Record<string, unknown>;
}

/** Thrown by handlers; the pipeline answers `status` with `body`. */
export class BrevoHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: BrevoErrorBody,
  ) {
    super(body.message);
  }
}

export function badRequest(message: string, code: BrevoErrorCode = 'invalid_parameter', metadata?: Record<string, unknown>): BrevoHttpError {
  return new BrevoHttpError(400, { code, message, ...(metadata ? { metadata } : {}) });
}

export function notFound(message: string, code: BrevoErrorCode = 'document_not_found'): BrevoHttpError {
  return new BrevoHttpError(404, { code, message });
}

/** `duplicate_parameter` with `metadata.duplicate_identifiers`, as Brevo answers on identifier clashes. */
export function duplicate(message: string, identifiers: readonly string[]): BrevoHttpError {
  return badRequest(message, 'duplicate_parameter', { duplicate_identifiers: [...identifiers] });
}
