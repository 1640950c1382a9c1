// Every CLI command (one line each).

import type { Command } from "./command.js";
import { tokenCommand } from "./commands/token.js";
import { principalCommand } from "./commands/principal.js";
import { auditCommand } from "./commands/audit.js";
import { queryCommand } from "./commands/query.js";
import { tailCommand } from "./commands/tail.js";
import { labelsCommand } from "./commands/labels.js";
import { deletionsCommand } from "./commands/deletions.js";
import { retentionCommand } from "./commands/retention.js";
import { holdsCommand } from "./commands/holds.js";
import { verifyCommand } from "./commands/verify.js";
import { reportCommand } from "./commands/report.js";
import { alertsCommand } from "./commands/alerts.js";
import { anomaliesCommand } from "./commands/anomalies.js";

export const commands: readonly Command[] = [
  tokenCommand,
  principalCommand,
  auditCommand,
  queryCommand,
  tailCommand,
  labelsCommand,
  deletionsCommand,
  retentionCommand,
  holdsCommand,
  verifyCommand,
  reportCommand,
  alertsCommand,
  anomaliesCommand,
];
