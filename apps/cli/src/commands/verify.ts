// `meshlog verify --data DIR [--output json] [--witness FILE]`: offline check of every block, checkpoint and tombstone.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseMasterKey, verifyDataDir } from "@meshlog/storage";
import { checkFlags, flag, parseArgs } from "../args.js";
import type { Command } from "../command.js";

/** Where verify remembers the newest checkpoint it saw for a data folder (outside the folder, so a rollback of it is caught). */
export function defaultWitnessFile(dataDir: string, env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== "" ? env.XDG_STATE_HOME : join(homedir(), ".local", "state");
  const id = createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 24);
  return join(base, "meshlog", "witness", `${id}.json`);
}

export const verifyCommand: Command = {
  name: "verify",
  summary: "verify a data folder offline: blocks, ledger, checkpoints, tombstones (exit 0 only if all pass)",
  async run(args, io) {
    const p = parseArgs(args, ["no-witness", "help"]);
    if (p.bools.has("help")) {
      io.out(
        "usage: meshlog verify --data DIR [--output text|json] [--witness FILE | --no-witness] [--trusted-key PEMFILE ...]\n" +
          "Checks every block's ciphertext and header hash, its membership in the tenant ledger, its decrypted records against\n" +
          "the Merkle root, every checkpoint signature and chain, that every missing block is covered by a signed tombstone,\n" +
          "and that no ledger went back to an older checkpoint than one seen before (the witness file).\n",
      );
      return 0;
    }
    checkFlags(p, ["data", "output", "witness", "trusted-key", "no-witness", "help"]);
    const data = flag(p, "data") ?? io.env.MESHLOG_DATA;
    if (data === undefined || data === "") throw new Error("--data DIR is required (the server's data folder)");
    const output = flag(p, "output") ?? "text";
    if (output !== "text" && output !== "json") throw new Error(`--output must be text or json, not ${output}`);
    const witness = p.bools.has("no-witness") ? undefined : (flag(p, "witness") ?? defaultWitnessFile(data, io.env));
    if (witness !== undefined) mkdirSync(dirname(witness), { recursive: true, mode: 0o700 });
    const trusted = p.flags.get("trusted-key");
    const masterKeyText = io.env.MESHLOG_MASTER_KEY;
    const report = await verifyDataDir({
      dataDir: resolve(data),
      ...(witness !== undefined ? { witnessFile: witness } : {}),
      ...(masterKeyText !== undefined && masterKeyText !== "" ? { masterKey: parseMasterKey(masterKeyText) } : {}),
      ...(trusted !== undefined ? { trustedPublicKeys: trusted.map((f) => readFileSync(f, "utf8")) } : {}),
    });
    if (output === "json") io.out(JSON.stringify(report, null, 2) + "\n");
    else if (report.ok)
      io.out(`verified: ${report.tenants} tenants, ${report.blocks} blocks, ${report.records} records; ledger, checkpoints and tombstones intact\n`);
    else {
      io.out(`VERIFICATION FAILED: ${report.problems.length} problem(s) in ${resolve(data)}\n`);
      for (const pr of report.problems)
        io.out(
          `- [${pr.kind}]${pr.tenant !== undefined ? ` tenant ${pr.tenant}` : ""}${pr.block !== undefined ? ` block ${pr.block}` : ""}${pr.file !== undefined ? ` (${pr.file})` : ""}: ${pr.message}\n`,
        );
    }
    return report.ok ? 0 : 1;
  },
};
