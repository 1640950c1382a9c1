// Sink registry: one line per sink component.

import type { SinkDefinition } from "../contracts.js";
import { elasticsearchSink } from "./elasticsearch/index.js";
import { fileSink } from "./file/index.js";
import { lokiSink } from "./loki/index.js";
import { meshlogSink } from "./meshlog/index.js";
import { otlpSink } from "./otlp/index.js";
import { stdoutSink } from "./stdout/index.js";

export const SINKS: readonly SinkDefinition<never>[] = [
  meshlogSink as SinkDefinition<never>,
  lokiSink as SinkDefinition<never>,
  elasticsearchSink as SinkDefinition<never>,
  otlpSink as SinkDefinition<never>,
  stdoutSink as SinkDefinition<never>,
  fileSink as SinkDefinition<never>,
];
