// ${VAR} and ${VAR:-default} substitution in config text, before YAML parsing ($${ is a literal ${).

import { MeshlogError } from "@meshlog/core";
import { AgentErrors } from "../errors.js";

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}\n]*))?\}/g;

/**
 * Replaces environment references. An unset variable without a default is an error naming the file and
 * line; a value containing a newline is refused so it cannot inject YAML structure.
 */
export function interpolateEnv(text: string, env: Readonly<Record<string, string | undefined>>, file: string): string {
  return text.replace(REF, (whole: string, name: string | undefined, def: string | undefined, offset: number) => {
    if (whole === "$${") return "${";
    const line = text.slice(0, offset).split("\n").length;
    const value = env[name ?? ""] ?? def;
    if (value === undefined) {
      throw new MeshlogError(
        AgentErrors.AGENT_CONFIG_ENV_MISSING,
        `${file}:${line}: environment variable ${name} is not set and \${${name}} has no default (write \${${name}:-default})`,
      );
    }
    if (/[\r\n]/.test(value)) {
      throw new MeshlogError(
        AgentErrors.AGENT_CONFIG_ENV_MISSING,
        `${file}:${line}: environment variable ${name} contains a newline, which is not allowed in config values`,
      );
    }
    return value;
  });
}
