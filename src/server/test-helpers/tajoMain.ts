/** The `tajo` CLI from the sources, for tests that run it as a child process (`node --import tsx tajoMain.ts …`). */
import { main } from '../../cli/main.js';

await main(process.argv);
