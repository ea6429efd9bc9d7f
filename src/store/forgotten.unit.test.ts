import { describe, expect, it } from 'vitest';
import { letterNamesPerson, namesPerson } from './forgotten.js';

const person = { tasks: new Set<string>(), identities: new Set(['+13033305891', 'elizabeth.chen@gmail.com']) };

describe('namesPerson', () => {
  it('finds the person in task attributes that are not JSON (a malformed_attributes dead letter)', () => {
    // what the sync dead-letters for a task whose attributes are single-quoted: the phone and e-mail are in it as text
    const payload = JSON.stringify({
      taskSid: 'WTe6f453c3898a5803fc69cb18c6d01838',
      attributes: "{'from':'+13033305891','name':'Elizabeth Chen','email':'ELIZABETH.CHEN@GMAIL.COM'}",
    });
    expect(namesPerson(payload, person)).toBe(true);
    expect(letterNamesPerson('WTe6f453c3898a5803fc69cb18c6d01838', payload, person)).toBe(true);
    expect(namesPerson(JSON.stringify({ attributes: "{'email':'ELIZABETH.CHEN@GMAIL.COM'}" }), person)).toBe(true);
  });

  it('still needs the whole identity in such text: a longer phone or another e-mail is someone else', () => {
    expect(namesPerson(JSON.stringify({ attributes: "{'from':'+130333058912'}" }), person)).toBe(false);
    expect(namesPerson(JSON.stringify({ attributes: "{'email':'x.elizabeth.chen@gmail.com'}" }), person)).toBe(false);
    expect(namesPerson(JSON.stringify({ attributes: "{'from':'+14155550100'}" }), person)).toBe(false);
  });

  it('keeps comparing whole strings outside attributes text (a free-text field is not searched)', () => {
    expect(namesPerson(JSON.stringify({ comment: 'call +13033305891 back' }), person)).toBe(false);
    expect(namesPerson(JSON.stringify({ phone: '+13033305891' }), person)).toBe(true);
    expect(namesPerson(JSON.stringify({ attributes: JSON.stringify({ email: 'Elizabeth.Chen@gmail.com' }) }), person)).toBe(true);
  });
});
