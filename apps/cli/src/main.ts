// `meshlog <command>`: dispatches to the commands of commands.ts (server and agent are dispatched by the binary).

import { commands } from "./commands.js";
import type { CliIo } from "./command.js";

const usage = (): string =>
  [
    "usage: meshlog <command> [options]",
    "",
    "  server            run the server (meshlog server --help)",
    "  agent             run the collection agent (meshlog agent --help)",
    ...commands.map((c) => `  ${c.name.padEnd(17)} ${c.summary}`),
    "",
  ].join("\n");

export async function main(
  argv: string[],
  io: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    io.err(`meshlog: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    io.err(`meshlog ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
