/**
 * `X-Tajo-Signature` value: `sha256=<hex HMAC-SHA256(secret, raw body)>`, as Tajo's server checks it.
 * Uses Web Crypto (the plugin runs in the agent's browser; Node 20 has the same `crypto.subtle`).
 */
export async function sign(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(body)));
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return `sha256=${hex}`;
}
