import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord } from '../store/types.js';
import type { Store } from '../store/store.js';

/**
 * Management API keys: `tajo_` + 32 random bytes (base64url). Only the SHA-256 of a key is stored; the key
 * itself is shown once, when created.
 */
export const KEY_PREFIX = 'tajo_';

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Creates and stores a key; returns its id and the key (print it once, it cannot be recovered). */
export async function createKey(store: Store, name: string): Promise<{ id: string; key: string }> {
  const id = `key_${randomBytes(8).toString('hex')}`;
  const key = generateKey();
  await store.createApiKey({ id, name, hash: hashKey(key) });
  return { id, key };
}

/** A syntactically plausible key (cheap check before touching the store). */
export function looksLikeKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX) && key.length >= KEY_PREFIX.length + 16 && key.length <= 128 && /^[A-Za-z0-9_-]+$/.test(key);
}

/** The `Authorization: Bearer <key>` value of a request, if any. */
export function bearerKey(authorization: string | undefined): string | undefined {
  const m = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return m?.[1];
}

/** The active (not revoked) key record for a presented key; throws only when the store does. */
export async function findActiveKey(store: Store, key: string | undefined): Promise<ApiKeyRecord | undefined> {
  if (!key || !looksLikeKey(key)) return undefined;
  const rec = await store.findApiKey(hashKey(key));
  return rec && !rec.revokedAt ? rec : undefined;
}
