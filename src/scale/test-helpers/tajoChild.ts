/** A `tajo` process from the sources (tests and the scale benchmark spawn it with `node --import tsx`). */
import { main } from '../../cli/main.js';

await main(process.argv);
