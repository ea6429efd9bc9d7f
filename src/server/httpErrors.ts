import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ERRORS, TajoError, isTajoError, type ErrorCode, type ErrorDetail } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** Every error the server answers has this body, with the catalogue status of `code`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: readonly ErrorDetail[]; hint?: string };
}

/** What an answer may carry beyond code and message: a TajoError's details and hint (never secrets: see TajoError). */
export interface ErrorExtra {
  details?: readonly ErrorDetail[] | undefined;
  hint?: string | undefined;
}

export function errorBody(code: ErrorCode, message?: string, extra: ErrorExtra = {}): ErrorBody {
  return {
    error: {
      code,
      message: message ?? ERRORS[code].message,
      ...(extra.details && extra.details.length ? { details: extra.details } : {}),
      ...(extra.hint ? { hint: extra.hint } : {}),
    },
  };
}

export function replyError(reply: FastifyReply, code: ErrorCode, message?: string, extra?: ErrorExtra): FastifyReply {
  return reply.code(ERRORS[code].status).type('application/json').send(errorBody(code, message, extra));
}

/** Fastify's own error codes (content-type parser, body limit, routing) mapped to the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'TAJO_WEBHOOK_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TAJO_WEBHOOK_CONTENT_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'TAJO_WEBHOOK_CONTENT_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TAJO_WEBHOOK_MALFORMED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TAJO_WEBHOOK_MALFORMED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TAJO_WEBHOOK_MALFORMED',
  FST_ERR_BAD_URL: 'TAJO_WEBHOOK_MALFORMED',
  FST_ERR_ASYNC_CONSTRAINT: 'TAJO_WEBHOOK_MALFORMED',
  FST_ERR_VALIDATION: 'TAJO_WEBHOOK_MALFORMED',
};

/** Maps anything thrown in a request to a coded error. Unknown 4xx → malformed; unknown others → internal. */
export function toHttpError(err: unknown): TajoError {
  if (isTajoError(err)) return err;
  const fe = err as Partial<FastifyError> | undefined;
  const mapped = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new TajoError(mapped);
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 413) return new TajoError('TAJO_WEBHOOK_BODY_TOO_LARGE');
  if (status === 415) return new TajoError('TAJO_WEBHOOK_CONTENT_TYPE');
  if (status === 429) return new TajoError('TAJO_WEBHOOK_RATE_LIMITED');
  if (status >= 400 && status < 500) return new TajoError('TAJO_WEBHOOK_MALFORMED');
  return new TajoError('TAJO_INTERNAL', undefined, { cause: err });
}

/**
 * The answer for anything a request handler caught — for your own routes too (README, express example): a TajoError
 * keeps its catalogue status, code, message, details and hint; a body parser's or framework's HTTP error (express.json,
 * fastify) becomes its coded 4xx with the catalogue message (theirs may echo input); anything else is a bare 500
 * TAJO_INTERNAL (never its message or stack).
 */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  const te = toHttpError(err);
  const own = isTajoError(err) && te.code !== 'TAJO_INTERNAL';
  return { status: te.status, body: own ? errorBody(te.code, te.message, { details: te.details, hint: te.hint }) : errorBody(te.code) };
}

/** Installs the coded error handler (and, on a root instance, the coded 404) on an encapsulation context. */
export function installErrorHandling(app: FastifyInstance, logger: Logger, onError?: (code: ErrorCode, route: string) => void, notFound = false): void {
  app.setErrorHandler((err, request, reply) => {
    const te = toHttpError(err);
    // the path only: a query string may carry a credential (the dashboard API's `?token=`)
    if (te.code === 'TAJO_INTERNAL') logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err), method: request.method, path: request.url.split('?')[0] }, 'unhandled error in request');
    onError?.(te.code, request.routeOptions.url ?? 'unknown');
    // Messages of mapped fastify errors may echo input; answer with the catalogue message instead. A TajoError's own
    // message, details and hint are sent as written (the catalogue's rule: never secrets in them); an internal error's never.
    const { status, body } = errorResponse(err);
    return reply.code(status).type('application/json').send(body);
  });
  // a 404 handler belongs to the root context only (a plugin mounted by users must not claim theirs)
  if (notFound) app.setNotFoundHandler((request, reply) => replyError(reply, 'TAJO_ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`.slice(0, 200)));
}
