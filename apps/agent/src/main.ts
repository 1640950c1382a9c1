// `meshlog agent` entry point: argument parsing, --check-config, signals (SIGHUP reload, SIGTERM stop).

import { jsonLogger, MeshlogError } from "@meshlog/core";
import { configReference } from "./config/config-reference.js";
import { loadConfig, type Registries } from "./config/load-config.js";
import { Agent } from "./runtime/agent.js";
import { SINKS } from "./sinks/index.js";
import { SOURCES } from "./sources/index.js";
import { TRANSFORMS } from "./transforms/index.js";

export const REGISTRIES: Registries = { sources: SOURCES, transforms: TRANSFORMS, sinks: SINKS };

const USAGE = `Usage: meshlog agent [--config FILE] [--check-config]

  --config FILE    agent config (YAML); default /etc/meshlog/agent.yaml or $MESHLOG_AGENT_CONFIG
  --check-config   validate the config and exit (0 valid, 2 invalid)
  --print-config-reference   print the Markdown reference of every config key

Signals: SIGHUP reloads the config without losing buffered data; SIGTERM/SIGINT stop cleanly.
Self-monitoring: GET /metrics and /health on api.address (default 127.0.0.1:8687).
`;

interface Args {
  config: string;
  check: boolean;
  help: boolean;
  reference: boolean;
}

function parseArgs(argv: readonly string[]): Args | string {
  const a: Args = { config: process.env.MESHLOG_AGENT_CONFIG ?? "/etc/meshlog/agent.yaml", check: false, help: false, reference: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--config" || arg === "-c") {
      const v = argv[++i];
      if (v === undefined) return "--config needs a file name";
      a.config = v;
    } else if (arg?.startsWith("--config=") === true) a.config = arg.slice("--config=".length);
    else if (arg === "--check-config") a.check = true;
    else if (arg === "--help" || arg === "-h") a.help = true;
    else if (arg === "--print-config-reference") a.reference = true;
    else return `unknown argument "${arg}"`;
  }
  return a;
}

/** Runs the agent until SIGTERM/SIGINT; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`meshlog agent: ${args}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.reference) {
    process.stdout.write(configReference(REGISTRIES));
    return 0;
  }
  let config;
  try {
    config = await loadConfig(args.config, process.env, REGISTRIES);
  } catch (err) {
    process.stderr.write(`${err instanceof MeshlogError ? err.message : String(err)}\n`);
    return 2;
  }
  if (args.check) {
    process.stdout.write(`${args.config}: OK (${config.sources.length} sources, ${config.transforms.length} transforms, ${config.sinks.length} sinks)\n`);
    return 0;
  }
  const logger = jsonLogger((line) => process.stderr.write(line), config.log_level, { component: "agent" });
  let agent: Agent;
  try {
    agent = await Agent.start(config, { logger });
  } catch (err) {
    logger.error("agent failed to start", { error: err as Error });
    return 1;
  }
  return new Promise<number>((resolve) => {
    let reloading = Promise.resolve();
    const onHup = (): void => {
      reloading = reloading.then(async () => {
        try {
          await agent.reload(await loadConfig(args.config, process.env, REGISTRIES));
        } catch (err) {
          logger.error("config reload failed; keeping the running config", { error: err instanceof MeshlogError ? err.message : (err as Error) });
        }
      });
    };
    const onStop = (signal: string) => (): void => {
      process.off("SIGHUP", onHup);
      logger.info("stopping", { signal });
      void reloading
        .then(() => agent.stop())
        .then(
          () => resolve(0),
          (err: unknown) => {
            logger.error("error while stopping", { error: err as Error });
            resolve(1);
          },
        );
    };
    process.on("SIGHUP", onHup);
    process.once("SIGTERM", onStop("SIGTERM"));
    process.once("SIGINT", onStop("SIGINT"));
  });
}
