// Plugin entry point for the Flex Plugins CLI / builder: registers TajoPlugin with the running Flex UI.
import { loadPlugin } from '@twilio/flex-plugin';
import { TajoPlugin } from './TajoPlugin';

loadPlugin(TajoPlugin);
