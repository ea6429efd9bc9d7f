/**
 * Tajo's vendor emulators (`@tajo/sdk/emulators`): Twilio (Flex, Conversations, TaskRouter, Event Streams) and
 * Brevo on one port, over a seeded world whose ground truth is known.
 */
export { startEmulator } from './compose.js';
export type { EmulatorInfo, RunningEmulator, StartEmulatorOptions } from './compose.js';
export { runEmulatorProcess } from './process.js';
export type { EmulatorProcess, EmulatorProcessOptions } from './process.js';
export { registerTwilioEmulator } from './twilio/index.js';
export type {
  TwilioCredentials,
  TwilioEmulator,
  TwilioEmulatorOptions,
  TwilioLimits,
  PushKind,
  PushRequest,
  PushSummary,
  EndpointStats,
  WorldInfo,
} from './twilio/index.js';
export { registerBrevoEmulator } from './brevo/index.js';
export type { BrevoEmulator, BrevoEmulatorOptions } from './brevo/index.js';
export { EmulatorClock } from './common/clock.js';
export { FaultInjector, FaultFileSchema } from './common/faults.js';
export type { FaultFile, FaultRule } from './common/faults.js';
export type { GroundTruth, Scale } from './generator/index.js';
