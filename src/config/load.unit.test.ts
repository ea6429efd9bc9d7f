import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { thrownTajoError } from '../core/test-helpers/thrownTajoError.js';
import { DEFAULT_BASE_URLS, DEFAULT_BREVO_BASE_URL, DEFAULT_EVENT_MAPPING, DEFAULT_FIELD_MAPPING, DEFAULTS } from './defaults.js';
import { loadConfig, parseConfig, redactConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'tajo-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AC = `AC${'0123456789abcdef'.repeat(2)}`;
const FO = `FO${'a'.repeat(32)}`;

const fail = thrownTajoError;

describe('parseConfig', () => {
  it('gives exactly the documented defaults for an empty file', () => {
    const c = parseConfig('');
    const flex = c.connectors.twilio_flex;
    expect(flex.field_mapping).toEqual(DEFAULT_FIELD_MAPPING);
    expect(flex.field_mapping).toEqual({
      identity: 'FLEX_IDENTITY', friendly_name: 'FIRSTNAME', 'attributes.email': 'email', 'attributes.phone': 'SMS',
      last_conversation_date: 'LAST_SUPPORT_DATE', total_conversations: 'SUPPORT_TICKET_COUNT', avg_wait_time: 'AVG_WAIT_TIME',
      last_csat_score: 'CSAT_SCORE', preferred_channel: 'PREFERRED_CHANNEL', customer_tier: 'VIP_TIER', account_id: 'ACCOUNT_ID',
      last_wait_time: 'LAST_WAIT_TIME', abandons_30d: 'ABANDONS_30D',
    });
    expect(flex.event_mapping).toEqual({
      'task.created': 'SUPPORT_REQUESTED', 'task.completed': 'SUPPORT_RESOLVED', 'task.canceled': 'SUPPORT_ABANDONED',
      'conversation.ended': 'CONVERSATION_ENDED', 'survey.completed': 'CSAT_SUBMITTED',
    });
    expect(flex.event_mapping).toEqual(DEFAULT_EVENT_MAPPING);
    expect(flex).toMatchObject({
      enabled: true, sync: DEFAULTS.sync, channels: ['voice', 'sms', 'whatsapp', 'webchat'], debug: false,
      log_api_calls: false, base_urls: DEFAULT_BASE_URLS, message_bodies: 'off', csat_low_score_threshold: 2, lists: {},
    });
    expect(c.brevo).toEqual({ base_url: DEFAULT_BREVO_BASE_URL });
    expect(c.server).toEqual({ host: '127.0.0.1', port: 8787, plugin_auth: 'flex_token', cors_origins: ['https://flex.twilio.com'] });
    expect(c.data_dir).toBeUndefined();
  });

  it('merges event_mapping renames over the defaults; field_mapping replaces as a whole', () => {
    const c = parseConfig(`connectors:\n  twilio_flex:\n    event_mapping:\n      task.created: TICKET_OPENED\n    field_mapping:\n      identity: EXT\n`);
    expect(c.connectors.twilio_flex.event_mapping).toEqual({ ...DEFAULT_EVENT_MAPPING, 'task.created': 'TICKET_OPENED' });
    expect(c.connectors.twilio_flex.field_mapping).toEqual({ identity: 'EXT' });
  });

  it('reports every problem at once with YAML path and line', () => {
    const yaml = [
      'connectors:', //                       1
      '  twilio_flex:', //                    2
      '    account_sid: AC123', //            3
      '    flex_flow_sid: FOxyz', //          4
      '    workspace_sid: WS' + '0'.repeat(31), // 5
      '    api_key_sid: SK' + 'g'.repeat(32), //  6
      '    debug: "yes"', //                  7
      '    sync:', //                         8
      '      tasks: 1', //                    9
      '      taskz: true', //                10
      '    channels: [voice, fax]', //       11
      'server:', //                          12
      '  port: eighty', //                   13
      'bogus: 1', //                         14
    ].join('\n');
    const err = fail(() => parseConfig(yaml, { file: 'tajo.yaml' }));
    expect(err.code).toBe('TAJO_CONFIG_INVALID');
    const got = err.details.map((d) => [d.line, d.path]);
    expect(got).toEqual([
      [3, 'connectors.twilio_flex.account_sid'],
      [4, 'connectors.twilio_flex.flex_flow_sid'],
      [5, 'connectors.twilio_flex.workspace_sid'],
      [6, 'connectors.twilio_flex.api_key_sid'],
      [7, 'connectors.twilio_flex.debug'],
      [9, 'connectors.twilio_flex.sync.tasks'],
      [10, 'connectors.twilio_flex.sync.taskz'],
      [11, 'connectors.twilio_flex.channels[1]'],
      [13, 'server.port'],
      [14, 'bogus'],
    ]);
    expect(err.details.find((d) => d.path === 'connectors.twilio_flex.account_sid')?.message).toMatch(/AC SID/);
    expect(err.details.find((d) => d.path === 'bogus')?.message).toBe('unknown key');
    expect(err.message).toContain('line 10: connectors.twilio_flex.sync.taskz: unknown key');
    expect(err.message).toContain('(10 problems)');
  });

  it('accepts every message_bodies mode, with message_body_max_chars (default 160, 1..2000)', () => {
    const flex = (yaml: string) => parseConfig(`connectors:\n  twilio_flex:\n${yaml}`).connectors.twilio_flex;
    expect(parseConfig('').connectors.twilio_flex).toMatchObject({ message_bodies: 'off', message_body_max_chars: 160 });
    for (const mode of ['off', 'truncated', 'hashed', 'full'] as const) {
      expect(flex(`    message_bodies: ${mode}\n`)).toMatchObject({ message_bodies: mode, message_body_max_chars: 160 });
    }
    expect(flex('    message_bodies: truncated\n    message_body_max_chars: 1\n').message_body_max_chars).toBe(1);
    expect(flex('    message_bodies: truncated\n    message_body_max_chars: 2000\n').message_body_max_chars).toBe(2000);
  });

  it('refuses bad message_bodies values and out-of-range message_body_max_chars, with path and line', () => {
    const at = (yaml: string) => fail(() => parseConfig(`connectors:\n  twilio_flex:\n    debug: false\n${yaml}`));
    for (const bad of ['on', 'FULL', '"yes"', 'true', '160']) {
      const err = at(`    message_bodies: ${bad}\n`);
      expect(err.code).toBe('TAJO_CONFIG_INVALID');
      expect(err.details).toEqual([expect.objectContaining({ path: 'connectors.twilio_flex.message_bodies', line: 4 })]);
      expect(err.details[0]?.message).toMatch(/off.*truncated.*hashed.*full/);
    }
    for (const bad of ['0', '2001', '-5', '1.5', '"160"']) {
      const err = at(`    message_bodies: truncated\n    message_body_max_chars: ${bad}\n`);
      expect(err.details).toEqual([expect.objectContaining({ path: 'connectors.twilio_flex.message_body_max_chars', line: 5 })]);
    }
    // Both problems at once, each on its own line.
    const both = at('    message_bodies: sometimes\n    message_body_max_chars: 0\n');
    expect(both.details.map((d) => [d.line, d.path])).toEqual([
      [4, 'connectors.twilio_flex.message_bodies'],
      [5, 'connectors.twilio_flex.message_body_max_chars'],
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with lines', () => {
    expect(fail(() => parseConfig('a: 1\na: 2\n')).details[0]).toMatchObject({ line: 2 });
    const err = fail(() => parseConfig('connectors:\n  twilio_flex: [\n'));
    expect(err.code).toBe('TAJO_CONFIG_INVALID');
    expect(err.details[0]?.line).toBeGreaterThan(0);
    expect(fail(() => parseConfig('- a\n- b\n')).code).toBe('TAJO_CONFIG_INVALID');
  });

  it('interpolates ${ENV} and ${ENV:-default} in values and names every unset variable with its line', () => {
    const yaml = `brevo:\n  api_key: \${BREVO_KEY}\n  base_url: \${BREVO_URL:-http://127.0.0.1:9}/v3\nconnectors:\n  twilio_flex:\n    account_sid: \${SID}\n    auth_token: \${TOKEN}\n    channels: ["\${CH}"]\n`;
    const c = parseConfig(yaml, { env: { BREVO_KEY: 'xkeysib-1', SID: AC, TOKEN: 't0k', CH: 'sms' } });
    expect(c.brevo).toEqual({ api_key: 'xkeysib-1', base_url: 'http://127.0.0.1:9/v3' });
    expect(c.connectors.twilio_flex.account_sid).toBe(AC);
    expect(c.connectors.twilio_flex.channels).toEqual(['sms']);
    const err = fail(() => parseConfig(yaml, { env: { SID: AC, CH: 'sms' } }));
    expect(err.code).toBe('TAJO_CONFIG_ENV_MISSING');
    expect(err.details).toEqual([
      { path: 'brevo.api_key', line: 2, message: 'environment variable BREVO_KEY is not set' },
      { path: 'connectors.twilio_flex.auth_token', line: 7, message: 'environment variable TOKEN is not set' },
    ]);
    // keys are never interpolated
    expect(fail(() => parseConfig('${X}: 1\n', { env: { X: 'data_dir' } })).details[0]?.path).toBe('${X}');
  });

  it('never puts a secret value in the error', () => {
    const secret = 'xkeysib-SUPERSECRET-value';
    const err = fail(() => parseConfig(`brevo:\n  api_key: ${secret}\n  extra: 1\nserver:\n  dashboard_token: short\n`, { env: {} }));
    expect(JSON.stringify(err.toJSON())).not.toContain(secret);
    expect(JSON.stringify(err.toJSON())).not.toContain('short');
  });

  it('deep-freezes the result and does not freeze shared defaults', () => {
    const c = parseConfig('');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.connectors.twilio_flex.sync)).toBe(true);
    expect(Object.isFrozen(c.connectors.twilio_flex.channels)).toBe(true);
    expect(() => {
      (c.connectors.twilio_flex.sync as { tasks: boolean }).tasks = false;
    }).toThrow(TypeError);
    expect(parseConfig('') === c).toBe(false);
  });
});

describe('loadConfig', () => {
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('uses --config, then TAJO_CONFIG, then ./tajo.yaml, else defaults only', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    expect(await loadConfig({ cwd, env: {} })).toEqual({ config: parseConfig('') });
    writeFileSync(join(cwd, 'tajo.yaml'), 'data_dir: from-cwd\n');
    const a = write('a.yaml', 'data_dir: from-flag\n');
    const b = write('b.yaml', 'data_dir: from-env\n');
    expect(await loadConfig({ cwd, env: {} })).toMatchObject({ config: { data_dir: 'from-cwd' }, path: join(cwd, 'tajo.yaml') });
    expect((await loadConfig({ cwd, env: { TAJO_CONFIG: b } })).config.data_dir).toBe('from-env');
    expect((await loadConfig({ cwd, path: a, env: { TAJO_CONFIG: b } })).config.data_dir).toBe('from-flag');
    await expect(loadConfig({ cwd, path: 'nope.yaml', env: {} })).rejects.toMatchObject({ code: 'TAJO_CONFIG_NOT_FOUND' });
    await expect(loadConfig({ cwd, env: { TAJO_CONFIG: 'nope.yaml' } })).rejects.toMatchObject({ code: 'TAJO_CONFIG_NOT_FOUND' });
  });

  it('loads tajo.example.yaml from the repo root', async () => {
    const path = fileURLToPath(new URL('../../tajo.example.yaml', import.meta.url));
    const env = { TWILIO_ACCOUNT_SID: AC, TWILIO_AUTH_TOKEN: 'tok', TWILIO_FLEX_FLOW_SID: FO, BREVO_API_KEY: 'xkeysib-example' };
    const { config } = await loadConfig({ path, env });
    const flex = config.connectors.twilio_flex;
    // its list ids are commented out until bootstrap prints the account's own (an empty `lists:` is not set)
    expect(flex).toMatchObject({ account_sid: AC, flex_flow_sid: FO, auth_token: 'tok', lists: {} });
    expect(flex.field_mapping).toEqual(DEFAULT_FIELD_MAPPING);
    expect(flex.event_mapping).toEqual(DEFAULT_EVENT_MAPPING);
    expect(flex.base_urls).toEqual(DEFAULT_BASE_URLS);
    expect(config.brevo).toEqual({ api_key: 'xkeysib-example', base_url: DEFAULT_BREVO_BASE_URL });
    // copied as is, without those variables, it loads: the credentials stored by `connectors install` apply
    const bare = (await loadConfig({ path, env: {} })).config;
    expect(bare.connectors.twilio_flex.auth_token).toBeUndefined();
    expect(bare.brevo.api_key).toBeUndefined();
  });
});

describe('redactConfig', () => {
  it('replaces every secret path that is set and leaves the rest', () => {
    const c = parseConfig(
      `brevo:\n  api_key: k1\nserver:\n  dashboard_token: 0123456789abcdef\n  sink_basic_auth: {user: u, pass: p}\nconnectors:\n  twilio_flex:\n    auth_token: t\n    account_sid: ${AC}\n`,
    );
    const r = redactConfig(c);
    expect(r.brevo.api_key).toBe('[redacted]');
    expect(r.server.dashboard_token).toBe('[redacted]');
    expect(r.server.sink_basic_auth).toEqual({ user: 'u', pass: '[redacted]' });
    expect(r.connectors.twilio_flex.auth_token).toBe('[redacted]');
    expect(r.connectors.twilio_flex.account_sid).toBe(AC);
    expect('api_key_secret' in r.connectors.twilio_flex).toBe(false);
    expect(c.brevo.api_key).toBe('k1');
    expect(JSON.stringify(r)).not.toMatch(/"k1"|"t"|"p"/);
  });
});
