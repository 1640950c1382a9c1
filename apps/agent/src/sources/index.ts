// Source registry: one line per source component.

import type { SourceDefinition } from "../contracts.js";
import { fileSource } from "./file/index.js";
import { journaldSource } from "./journald/index.js";
import { kubernetesSource } from "./kubernetes/index.js";
import { otlpSource } from "./otlp/index.js";
import { stdinSource } from "./stdin/index.js";
import { syslogSource } from "./syslog/index.js";

export const SOURCES: readonly SourceDefinition<never>[] = [
  fileSource as SourceDefinition<never>,
  kubernetesSource as SourceDefinition<never>,
  syslogSource as SourceDefinition<never>,
  otlpSource as SourceDefinition<never>,
  journaldSource as SourceDefinition<never>,
  stdinSource as SourceDefinition<never>,
];
