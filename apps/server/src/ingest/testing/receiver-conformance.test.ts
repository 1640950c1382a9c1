// Runs the shared conformance suite against every HTTP receiver.

import { describeReceiverConformance } from "./receiver-conformance.js";
import { RECEIVER_SPECS } from "./receiver-specs.js";

for (const spec of RECEIVER_SPECS) describeReceiverConformance(spec);
