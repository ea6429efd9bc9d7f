import { z } from 'zod';

/** Shared pieces of the webhook validators. Twilio SIDs are 2 letters + 32 hex (twilio.md §1). */
export const sidOf = (...prefixes: string[]) => z.string().regex(new RegExp(`^(${prefixes.join('|')})[0-9a-fA-F]{32}$`), { message: `must be a ${prefixes.join('/')} SID` });

/** A bounded string (no unbounded fields reach the store). */
export const text = (max = 1024) => z.string().max(max);

/** A point in time: ISO 8601 text, epoch milliseconds as digits, or an epoch-milliseconds number. */
export const instant = z.union([
  text(64).refine((s) => /^\d{1,15}$/.test(s) || (/^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(Date.parse(s))), { message: 'not a time (ISO 8601, or epoch milliseconds)' }),
  z.number().int().nonnegative().max(8.64e15),
]);

/** A JSON-in-string attribute blob, or (from the Flex UI, `ITask.attributes`) an object. */
export const attributesField = z.union([z.string().max(256 * 1024), z.record(z.string(), z.unknown())]);

/** A first-issue summary of a zod failure, safe to return (no input echoed). */
export function zodSummary(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid body';
  const path = issue.path.map(String).join('.') || '(root)';
  return `${path}: ${issue.message}`.slice(0, 300);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, message: zodSummary(r.error) };
}

/** JSON.parse of a raw body without throwing. */
export function parseJson(raw: Buffer): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, message: 'body is not valid JSON' };
  }
}
