import type { Attribute, AttrValue, IgnoredAttribute } from './types.js';

export type Coerced = { ok: true; value: AttrValue | null } | { ok: false; reason: IgnoredAttribute['reason'] };

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const NUMERIC_RE = /^-?\d+(\.\d+)?$/;

function isCalendarDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Brevo: "Values that don't match the attribute type (e.g. text or string in a date attribute) will be ignored"
 * [SPEC createContact.attributes]. The emulator's reading of "match", per type:
 * - text / user / id: string, or a finite number (stored as its string form);
 * - float: finite number, or a numeric string such as "12.5" (stored as a number);
 * - date: a real calendar date `YYYY-MM-DD` (brevo.md §3; anything else is ignored, never reformatted);
 * - boolean: JSON `true`/`false` only (strings are ignored, sendinblue/APIv3-java-library#30);
 * - category: an enumeration value (integer) or its label; multiple-choice: strings among the options.
 * An empty string clears the value (`null`). Attributes of category calculated/global cannot be set.
 */
export function coerceAttributeValue(attr: Attribute, raw: unknown): Coerced {
  if (attr.category === 'calculated' || attr.category === 'global') return { ok: false, reason: 'not_settable' };
  if (raw === '' || raw === null) return { ok: true, value: null };
  const type = attr.type ?? (attr.category === 'category' ? 'category' : 'text');
  switch (type) {
    case 'text':
    case 'user':
    case 'id':
      if (typeof raw === 'string') return { ok: true, value: raw };
      if (typeof raw === 'number' && Number.isFinite(raw)) return { ok: true, value: String(raw) };
      return { ok: false, reason: 'wrong_type' };
    case 'float':
      if (typeof raw === 'number' && Number.isFinite(raw)) return { ok: true, value: raw };
      if (typeof raw === 'string' && NUMERIC_RE.test(raw.trim())) return { ok: true, value: Number(raw.trim()) };
      return { ok: false, reason: 'wrong_type' };
    case 'date':
      if (typeof raw === 'string' && isCalendarDate(raw)) return { ok: true, value: raw };
      return { ok: false, reason: typeof raw === 'string' ? 'invalid_date' : 'wrong_type' };
    case 'boolean':
      return typeof raw === 'boolean' ? { ok: true, value: raw } : { ok: false, reason: 'wrong_type' };
    case 'category': {
      const e = (attr.enumeration ?? []).find((x) => x.value === raw || x.label === raw);
      return e ? { ok: true, value: e.value } : { ok: false, reason: 'wrong_type' };
    }
    case 'multiple-choice': {
      const opts = attr.multiCategoryOptions ?? [];
      const vals = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : undefined;
      if (!vals || !vals.every((v) => typeof v === 'string' && opts.includes(v))) return { ok: false, reason: 'wrong_type' };
      return { ok: true, value: vals as string[] };
    }
  }
}

/** Brevo's default contact attributes, as new accounts have them (category normal). */
export function defaultAttributes(): Attribute[] {
  return ['FIRSTNAME', 'LASTNAME', 'SMS', 'WHATSAPP', 'LANDLINE_NUMBER', 'EXT_ID'].map((name) => ({ name, category: 'normal', type: 'text' }));
}
