// Contract of a CLI command: one file per command under commands/, listed in commands.ts.

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Returns the process exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}
