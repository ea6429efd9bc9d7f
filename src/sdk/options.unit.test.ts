import { describe, expect, it } from 'vitest';
import { TajoClient } from './client.js';
import type { ConnectParams, TajoClientOptions } from './types.js';

describe('TajoClient options under exactOptionalPropertyTypes', () => {
  it('take values read from the environment as they are (string | undefined), as the README samples pass them', async () => {
    const env: NodeJS.ProcessEnv = {};
    // compile-time: `npm run typecheck` covers this file, with the project's exactOptionalPropertyTypes
    const options: TajoClientOptions = { apiKey: env.TAJO_API_KEY, baseUrl: env.TAJO_URL, brevoApiKey: env.BREVO_API_KEY, timeoutMs: undefined };
    const params: ConnectParams = { accountSid: `AC${'0'.repeat(32)}`, flexFlowSid: `FO${'0'.repeat(32)}`, authToken: env.TWILIO_AUTH_TOKEN, workspaceSid: env.TWILIO_WORKSPACE_SID };
    expect(params.authToken).toBeUndefined();
    // run-time: unset values are unset, so this client is embedded, not a remote one missing its key
    const client = new TajoClient(options);
    expect(client.mode).toBe('embedded');
    await client.close();
  });
});
