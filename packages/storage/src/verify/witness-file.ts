// The verify witness file: the latest checkpoint seen per tenant, so a rolled-back ledger is detected.

import type { FileSystem } from "../io/file-system.js";
import type { Checkpoint } from "../ledger/ledger-format.js";

interface WitnessBody {
  readonly format: "meshlog-verify-witness";
  readonly version: 1;
  readonly tenants: Record<string, Checkpoint>;
}

/** Reads the witness file ({} when it does not exist; a problem when it cannot be parsed). */
export async function readWitness(
  fs: FileSystem,
  file: string,
  problems: { kind: string; file?: string; message: string }[],
): Promise<Record<string, Checkpoint>> {
  if ((await fs.stat(file)) === undefined) return {};
  try {
    const body = JSON.parse((await fs.readFile(file)).toString("utf8")) as Partial<WitnessBody>;
    if (body.format !== "meshlog-verify-witness" || body.version !== 1 || typeof body.tenants !== "object" || body.tenants === null)
      throw new Error("not a meshlog verify witness file");
    return body.tenants;
  } catch (e) {
    problems.push({ kind: "witness", file, message: `Cannot read the witness file: ${(e as Error).message}` });
    return {};
  }
}

export async function writeWitness(fs: FileSystem, file: string, tenants: Record<string, Checkpoint>): Promise<void> {
  const body: WitnessBody = { format: "meshlog-verify-witness", version: 1, tenants };
  await fs.writeFileAtomic(file, Buffer.from(JSON.stringify(body, null, 2) + "\n"));
}
