/**
 * The Brevo account's contact attribute types as a delivery worker knows them: read once, then again after
 * `ATTRIBUTE_TYPES_TTL_MS` (one call on the contacts budget), so a type fixed in Brevo is picked up by a running
 * worker; and the attributes already reported as holding values Brevo would ignore (one report each per worker).
 */
import type { BrevoClient, CallOptions } from '../../sinks/brevo/client.js';

/** How long the account's attribute types are trusted before they are read again. */
export const ATTRIBUTE_TYPES_TTL_MS = 10 * 60_000;

export class AttributeTypes {
  private cached: { at: number; types: ReadonlyMap<string, string> } | undefined;
  /** Attributes already reported (a warning and the connector's last error). */
  readonly reported = new Set<string>();

  /** Attribute name (upper-case) → type. Throws when Brevo does not answer (the caller goes on without the check). */
  async types(brevo: BrevoClient, o: CallOptions = {}): Promise<ReadonlyMap<string, string>> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < ATTRIBUTE_TYPES_TTL_MS) return this.cached.types;
    // One attempt: the check is optional, so an outage costs no backoff here.
    const attributes = await brevo.getAttributes({ ...o, maxAttempts: 1 });
    const types = new Map(attributes.map((a): [string, string] => [a.name.toUpperCase(), a.type ?? (a.category === 'category' ? 'category' : 'text')]));
    this.cached = { at: now, types };
    return types;
  }
}
