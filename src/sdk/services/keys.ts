/** Management API keys (`tajo keys`): created with the server's key format, stored hashed. */
import { TajoError } from '../../core/errors.js';
import { createKey, hashKey, looksLikeKey } from '../../server/keys.js';
import type { SdkContext } from '../context.js';
import type { ApiKeyCreated, ApiKeySummary } from '../types.js';

export async function createApiKey(ctx: SdkContext, name: string): Promise<ApiKeyCreated> {
  const n = name.trim();
  if (!n || n.length > 100) throw new TajoError('TAJO_USAGE', 'A key name of 1 to 100 characters is required');
  const store = await ctx.store();
  const { id, key } = await createKey(store, n);
  const rec = (await store.listApiKeys()).find((k) => k.id === id);
  return { id, name: n, key, createdAt: rec?.createdAt ?? new Date().toISOString() };
}

export async function listApiKeys(ctx: SdkContext): Promise<ApiKeySummary[]> {
  const rows = await (await ctx.store()).listApiKeys();
  return rows.map((k) => ({ id: k.id, name: k.name, createdAt: k.createdAt, ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}) }));
}

/** A key's id as `createKey` makes them (safe to show; anything else given may be a key, or part of one). */
const KEY_ID = /^key_[0-9a-f]{16}$/;

/**
 * Revokes a key by its id (`key_…`) or by the key itself (`tajo_…`: a leaked key revoked without looking its id up).
 * The result and the errors name the key's id, never what was given unless it is an id.
 */
export async function revokeApiKey(ctx: SdkContext, idOrKey: string): Promise<{ id: string; revoked: boolean }> {
  const store = await ctx.store();
  const hint = 'list them with `tajo keys list` (a key id is key_ and 16 hex digits; the key itself, tajo_…, is taken too)';
  let id = idOrKey;
  if (looksLikeKey(idOrKey)) {
    const rec = await store.findApiKey(hashKey(idOrKey));
    if (!rec) throw new TajoError('TAJO_USAGE', 'No active API key is this key (unknown or already revoked)', { hint });
    id = rec.id;
  }
  const ok = await store.revokeApiKey(id);
  if (!ok) throw new TajoError('TAJO_USAGE', KEY_ID.test(id) ? `No active API key ${id}` : 'No active API key has this id', { hint });
  return { id, revoked: true };
}
