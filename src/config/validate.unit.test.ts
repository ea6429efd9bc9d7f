import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TajoError } from '../core/errors.js';
import { thrownTajoError } from '../core/test-helpers/thrownTajoError.js';
import { wantedAttributes } from '../sinks/brevo/bootstrap.js';
import { loadConfig, parseConfig, redactConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'tajo-config-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fail = thrownTajoError;
const flex = (body: string, env: NodeJS.ProcessEnv = {}) => parseConfig(`connectors:\n  twilio_flex:\n${body}`, { env }).connectors.twilio_flex;

describe('field_mapping', () => {
  it('refuses targets that are not Brevo attribute names, an empty mapping and two paths on one target, with lines', () => {
    const err = fail(() => flex('    field_mapping:\n      identity: Flex identity\n      friendly_name: 1ST_NAME\n      a: Email\n      b: email\n'));
    expect(err.code).toBe('TAJO_CONFIG_INVALID');
    expect(err.details.map((d) => [d.line, d.path])).toEqual([
      [4, 'connectors.twilio_flex.field_mapping.identity'],
      [5, 'connectors.twilio_flex.field_mapping.friendly_name'],
      [7, 'connectors.twilio_flex.field_mapping.b'],
    ]);
    expect(err.details[0]?.message).toMatch(/not a Brevo attribute name/);
    expect(err.details[2]?.message).toMatch(/maps to email, as a does/);
    const empty = fail(() => flex('    field_mapping: {}\n'));
    expect(empty.details).toEqual([expect.objectContaining({ path: 'connectors.twilio_flex.field_mapping', line: 3, message: expect.stringMatching(/maps nothing/) })]);
  });

  it('normalises targets one way: email and SMS whatever their case, attributes upper-case (as bootstrap creates them)', () => {
    const m = flex('    field_mapping:\n      attributes.email: Email\n      attributes.phone: sms\n      customer_tier: vip_tier\n      identity: Flex_Identity\n').field_mapping;
    expect(m).toEqual({ 'attributes.email': 'email', 'attributes.phone': 'SMS', customer_tier: 'VIP_TIER', identity: 'FLEX_IDENTITY' });
    expect(Object.keys(wantedAttributes(Object.values(m))).sort()).toEqual(['FLEX_IDENTITY', 'SMS', 'VIP_TIER']);
    expect(Object.keys(wantedAttributes(['Email', 'sms', 'vip_tier'])).sort()).toEqual(['SMS', 'VIP_TIER']);
  });
});

describe('default_phone_region', () => {
  it('takes the regions libphonenumber supports (any case) and refuses others with the line', () => {
    expect(flex('    default_phone_region: gb\n').default_phone_region).toBe('GB');
    expect(flex('    default_phone_region: FR\n').default_phone_region).toBe('FR');
    const err = fail(() => flex('    default_phone_region: zz\n'));
    expect(err.details).toEqual([expect.objectContaining({ path: 'connectors.twilio_flex.default_phone_region', line: 3 })]);
  });
});

describe('${ENV} in number and boolean fields', () => {
  it('reads a plain scalar that is one reference as the YAML scalar it spells', () => {
    const c = parseConfig('server:\n  port: ${PORT:-8787}\nconnectors:\n  twilio_flex:\n    debug: ${DEBUG}\n    lists:\n      support_contacts: ${LIST}\n', { env: { DEBUG: 'true', LIST: '7' } });
    expect(c.server.port).toBe(8787);
    expect(c.connectors.twilio_flex.debug).toBe(true);
    expect(c.connectors.twilio_flex.lists.support_contacts).toBe(7);
    expect(parseConfig('server:\n  port: ${PORT:-8787}\n', { env: { PORT: '9001' } }).server.port).toBe(9001);
  });

  it('keeps strings: quoted scalars, partial interpolation, and string fields whose value looks like a number', () => {
    const c = parseConfig('brevo:\n  api_key: ${KEY}\n  base_url: http://127.0.0.1:${P}/v3\nserver:\n  host: ${HOST}\n', { env: { KEY: '12345', P: '9', HOST: '10' } });
    expect(c.brevo).toEqual({ api_key: '12345', base_url: 'http://127.0.0.1:9/v3' });
    expect(c.server.host).toBe('10');
    const quoted = fail(() => parseConfig('server:\n  port: "${PORT}"\n', { env: { PORT: '8787' } }));
    expect(quoted.details).toEqual([expect.objectContaining({ path: 'server.port', line: 2 })]);
    // a value that is not a scalar stays the text it is
    const notScalar = fail(() => parseConfig('server:\n  port: ${PORT}\n', { env: { PORT: 'a: b' } }));
    expect(notScalar.details[0]?.path).toBe('server.port');
  });
});

describe('empty values', () => {
  it('a key left empty, or one ${…} reference that comes out empty, is not set: its default applies', () => {
    const yaml = [
      'brevo:',
      '  api_key: "${BREVO_API_KEY:-}"',
      'server:',
      '  port: ${PORT:-}',
      '  public_url:',
      'connectors:',
      '  twilio_flex:',
      '    auth_token: ${TWILIO_AUTH_TOKEN}',
      '    workspace_sid: ${TWILIO_WORKSPACE_SID:-}',
      '    lists:',
      '      # support_contacts: 2',
      '    sync:',
      '    event_mapping:',
      '      task.created: ~',
      '',
    ].join('\n');
    const c = parseConfig(yaml, { env: { TWILIO_AUTH_TOKEN: '' } });
    expect(c.brevo.api_key).toBeUndefined();
    expect(c.server.port).toBe(8787);
    expect(c.server.public_url).toBeUndefined();
    const f = c.connectors.twilio_flex;
    expect(f.auth_token).toBeUndefined();
    expect(f.workspace_sid).toBeUndefined();
    expect(f.lists).toEqual({});
    expect(f.sync.tasks).toBe(true);
    expect(f.event_mapping['task.created']).toBe('SUPPORT_REQUESTED');
    // set, they are read as before
    const set = parseConfig(yaml, { env: { TWILIO_AUTH_TOKEN: 't0k', PORT: '9001', TWILIO_WORKSPACE_SID: `WS${'a'.repeat(32)}` } });
    expect(set.server.port).toBe(9001);
    expect(set.connectors.twilio_flex).toMatchObject({ auth_token: 't0k', workspace_sid: `WS${'a'.repeat(32)}` });
  });

  it('an empty text written as such, and a record path mapped to nothing, are still refused with their line', () => {
    expect(fail(() => parseConfig('brevo:\n  api_key: ""\n')).details).toEqual([expect.objectContaining({ path: 'brevo.api_key', line: 2 })]);
    expect(fail(() => flex('    field_mapping:\n      identity: FLEX_IDENTITY\n      friendly_name:\n')).details).toEqual([
      expect.objectContaining({ path: 'connectors.twilio_flex.field_mapping.friendly_name', line: 5 }),
    ]);
  });
});

describe('server.sink_basic_auth', () => {
  it('refuses an empty user or pass with the line: Basic ":" would pass for them on the Event Streams route', () => {
    const err = fail(() => parseConfig('server:\n  sink_basic_auth: {user: "", pass: ""}\n', { env: {} }));
    expect(err.code).toBe('TAJO_CONFIG_INVALID');
    expect(err.details.map((d) => [d.line, d.path]).sort()).toEqual([
      [2, 'server.sink_basic_auth.pass'],
      [2, 'server.sink_basic_auth.user'],
    ]);
    expect(err.details[0]?.message).toMatch(/must not be empty/);
    const pass = fail(() => parseConfig('server:\n  sink_basic_auth:\n    user: sink\n    pass: ""\n', { env: {} }));
    expect(pass.details.map((d) => [d.line, d.path])).toEqual([[4, 'server.sink_basic_auth.pass']]);
    expect(parseConfig('server:\n  sink_basic_auth: {user: sink, pass: p}\n', { env: {} }).server.sink_basic_auth).toEqual({ user: 'sink', pass: 'p' });
  });
});

describe('paths relative to the config file', () => {
  it('store.url sqlite:<relative file> resolves against the config file, as data_dir does', async () => {
    const sub = join(dir, 'conf');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'tajo.yaml'), 'store:\n  url: sqlite:state/tajo.db\n');
    const { config } = await loadConfig({ path: join(sub, 'tajo.yaml'), cwd: tmpdir(), env: {} });
    expect(config.store.url).toBe(`sqlite:${join(sub, 'state/tajo.db')}`);
    writeFileSync(join(sub, 'abs.yaml'), 'store:\n  url: sqlite:/var/tmp/x.db\n');
    expect((await loadConfig({ path: join(sub, 'abs.yaml'), env: {} })).config.store.url).toBe('sqlite:/var/tmp/x.db');
  });

  it('a --config that is a directory is TAJO_CONFIG_NOT_FOUND with a hint, not an internal error', async () => {
    const d = join(dir, 'a-dir');
    mkdirSync(d, { recursive: true });
    const err = await loadConfig({ path: d, env: {} }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TajoError);
    expect(err).toMatchObject({ code: 'TAJO_CONFIG_NOT_FOUND', message: expect.stringMatching(/is a directory/), hint: expect.stringMatching(/tajo\.yaml/) });
  });
});

describe('redactConfig of store.url', () => {
  it('hides the password of a postgres URL', () => {
    const c = parseConfig('store:\n  url: postgres://tajo:s3cret-pw@db.internal:5432/tajo\n');
    expect(redactConfig(c).store.url).toBe('postgres://tajo:[redacted]@db.internal:5432/tajo');
  });
});
