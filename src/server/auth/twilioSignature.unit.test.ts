import { describe, expect, it } from 'vitest';
import { checkBasicAuth, checkFormSignature, checkJsonSignature, parseForm, signedUrl, withUserInfo } from './twilioSignature.js';

// twilio.md §6.1: vectors from twilio-node spec/validation.spec.js (token "12345").
const token = '12345';
const requestUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const defaultParams = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
const body = '{"property": "value", "boolean": true}';
const bodyHash = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';

describe('X-Twilio-Signature, form variant (§6.1 vectors 1–10)', () => {
  const cases: [string, string, Record<string, string | string[]>, string][] = [
    ['1 plain', requestUrl, defaultParams, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='],
    ['2 :443', 'https://mycompany.com:443/myapp.php?foo=1&bar=2', defaultParams, 'kvajT1Ptam85bY51eRf/AJRuM3w='],
    ['3 http :80', 'http://mycompany.com:80/myapp.php?foo=1&bar=2', defaultParams, '0ZXoZLH/DfblKGATFgpif+LLRf4='],
    ['4 :1234', 'http://mycompany.com:1234/myapp.php?foo=1&bar=2', defaultParams, 'Zmvh+3yNM1Phv2jhDCwEM3q5ebU='],
    ['5 user:pass', 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2', defaultParams, 'CukzLTc1tT5dXEDIHm/tKBanW10='],
    ['6 user', 'https://user@mycompany.com/myapp.php?foo=1&bar=2', defaultParams, '2YRLlVAflCqxaNicjMpJcSTgzSs='],
    ['7 user:pass :443', 'https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2', defaultParams, 'ZQFR1PTIZXF2MXB8ZnKCvnnA+rI='],
    ["8 raw ' in the query", "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing", defaultParams, 'TfZzewPq8wqrGlMfyAud8+/IvJ0='],
    ['9 array param', requestUrl, { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] }, '83O6e2vORAoJHUNzJjDWN1jz+BA='],
    ['9 array param, other order', requestUrl, { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] }, '83O6e2vORAoJHUNzJjDWN1jz+BA='],
    ['10 duplicated array values', requestUrl, { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] }, 'IK+Dwps556ElfBT0I3Rgjkr1wJU='],
  ];
  it.each(cases)('vector %s validates', (_name, url, params, sig) => {
    expect(checkFormSignature(token, sig, url, params)).toBe('ok');
  });
  it('vector 1 also validates with a port added or stripped (port tolerance)', () => {
    expect(checkFormSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', 'https://mycompany.com:1234/myapp.php?foo=1&bar=2', defaultParams)).toBe('ok');
    expect(checkFormSignature(token, 'kvajT1Ptam85bY51eRf/AJRuM3w=', requestUrl, defaultParams)).toBe('ok');
  });
  it('refuses a wrong signature, a changed param, an extra query param, a wrong token', () => {
    expect(checkFormSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B9=', requestUrl, defaultParams)).toBe('invalid');
    expect(checkFormSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', requestUrl, { ...defaultParams, Digits: '1235' })).toBe('invalid');
    expect(checkFormSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', `${requestUrl}&somethingUnexpected=true`, defaultParams)).toBe('invalid');
    expect(checkFormSignature('54321', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', requestUrl, defaultParams)).toBe('invalid');
  });
  it('reports a missing header as missing, and never throws on a junk URL', () => {
    expect(checkFormSignature(token, undefined, requestUrl, defaultParams)).toBe('missing');
    expect(checkFormSignature(token, '', requestUrl, defaultParams)).toBe('missing');
    expect(checkFormSignature(token, 'x', 'not a url', {})).toBe('invalid');
  });
});

describe('X-Twilio-Signature, JSON bodySHA256 variant (§6.1 vectors 11–13)', () => {
  it('11: requestUrl + bodySHA256', () => {
    expect(checkJsonSignature(token, 'a9nBmqA0ju/hNViExpshrM61xv4=', `${requestUrl}&bodySHA256=${bodyHash}`, Buffer.from(body))).toBe('ok');
  });
  it('12: signed with :443, validated without the port, body {}', () => {
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
    expect(checkJsonSignature(token, 'Ldidvp12m26NI7eqEvxnEpkd9Hc=', url, Buffer.from('{}'))).toBe('ok');
  });
  it('13: bodySHA256 as the only query param', () => {
    expect(checkJsonSignature(token, 'y77kIzt2vzLz71DgmJGsen2scGs=', `https://mycompany.com/myapp.php?bodySHA256=${bodyHash}`, Buffer.from(body))).toBe('ok');
  });
  it('refuses a body that does not match the hash, a missing hash, a missing header', () => {
    const url = `${requestUrl}&bodySHA256=${bodyHash}`;
    expect(checkJsonSignature(token, 'a9nBmqA0ju/hNViExpshrM61xv4=', url, Buffer.from(`${body} `))).toBe('invalid');
    expect(checkJsonSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', requestUrl, Buffer.from(body))).toBe('invalid');
    expect(checkJsonSignature(token, undefined, url, Buffer.from(body))).toBe('missing');
  });
});

describe('helpers', () => {
  it('signedUrl prefers the public URL (behind a proxy)', () => {
    expect(signedUrl({ protocol: 'http', host: '127.0.0.1:8787', url: '/webhooks/x?a=1' })).toBe('http://127.0.0.1:8787/webhooks/x?a=1');
    expect(signedUrl({ protocol: 'http', host: '127.0.0.1:8787', url: '/webhooks/x?a=1' }, 'https://tajo.example.com/')).toBe('https://tajo.example.com/webhooks/x?a=1');
  });
  it('signedUrl: publicUrl is the public URL of the mount point (a fastify prefix is not appended twice); without it the URL asked for', () => {
    const inPlugin = { protocol: 'http', host: '10.0.0.5:3000', url: '/tajo/webhooks/x?a=1', mountPath: '/tajo' };
    expect(signedUrl(inPlugin, 'https://example.com/tajo')).toBe('https://example.com/tajo/webhooks/x?a=1');
    expect(signedUrl(inPlugin, 'https://hooks.example.com/public/')).toBe('https://hooks.example.com/public/webhooks/x?a=1');
    expect(signedUrl(inPlugin)).toBe('http://10.0.0.5:3000/tajo/webhooks/x?a=1');
    // a path that only starts with the prefix's letters is not under it
    expect(signedUrl({ ...inPlugin, url: '/tajoo/webhooks/x' }, 'https://example.com')).toBe('https://example.com/tajoo/webhooks/x');
    // express strips its mount path from url and keeps it in originalUrl
    const inExpress = { protocol: 'http', host: '10.0.0.5:3000', url: '/webhooks/x', originalUrl: '/tajo/webhooks/x' };
    expect(signedUrl(inExpress)).toBe('http://10.0.0.5:3000/tajo/webhooks/x');
    expect(signedUrl(inExpress, 'https://example.com/tajo')).toBe('https://example.com/tajo/webhooks/x');
  });
  it('parseForm keeps repeated keys as arrays and decodes + as space', () => {
    expect(parseForm('a=1&b=x+y&a=2&c=%27')).toEqual({ a: ['1', '2'], b: 'x y', c: "'" });
  });
  it('checkBasicAuth compares user:pass', () => {
    const auth = `Basic ${Buffer.from('u:p@ss').toString('base64')}`;
    expect(checkBasicAuth(auth, { user: 'u', pass: 'p@ss' })).toBe(true);
    expect(checkBasicAuth(auth, { user: 'u', pass: 'other' })).toBe(false);
    expect(checkBasicAuth('Bearer x', { user: 'u', pass: 'p@ss' })).toBe(false);
    expect(checkBasicAuth(undefined, { user: 'u', pass: 'p@ss' })).toBe(false);
    // empty expected credentials never match, not even an empty Basic header
    expect(checkBasicAuth(`Basic ${Buffer.from(':').toString('base64')}`, { user: '', pass: '' })).toBe(false);
    expect(checkBasicAuth(`Basic ${Buffer.from('u:').toString('base64')}`, { user: 'u', pass: '' })).toBe(false);
  });
  it('withUserInfo inserts credentials', () => {
    expect(withUserInfo('https://h.example/x', { user: 'u', pass: 'p' })).toBe('https://u:p@h.example/x');
  });
});
