import { describe, expect, it } from 'vitest';
import { bodySha256Hex, computeSignature, signJsonRequest, validateJsonRequest, validateSignature } from './signature.js';

// Test vectors: docs/twilio.md §6.1 (from twilio-node spec/validation.spec.js).
const token = '12345';
const requestUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const defaultParams = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const bodyJson = '{"property": "value", "boolean": true}';

describe('computeSignature (docs/twilio.md §6.1 vectors)', () => {
  const vectors: [number, string, Record<string, string | string[]>, string][] = [
    [1, requestUrl, defaultParams, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='],
    [2, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', defaultParams, 'kvajT1Ptam85bY51eRf/AJRuM3w='],
    [3, 'http://mycompany.com:80/myapp.php?foo=1&bar=2', defaultParams, '0ZXoZLH/DfblKGATFgpif+LLRf4='],
    [4, 'http://mycompany.com:1234/myapp.php?foo=1&bar=2', defaultParams, 'Zmvh+3yNM1Phv2jhDCwEM3q5ebU='],
    [5, 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2', defaultParams, 'CukzLTc1tT5dXEDIHm/tKBanW10='],
    [6, 'https://user@mycompany.com/myapp.php?foo=1&bar=2', defaultParams, '2YRLlVAflCqxaNicjMpJcSTgzSs='],
    [7, 'https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2', defaultParams, 'ZQFR1PTIZXF2MXB8ZnKCvnnA+rI='],
    [8, 'https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing', defaultParams, 'TfZzewPq8wqrGlMfyAud8+/IvJ0='],
    [9, requestUrl, { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] }, '83O6e2vORAoJHUNzJjDWN1jz+BA='],
    [10, requestUrl, { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] }, 'IK+Dwps556ElfBT0I3Rgjkr1wJU='],
    [11, `${requestUrl}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`, {}, 'a9nBmqA0ju/hNViExpshrM61xv4='],
    [12, 'https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', {}, 'Ldidvp12m26NI7eqEvxnEpkd9Hc='],
    [13, 'https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620', {}, 'y77kIzt2vzLz71DgmJGsen2scGs='],
  ];
  for (const [n, url, params, expected] of vectors) {
    it(`vector ${n}`, () => {
      expect(computeSignature(token, url, params)).toBe(expected);
      expect(validateSignature(token, expected, url, params)).toBe(true);
    });
  }

  it('vector 9 is order-independent', () => {
    expect(computeSignature(token, requestUrl, { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] })).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
  });

  it('vector 8 validates when the URL is given with a raw quote', () => {
    expect(validateSignature(token, 'TfZzewPq8wqrGlMfyAud8+/IvJ0=', "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing", defaultParams)).toBe(true);
  });

  it('null params with a bodySHA256 URL equal {}', () => {
    expect(computeSignature(token, `${requestUrl}&bodySHA256=${bodySha256Hex(bodyJson)}`, null)).toBe('a9nBmqA0ju/hNViExpshrM61xv4=');
  });
});

describe('port tolerance and failures', () => {
  it('vector 1 validates with any port stripped', () => {
    expect(validateSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', 'https://mycompany.com:1234/myapp.php?foo=1&bar=2', defaultParams)).toBe(true);
  });
  it('vector 2 validates the port-less URL', () => {
    expect(validateSignature(token, 'kvajT1Ptam85bY51eRf/AJRuM3w=', requestUrl, defaultParams)).toBe(true);
  });
  it('rejects wrong signatures, a missing header and unexpected params', () => {
    expect(validateSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', requestUrl, { ...defaultParams, Digits: '9' })).toBe(false);
    expect(validateSignature(token, undefined, requestUrl, defaultParams)).toBe(false);
    expect(validateSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', `${requestUrl}&somethingUnexpected=true`, defaultParams)).toBe(false);
  });
});

describe('JSON-body variant', () => {
  it('body hashes match the documented values', () => {
    expect(bodySha256Hex(bodyJson)).toBe('0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620');
    expect(bodySha256Hex('{}')).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
  it('vector 11 and 12 validate with their bodies; a changed body fails', () => {
    const u11 = `${requestUrl}&bodySHA256=${bodySha256Hex(bodyJson)}`;
    expect(validateJsonRequest(token, 'a9nBmqA0ju/hNViExpshrM61xv4=', u11, bodyJson)).toBe(true);
    expect(validateJsonRequest(token, 'a9nBmqA0ju/hNViExpshrM61xv4=', u11, '{"property": "other"}')).toBe(false);
    const u12 = `${requestUrl}&bodySHA256=${bodySha256Hex('{}')}`;
    expect(validateJsonRequest(token, 'Ldidvp12m26NI7eqEvxnEpkd9Hc=', u12, '{}')).toBe(true);
  });
  it('signJsonRequest reproduces vector 13', () => {
    const { url, signature } = signJsonRequest(token, 'https://mycompany.com/myapp.php', bodyJson);
    expect(url).toBe('https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620');
    expect(signature).toBe('y77kIzt2vzLz71DgmJGsen2scGs=');
    expect(validateJsonRequest(token, signature, url, bodyJson)).toBe(true);
  });
});
