/**
 * `field_mapping` targets, normalised one way everywhere (config load, contact derivation, Brevo bootstrap).
 * Brevo attribute names are upper-case (specs/OVERRIDES.md: "The attribute's parameter should be passed in capital
 * letter"), start with a letter and hold letters, digits, `-` and `_`. Two targets are special: `email` (the contact's
 * email, not an attribute) and `SMS` (the E.164 phone), matched whatever their case.
 */

export const EMAIL_TARGET = 'email';
export const SMS_TARGET = 'SMS';

/** Brevo attribute names (after upper-casing). */
export const ATTRIBUTE_NAME_RE = /^[A-Z][A-Z0-9_-]*$/;

/** The normal form of a target: `email`, `SMS`, or the upper-cased attribute name. */
export function normaliseTarget(target: string): string {
  const t = target.trim();
  if (t.toLowerCase() === EMAIL_TARGET) return EMAIL_TARGET;
  return t.toUpperCase();
}

/** Why a target cannot be a Brevo contact field, or undefined when it can. */
export function targetProblem(target: string): string | undefined {
  const t = normaliseTarget(target);
  if (t === EMAIL_TARGET || t === SMS_TARGET) return undefined;
  if (!ATTRIBUTE_NAME_RE.test(t)) {
    return `"${target}" is not a Brevo attribute name: start with a letter, then letters, digits, - and _ only (or use email / SMS)`;
  }
  return undefined;
}
