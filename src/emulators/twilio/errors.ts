import type { FastifyReply } from 'fastify';

/** Twilio's legacy error body (docs/twilio.md §8). */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export function sendError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(twilioError(status, code, message));
}

export const notFound = (reply: FastifyReply, path: string): FastifyReply =>
  sendError(reply, 404, 20404, `The requested resource ${path} was not found`);

export const badRequest = (reply: FastifyReply, message: string): FastifyReply => sendError(reply, 400, 20001, message);

const CODES: Record<number, [number, string]> = {
  400: [20001, 'Bad Request'],
  401: [20003, 'Authenticate'],
  403: [20403, 'Forbidden'],
  404: [20404, 'Not Found'],
  429: [20429, 'Too Many Requests'],
  500: [20500, 'Internal Server Error'],
  503: [20503, 'Service Unavailable'],
};

/** Twilio error code for a status produced by a fault rule (20500/20503 follow third-party mocks; unverified). */
export function codeForStatus(status: number): number {
  return CODES[status]?.[0] ?? 20000 + status;
}

export function messageForStatus(status: number): string {
  return CODES[status]?.[1] ?? (status >= 500 ? 'Service Error' : 'Client Error');
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: number, message: string) {
    super(message);
  }
}
