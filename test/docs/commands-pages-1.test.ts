// A share of the pages whose commands test/docs/commands.test.ts runs as written (see there).

import { pageShare } from './commands.js';

pageShare(0, 3);
