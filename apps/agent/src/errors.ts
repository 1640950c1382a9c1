// Error codes of the agent (config, buffer, checkpoints, sources, sinks).

import { defineErrors } from "@meshlog/core";

export const AgentErrors = defineErrors("agent", {
  AGENT_CONFIG_INVALID: { status: 400, description: "The agent config file is invalid; the message names the file, line and key." },
  AGENT_CONFIG_UNREADABLE: { status: 400, description: "The agent config file could not be read or is not valid YAML." },
  AGENT_CONFIG_ENV_MISSING: { status: 400, description: "A ${VAR} in the config names an unset variable and has no default." },
  AGENT_BUFFER_CORRUPT: { status: 500, description: "A disk buffer segment has a bad frame; the tail after it is quarantined and reported." },
  AGENT_BUFFER_CLOSED: { status: 503, description: "The disk buffer was written after it was closed." },
  AGENT_CHECKPOINT_CORRUPT: { status: 500, description: "The checkpoint file could not be parsed; the message names the file." },
  AGENT_SOURCE_FAILED: { status: 500, description: "A source failed to start (bind, open, spawn); the message names the source." },
  AGENT_SINK_FAILED: { status: 500, description: "A sink could not be created (bad TLS files, endpoint); the message names the sink." },
});
