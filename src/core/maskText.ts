import { maskEmail, maskPhone } from './logger.js';

/** An e-mail address inside free text (local part, `@`, a dotted domain with a 2+ letter TLD). */
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/**
 * A phone number inside free text: an optional `+` then 7 to 15 digits (E.164 has at most 15), separated by at most
 * one space, `.`, `-` or parenthesis run between digits; not glued to letters or other digits.
 */
const PHONE_IN_TEXT = /(?<![\p{L}\p{N}+])\+?\(?\d(?:[ .\-()]{0,2}\d){6,14}(?![\p{L}\p{N}])/gu;
/** ISO dates (`2026-06-01`) look like phone digit runs: left as they are. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Masks the e-mail addresses and phone numbers found inside free text the way the logger masks identifiers
 * (`maskEmail`, `maskPhone`): `jane.doe@x.com` → `j•••@x.com`, `+1 (415) 555-0123` → `+1415•••0123`. A phone is
 * compacted to its digits (and leading `+`) first. `maskPhone` keeps 9 characters, so it is used only where it hides
 * at least 3 (12+ characters, an E.164 number); shorter numbers keep their last 4 digits (`415-555-0123` →
 * `•••0123`), and fewer than 10 digits are masked whole (`•••`). Errs on the side of masking (long order numbers
 * are masked too).
 */
export function maskPiiInText(text: string): string {
  return text
    .replace(EMAIL_IN_TEXT, (m) => maskEmail(m))
    .replace(PHONE_IN_TEXT, (m) => {
      if (ISO_DATE.test(m)) return m;
      const compact = m.replace(/[^\d+]/g, '');
      const digits = compact.replace(/\D/g, '').length;
      if (compact.length >= 12) return maskPhone(compact);
      return digits >= 10 ? `•••${compact.slice(-4)}` : '•••';
    });
}
