// Error codes of the normalization pipeline (parsers, label rules, redaction, transforms).

import { defineErrors } from "@meshlog/core";

export const PipelineErrors = defineErrors("pipeline", {
  PIPELINE_SYSLOG_INVALID: { status: 400, description: "A syslog message could not be parsed; the message names the part and the offset." },
  PIPELINE_BODY_INVALID: {
    status: 400,
    description: "A log line did not match the format it was declared to be in; the message names the format and what failed.",
  },
  PIPELINE_CONFIG_INVALID: { status: 400, description: "A pipeline or transform configuration is invalid; the message names the key." },
  PIPELINE_PATTERN_INVALID: { status: 400, description: "A custom regular expression does not compile under RE2 syntax." },
  PIPELINE_TRANSFORM_UNKNOWN: { status: 400, description: "A transform type is not registered; the message lists the known types." },
  PIPELINE_FIELD_INVALID: { status: 400, description: "A field reference is not one of body, severity, labels.X, attributes.X, resource.X, ..." },
});
