// Minimal flag parser for CLI commands: --name value, --name=value, repeated flags, booleans, positionals.

export interface ParsedArgs {
  flags: Map<string, string[]>;
  bools: Set<string>;
  positionals: string[];
}

/** Parses args; `booleanFlags` take no value. Unknown flags are returned too (commands validate). */
export function parseArgs(args: readonly string[], booleanFlags: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string[]>();
  const bools = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (booleanFlags.includes(name) && eq < 0) {
        bools.add(name);
        continue;
      }
      const value = eq < 0 ? args[++i] : a.slice(eq + 1);
      if (value === undefined) throw new Error(`--${name} needs a value`);
      const list = flags.get(name) ?? [];
      list.push(value);
      flags.set(name, list);
    } else positionals.push(a);
  }
  return { flags, bools, positionals };
}

export function flag(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

/** Throws naming the first flag not in `known`. */
export function checkFlags(p: ParsedArgs, known: readonly string[]): void {
  for (const name of [...p.flags.keys(), ...p.bools]) if (!known.includes(name)) throw new Error(`unknown option --${name}`);
}
