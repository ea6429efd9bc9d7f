/** Valid phone numbers (checked with awesome-phonenumber) and the formatted variants customers type. */
import { parsePhoneNumber } from 'awesome-phonenumber';
import type { Rng } from './ids.js';

export type Country = 'US' | 'GB' | 'FR' | 'DE';

const US_AREAS = ['206', '212', '213', '214', '303', '305', '312', '404', '415', '503', '512', '602', '617', '646', '702', '718', '720', '818', '917', '949'];
const DE_PREFIXES = ['151', '152', '157', '160', '170', '171', '175', '176', '177', '178', '179'];

const digits = (rng: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
};

function candidate(rng: Rng, country: Country): string {
  switch (country) {
    case 'US':
      return `+1${rng.pick(US_AREAS)}${rng.int(2, 9)}${digits(rng, 6)}`;
    case 'GB':
      return `+447${rng.int(4, 9)}${digits(rng, 8)}`;
    case 'FR':
      return `+33${rng.pick(['6', '7'])}${digits(rng, 8)}`;
    case 'DE':
      return `+49${rng.pick(DE_PREFIXES)}${digits(rng, 7)}`;
  }
}

export function isValidE164(e164: string): boolean {
  const parsed = parsePhoneNumber(e164);
  return parsed.valid && parsed.number.e164 === e164;
}

/**
 * Validity of the generated ranges depends only on the leading digits (area code / exchange, mobile prefix) and the
 * length, so it is cached by those: one library parse per range instead of one per customer (tests check every
 * generated number with the library).
 */
const rangeValid = new Map<string, boolean>();

function validCandidate(e164: string): boolean {
  const key = `${e164.slice(0, 9)}:${e164.length}`;
  let ok = rangeValid.get(key);
  if (ok === undefined) {
    ok = isValidE164(e164);
    rangeValid.set(key, ok);
  }
  return ok;
}

/** A valid E.164 number of `country`, not in `taken` (which it joins). */
export function makePhone(rng: Rng, country: Country, taken: Set<string>): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const e164 = candidate(rng, country);
    if (!taken.has(e164) && validCandidate(e164)) {
      taken.add(e164);
      return e164;
    }
  }
  throw new Error(`could not generate a valid ${country} phone number`);
}

export type PhoneStyle = 'e164' | 'paren' | 'national' | 'international' | 'dashes';

/**
 * How the phone is written in `attributes.phone`. Every variant normalises back to `e164` with default region US
 * (phones.unit.test.ts checks this on many numbers). US-only styles fall back to the international form elsewhere.
 */
const formatted = new Map<string, string>();

export function formatPhone(e164: string, style: PhoneStyle): string {
  if (style === 'e164') return e164;
  const key = `${e164}|${style}`;
  let text = formatted.get(key);
  if (text === undefined) {
    text = formatUncached(e164, style);
    if (formatted.size > 200_000) formatted.clear();
    formatted.set(key, text);
  }
  return text;
}

function formatUncached(e164: string, style: PhoneStyle): string {
  let text = e164;
  const us = e164.startsWith('+1') && e164.length === 12;
  if (style === 'paren' && us) text = `+1 (${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`;
  else if (style === 'national' && us) text = `(${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`;
  else if (style === 'dashes' && us) text = `${e164.slice(2, 5)}-${e164.slice(5, 8)}-${e164.slice(8)}`;
  else if (style !== 'e164') text = parsePhoneNumber(e164).number?.international ?? e164;
  return text;
}

export function pickStyle(rng: Rng): PhoneStyle {
  return rng.weighted<PhoneStyle>([
    ['e164', 0.55],
    ['paren', 0.2],
    ['national', 0.1],
    ['international', 0.1],
    ['dashes', 0.05],
  ]);
}
