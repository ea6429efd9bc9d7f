import type { BrevoContext } from './context.js';

export interface BrevoAccountInfo {
  email: string;
  firstName: string;
  lastName: string;
  companyName: string;
}

export const DEFAULT_ACCOUNT: BrevoAccountInfo = { email: 'demo@tajo.example', firstName: 'Tajo', lastName: 'Demo', companyName: 'Tajo emulator' };

/** `GET /account` (`getAccount`): a free-plan account. */
export function registerAccountRoutes(ctx: BrevoContext, account: BrevoAccountInfo): void {
  ctx.route('GET', '/account', () => ({
    status: 200,
    body: {
      ...account,
      address: { street: '1 Emulator Street', city: 'Paris', zipCode: '75001', country: 'France' },
      plan: [{ type: 'free', creditsType: 'sendLimit', credits: 300 }],
      relay: { enabled: false, data: { userName: account.email, relay: 'smtp-relay.brevo.com', port: 587 } },
      marketingAutomation: { enabled: true },
    },
  }));
}
