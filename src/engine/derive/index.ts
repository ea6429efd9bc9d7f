/** Pure derivation: raw events → interactions/surveys → customers → Brevo contact and event writes (docs/SEMANTICS.md). */
export * from './attributes.js';
export * from './channel.js';
export * from './consent.js';
export * from './contact.js';
export * from './conversation.js';
export * from './customer.js';
export * from './events.js';
export * from './hash.js';
export * from './identity.js';
export * from './interaction.js';
export * from './numbers.js';
export * from './rows.js';
export * from './survey.js';
export * from './taskEvents.js';
