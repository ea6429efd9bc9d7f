import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign } from './sign';

describe('sign', () => {
  it('equals sha256=<hex HMAC-SHA256(secret, body)> as computed by node:crypto', async () => {
    const body = JSON.stringify({ TaskSid: `WT${'a'.repeat(32)}`, TaskAttributes: '{"name":"Zoë ✓"}' });
    const want = `sha256=${createHmac('sha256', 'shh-secret').update(body).digest('hex')}`;
    expect(await sign('shh-secret', body)).toBe(want);
    expect(await sign('other', body)).not.toBe(want);
  });
});
