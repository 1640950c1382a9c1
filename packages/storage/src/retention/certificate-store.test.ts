// Certificate files as verify reads them: malformed, truncated, oversized and hostile files are reported, never crash.

import { test } from "node:test";
import assert from "node:assert/strict";
import { verifyDataDir } from "../verify/verify-data-dir.js";
import { CertificateStore } from "./certificate-store.js";
import { retentionPaths } from "./retention-files.js";
import { DAY, rec, retentionWorld, T0 } from "./retention-test-kit.js";

test("hostile certificate files make verify fail with a certificate problem naming the file", async () => {
  const w = await retentionWorld();
  await w.store.append("t1", [rec("t1", { service: "api" }, T0, "x")]);
  await w.store.flush();
  w.clock.set(T0 + 91n * DAY);
  await w.enforcer.run();
  const [cert] = await w.certificates.list(["t1"]);
  assert.ok(cert !== undefined);
  await w.store.close();
  const dir = retentionPaths(w.fs, "/data").certificatesDir;
  const good = (await w.fs.readFile(w.fs.join(dir, `${cert.id}.json`))).toString("utf8");
  const cases: [string, string][] = [
    ["t1.900.json", good.replace(`"leafIndex": ${cert.ledger.leafIndex}`, '"leafIndex": 900')],
    ["t1.901.json", good.slice(0, good.length >> 1)],
    ["t1.902.json", "{}"],
    ["t1.903.json", "null"],
    ["t1.904.json", "[".repeat(100_000)],
    ["t1.905.json", JSON.stringify({ ...cert, ledger: { ...cert.ledger, leafIndex: 905, inclusionProof: ["zz"] } })],
    ["nobody.1.json", good],
    ["t1.906.json", JSON.stringify({ ...cert, what: { ...cert.what, blocks: [null] }, ledger: { ...cert.ledger, leafIndex: 906 } })],
    ["t1.907.json", JSON.stringify({ ...cert, ledger: { leafIndex: 907, inclusionProof: [] } })],
  ];
  for (const [name, text] of cases) {
    await w.fs.writeFileAtomic(w.fs.join(dir, name), Buffer.from(text));
    const r = await verifyDataDir({ dataDir: "/data", fs: w.fs });
    assert.equal(r.ok, false, name);
    assert.ok(
      r.problems.some((p) => p.kind === "certificate" && p.file?.endsWith(name) === true),
      `${name}: ${JSON.stringify(r.problems)}`,
    );
    await w.fs.unlink(w.fs.join(dir, name));
  }
  assert.equal((await verifyDataDir({ dataDir: "/data", fs: w.fs })).ok, true);
  await assert.rejects(new CertificateStore(w.fs, "/data").get("../../keys/master"), { code: "RETENTION_CERTIFICATE_UNKNOWN" });
});
