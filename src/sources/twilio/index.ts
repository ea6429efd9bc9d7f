/** Twilio source: Basic-auth client on the shared HTTP layer, paginated readers and lenient response schemas. */
export { MAX_PAGE_SIZE, TwilioClient, parseOrThrow, twilioCredentials } from './client.js';
export type { CallMeter, Page, Query, TwilioApi, TwilioBaseUrls, TwilioClientOptions, TwilioCredentials } from './client.js';
export * from './readers.js';
export * from './schemas.js';
