// Every command, in the order `--help` lists them. A command's declaration is light; its action module is
// loaded only when it runs.

import type { RegisterCommand } from '../host.js';
import { registerAudit } from './audit.js';
import { registerCatalog } from './catalog.js';
import { registerCheck } from './check.js';
import { registerCollect } from './collect.js';
import { registerDemo } from './demo.js';
import { registerExplainError } from './explain-error.js';
import { registerFix } from './fix.js';
import { registerGraph } from './graph.js';
import { registerLogs } from './logs.js';
import { registerProbe } from './probe.js';
import { registerRotate } from './rotate.js';
import { registerSandbox } from './sandbox.js';
import { registerToken } from './token.js';
import { registerWhoCan } from './who-can.js';

export const COMMANDS: readonly RegisterCommand[] = [
  registerCheck,
  registerAudit,
  registerCollect,
  registerGraph,
  registerLogs,
  registerExplainError,
  registerDemo,
  registerSandbox,
  registerCatalog,
  registerProbe,
  registerToken,
  registerFix,
  registerRotate,
  registerWhoCan,
];
