/**
 * One-time Brevo setup: the attributes the field mapping writes must exist with the right types (Brevo silently
 * ignores values of the wrong type, brevo.md §0.5), and the configured lists must exist.
 */
import { EMAIL_TARGET, normaliseTarget } from '../../config/fieldMapping.js';
import { TajoError, type ErrorDetail } from '../../core/errors.js';
import type { BrevoClient, CallOptions } from './client.js';
import { ATTRIBUTE_TYPES } from './types.js';

/** Brevo's types that accept our values for a wanted type (`id` and `text` both hold strings). */
const COMPATIBLE: Record<string, readonly string[]> = {
  text: ['text', 'id'],
  date: ['date'],
  float: ['float'],
  boolean: ['boolean'],
};

/** Brevo's own identifier attributes: checked by Brevo itself (phone format, uniqueness), never judged here. */
const IDENTIFIER_ATTRIBUTES = new Set(['EMAIL', 'SMS', 'WHATSAPP', 'LANDLINE_NUMBER', 'EXT_ID']);

/**
 * Why Brevo would silently ignore this value in a contact write (brevo.md §0.5, §3), or undefined when it takes it:
 * the attribute does not exist, or the value does not match its type (text/id: string or number; float: a number;
 * date: `YYYY-MM-DD`; boolean: JSON true/false). Types Tajo never writes (category, multiple-choice, …) are not judged.
 */
export function attributeValueProblem(name: string, type: string | undefined, value: unknown): 'unknown_attribute' | 'wrong_type' | undefined {
  if (IDENTIFIER_ATTRIBUTES.has(name)) return undefined;
  if (type === undefined) return 'unknown_attribute';
  switch (type) {
    case 'text':
    case 'id':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? undefined : 'wrong_type';
    case 'float':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) ? undefined : 'wrong_type';
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value) ? undefined : 'wrong_type';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'wrong_type';
    default:
      return undefined;
  }
}

export interface AttributePlan {
  create: { name: string; type: string }[];
  ok: string[];
  mismatched: { name: string; want: string; have: string }[];
}

/**
 * Wanted attribute types for a field mapping's targets (`email` is the contact email, not an attribute), named as the
 * sync writes them (`normaliseTarget`: upper-case).
 */
export function wantedAttributes(targets: Iterable<string>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of targets) {
    const name = normaliseTarget(t);
    if (name === EMAIL_TARGET) continue;
    out[name] = ATTRIBUTE_TYPES[name] ?? 'text';
  }
  return { ...out, ...extra };
}

/** Pure: compare wanted types with what the account has. */
export function planAttributes(wanted: Record<string, string>, existing: readonly { name: string; type?: string }[]): AttributePlan {
  const have = new Map(existing.map((a) => [a.name.toUpperCase(), a.type ?? 'text']));
  const plan: AttributePlan = { create: [], ok: [], mismatched: [] };
  for (const [name, want] of Object.entries(wanted)) {
    const t = have.get(name);
    if (t === undefined) plan.create.push({ name, type: want });
    else if ((COMPATIBLE[want] ?? [want]).includes(t)) plan.ok.push(name);
    else plan.mismatched.push({ name, want, have: t });
  }
  return plan;
}

/**
 * Create the missing attributes; a type mismatch is an error (TAJO_BREVO_ATTRIBUTE_TYPE) listing each one,
 * never silently accepted: Brevo would drop every value we send for it.
 */
export async function ensureAttributes(client: BrevoClient, wanted: Record<string, string>, o: CallOptions = {}): Promise<AttributePlan> {
  const plan = planAttributes(wanted, await client.getAttributes(o));
  if (plan.mismatched.length) {
    const details: ErrorDetail[] = plan.mismatched.map((m) => ({ path: `attributes.${m.name}`, message: `exists as ${m.have}, Tajo writes ${m.want}` }));
    throw new TajoError('TAJO_BREVO_ATTRIBUTE_TYPE', `Brevo attribute type mismatch: ${plan.mismatched.map((m) => `${m.name} (${m.have}, want ${m.want})`).join(', ')}`, {
      details,
      hint: 'Change the attribute type in Brevo (Contacts → Settings → Contact attributes) or map the field to another attribute.',
    });
  }
  for (const a of plan.create) await client.createAttribute(a.name, a.type, 'normal', o);
  return plan;
}

/** Find a list by name (in the folder, when given) or create it (and the folder). Returns the list id. */
export async function ensureList(client: BrevoClient, name: string, folderName = 'Tajo', o: CallOptions = {}): Promise<number> {
  const lists = await client.getLists(o);
  const found = lists.find((l) => l.name === name);
  if (found) return found.id;
  const folders = await client.getFolders(o);
  const folderId = folders.find((f) => f.name === folderName)?.id ?? (await client.createFolder(folderName, o));
  return client.createList(name, folderId, o);
}

/** A configured list id must exist (TAJO_BREVO_LIST_MISSING otherwise). */
export async function checkList(client: BrevoClient, id: number, o: CallOptions = {}): Promise<void> {
  const list = await client.getList(id, o);
  if (!list) throw new TajoError('TAJO_BREVO_LIST_MISSING', `Brevo list ${id} does not exist`, { hint: 'Create it in Brevo or fix connectors.twilio_flex.lists.' });
}

/**
 * Every configured list id must exist before anything is written for it: Brevo refuses a contact write naming a
 * missing list, so a sync would dead-letter every contact (`brevo_rejected`). One TAJO_BREVO_LIST_MISSING names them all.
 */
export async function checkConfiguredLists(client: BrevoClient, lists: Readonly<Record<string, number | undefined>>, o: CallOptions = {}): Promise<void> {
  const missing: { key: string; id: number }[] = [];
  for (const [key, id] of Object.entries(lists)) {
    if (id !== undefined && !(await client.getList(id, o))) missing.push({ key, id });
  }
  if (!missing.length) return;
  throw new TajoError('TAJO_BREVO_LIST_MISSING', `Configured Brevo list${missing.length > 1 ? 's do' : ' does'} not exist: ${missing.map((m) => `${m.key} ${m.id}`).join(', ')}`, {
    details: missing.map((m) => ({ path: `connectors.twilio_flex.lists.${m.key}`, message: `Brevo list ${m.id} does not exist` })),
    hint: 'create the lists with `tajo connectors bootstrap twilio-flex --create-lists` and put their ids in lists.*, or fix the ids in tajo.yaml',
  });
}
