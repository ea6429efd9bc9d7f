/** Management API keys (`tajo keys`): created with the server's key format, stored hashed. */
import { TajoError } from '../../core/errors.js';
import { createKey } from '../../server/keys.js';
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

export async function revokeApiKey(ctx: SdkContext, id: string): Promise<{ id: string; revoked: boolean }> {
  const ok = await (await ctx.store()).revokeApiKey(id);
  if (!ok) throw new TajoError('TAJO_USAGE', `No active API key ${id}`, { hint: 'list them with `tajo keys list`' });
  return { id, revoked: true };
}
