import { describe, expect, it } from 'vitest';
import { webhooksTimeoutMs } from './remote.js';

describe('remote call limits', () => {
  it('a webhooks call waits for the activation wait it asked the server for, plus its Event Streams calls', () => {
    expect(webhooksTimeoutMs({})).toBe(120_000);
    expect(webhooksTimeoutMs({ activationWaitSeconds: 10 })).toBe(120_000);
    // the longest wait the server allows (600 s) must not be cut off at the default 120 s
    expect(webhooksTimeoutMs({ activationWaitSeconds: 600 })).toBe(660_000);
    expect(webhooksTimeoutMs({ activationWaitSeconds: 90 })).toBe(150_000);
  });
});
