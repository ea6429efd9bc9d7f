import { describe, expect, it } from 'vitest';
import { isTajoError } from '../../core/errors.js';
import { authenticatePlugin, twilioFlexTokenValidator } from './pluginAuth.js';

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
