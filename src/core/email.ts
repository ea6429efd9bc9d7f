/**
 * An address Brevo takes as a contact's email: something@domain.tld, no spaces (what Brevo answers 400 "Invalid email
 * address" to otherwise; the emulator's contactWrite.ts applies the same shape). The SDK refuses other `customerEmail`s.
 * Here, with no dependency, because the SDK's argument validation loads at CLI start-up (cli/startupImports.unit.test.ts).
 */
export function isEmailAddress(raw: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw.trim());
}
