import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { isTajoError } from '../../core/errors.js';
import { authenticatePlugin, cachedValidator, twilioFlexTokenValidator, type FlexTokenResult } from './pluginAuth.js';

const AC = `AC${'0'.repeat(32)}`;
const bearer = { authorization: 'Bearer agent-token' };
const auth = (validate: Parameters<typeof twilioFlexTokenValidator>[3], timeoutMs = 1_000) =>
  authenticatePlugin({ mode: 'flex_token', flexTokenValidator: twilioFlexTokenValidator(AC, 'secret', timeoutMs, validate) }, bearer, Buffer.from('{}'), {});

describe('Flex token validation through twilio-flex-token-validator', () => {
  it('a token IAM accepts is accepted, with its identity', async () => {
    expect(await auth(async () => ({ valid: true, identity: 'agent@example.com' }))).toEqual({ ok: true, identity: 'agent@example.com' });
  });

  it("a token IAM refuses (the validator rejects with IAM's message) is unauthenticated", async () => {
    expect(await auth(() => Promise.reject('Invalid token'))).toEqual({ ok: false });
    expect(await auth(() => Promise.reject(undefined))).toEqual({ ok: false });
  });

  it('IAM unreachable, answering something that is not JSON, or not answering: unavailable (retryable), not unauthenticated', async () => {
    for (const why of ['getaddrinfo ENOTFOUND iam.twilio.com', 'connect ECONNREFUSED 52.1.2.3:443', 'socket hang up', 'Unexpected token < in JSON at position 0']) {
      expect(await auth(() => Promise.reject(why)), why).toEqual({ ok: false, unavailable: true });
    }
    expect(await auth(() => new Promise(() => undefined), 50)).toEqual({ ok: false, unavailable: true });
    const err = await twilioFlexTokenValidator(AC, 'secret', 1_000, () => Promise.reject('socket hang up'))('t').catch((e: unknown) => e);
    expect(isTajoError(err, 'TAJO_TWILIO_UNAVAILABLE')).toBe(true);
    expect(String((err as Error).message)).not.toContain('secret');
  });

  it('a connector installed with an API key only asks IAM with that key (apiCredentials), not an empty Auth Token', async () => {
    const calls: unknown[][] = [];
    const validate = (async (...args: unknown[]) => (calls.push(args), { valid: true, identity: 'agent@example.com' })) as Parameters<typeof twilioFlexTokenValidator>[3];
    const check = twilioFlexTokenValidator(AC, { apiKeySid: `SK${'1'.repeat(32)}`, apiKeySecret: 'key-secret' }, 1_000, validate);
    expect(await check('agent-token')).toMatchObject({ valid: true, identity: 'agent@example.com' });
    expect(calls).toEqual([['agent-token', AC, undefined, undefined, { Sid: `SK${'1'.repeat(32)}`, Secret: 'key-secret' }]]);
    await twilioFlexTokenValidator(AC, 'auth-token', 1_000, validate)('t2');
    expect(calls[1]).toEqual(['t2', AC, 'auth-token']);
  });
});

describe('the Flex token cache (a revoked token is accepted at most the cache time after its last check)', () => {
  /** IAM as a test double: a set of valid tokens (revoked by deleting), their answers, and the calls it got. */
  function iam(answer: (token: string) => Partial<FlexTokenResult> = () => ({})) {
    const valid = new Set(['agent-token']);
    const calls: string[] = [];
    const validate = async (token: string): Promise<FlexTokenResult> => (calls.push(token), { ...answer(token), valid: valid.has(token) });
    return { valid, calls, validate };
  }

  it('keeps an accepted token 60 s by default: a token revoked then is refused on the next call', async () => {
    let t = 1_000_000;
    const i = iam();
    const check = cachedValidator(i.validate, undefined, () => t);
    expect((await check('agent-token')).valid).toBe(true);
    i.valid.delete('agent-token');
    t += 59_999;
    expect((await check('agent-token')).valid).toBe(true);
    expect(i.calls).toHaveLength(1);
    t += 1;
    expect((await check('agent-token')).valid).toBe(false);
    expect(i.calls).toHaveLength(2);
    // a refused token is never cached
    expect((await check('agent-token')).valid).toBe(false);
    expect(i.calls).toHaveLength(3);
  });

  it('takes the configured time (0: asks every time), never past the expiration IAM answers', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const ten = iam();
    const check10 = cachedValidator(ten.validate, 10_000, () => t);
    await check10('agent-token');
    t += 9_999;
    await check10('agent-token');
    t += 1;
    await check10('agent-token');
    expect(ten.calls).toHaveLength(2);

    const never = iam();
    const check0 = cachedValidator(never.validate, 0, () => t);
    await check0('agent-token');
    await check0('agent-token');
    expect(never.calls).toHaveLength(2);

    // the token expires 5 s from now: its answer is not reused past that, even under a 60 s cache
    const start = t;
    const expiring = iam(() => ({ expiration: new Date(start + 5_000).toISOString() }));
    const check = cachedValidator(expiring.validate, 60_000, () => t);
    await check('agent-token');
    t = start + 4_999;
    await check('agent-token');
    expect(expiring.calls).toHaveLength(1);
    t = start + 5_000;
    await check('agent-token');
    expect(expiring.calls).toHaveLength(2);
    // an answer that says the token already expired is not cached at all; epoch seconds are understood too
    const expired = iam(() => ({ expiration: Math.floor((t - 1_000) / 1000) as unknown as string }));
    const checkExpired = cachedValidator(expired.validate, 60_000, () => t);
    await checkExpired('agent-token');
    await checkExpired('agent-token');
    expect(expired.calls).toHaveLength(2);
  });

  it('server.plugin_token_cache_seconds is optional, from 0 to 300 whole seconds', () => {
    expect(ConfigSchema.parse({}).server.plugin_token_cache_seconds).toBeUndefined();
    expect(ConfigSchema.parse({ server: { plugin_token_cache_seconds: 15 } }).server.plugin_token_cache_seconds).toBe(15);
    for (const bad of [-1, 1.5, 301, '60']) expect(ConfigSchema.safeParse({ server: { plugin_token_cache_seconds: bad } }).success, String(bad)).toBe(false);
  });
});
