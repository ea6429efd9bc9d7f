import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBrevoEmulator, type BrevoEmulator } from './index.js';
import { API_KEY } from './test-helpers/server.js';

/** One fastify instance hosting Brevo next to another vendor: parsers, 404 handlers and hooks stay encapsulated. */
describe('Brevo emulator composed with other routes on one fastify instance', () => {
  const app = Fastify();
  let origin = '';
  let emu: BrevoEmulator;

  beforeAll(async () => {
    app.post('/health', async (req) => ({ echo: req.body }));
    await app.register(
      async (twilio) => {
        await twilio.register(formbody);
        twilio.post('/v1/Things', async (req) => ({ parsed: req.body }));
        twilio.setNotFoundHandler((_req, reply) => reply.code(404).send({ code: 20404, message: 'The requested resource was not found' }));
      },
      { prefix: '/twilio' },
    );
    emu = registerBrevoEmulator(app, { apiKey: API_KEY, limits: { enabled: false } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  it('keeps each vendor’s parsing and fallbacks', async () => {
    const form = await fetch(`${origin}/twilio/v1/Things`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'A=1&B=two' });
    expect(await form.json()).toEqual({ parsed: { A: '1', B: 'two' } });
    const root = await fetch(`${origin}/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
    expect(await root.json()).toEqual({ echo: { ok: true } });
    const twilio404 = await fetch(`${origin}/twilio/nope`);
    expect(await twilio404.json()).toEqual({ code: 20404, message: 'The requested resource was not found' });
    const root404 = await fetch(`${origin}/nowhere`);
    expect(root404.status).toBe(404);
    expect(root404.headers.get('x-sib-ratelimit-limit')).toBeNull();

    const brevo = await fetch(`${origin}/brevo/v3/contacts`, {
      method: 'POST',
      headers: { 'api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', attributes: { WHATSAPP: '+14155550123', LANDLINE_NUMBER: '+33140000000' } }),
    });
    expect(brevo.status).toBe(201);
    for (const q of ['%2B14155550123?identifierType=whatsapp_id', '33140000000?identifierType=landline_number_id']) {
      const r = await fetch(`${origin}/brevo/v3/contacts/${q}`, { headers: { 'api-key': API_KEY } });
      expect(r.status).toBe(200);
    }
    const brevo404 = await fetch(`${origin}/brevo/v3/nope`, { headers: { 'api-key': API_KEY } });
    expect(await brevo404.json()).toEqual({ code: 'document_not_found', message: 'Invalid route' });
    const state = (await (await fetch(`${origin}/_emulator/brevo/state`)).json()) as { contacts: unknown[] };
    expect(state.contacts).toEqual(emu.state().contacts);
    const log = (await (await fetch(`${origin}/_emulator/brevo/requests`)).json()) as { endpoints: Record<string, unknown> };
    expect(Object.keys(log.endpoints)).toEqual(['POST /contacts', 'GET /contacts/{identifier}', 'GET (unknown path)']);
  });
});
