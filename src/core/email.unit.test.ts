import { describe, expect, it } from 'vitest';
import { isEmailAddress } from './email.js';

describe('isEmailAddress', () => {
  it('tells an address Brevo takes (name@domain.tld, no spaces)', () => {
    for (const ok of ['a@b.co', ' Ann.Lee+x@mail.example.com ']) expect(isEmailAddress(ok), ok).toBe(true);
    for (const bad of ['nope', 'a@b', '@b.co', 'a@.', 'a b@c.co', 'a@b@c.co', '']) expect(isEmailAddress(bad), bad).toBe(false);
  });
});
