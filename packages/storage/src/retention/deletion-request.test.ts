// Deletion requests: lines are removed by rewriting blocks, queries stay exact, holds refuse, crashes roll back cleanly.

import { test } from "node:test";
import assert from "node:assert/strict";
import { streamIdOf } from "@meshlog/core";
import { verifyDataDir } from "../verify/verify-data-dir.js";
import { certificateProblems } from "./deletion-certificate.js";
import { DeletionRequests, type RewriteTarget } from "./deletion-request.js";
import { rec, retentionWorld, T0, testSelector, type RetentionWorld } from "./retention-test-kit.js";

const API = { service: "api", source: "native" };
const WEB = { service: "web", source: "native" };

async function seeded(): Promise<RetentionWorld> {
  const w = await retentionWorld();
  await w.store.append("t1", [
    rec("t1", API, T0 + 10n, "api one"),
    rec("t1", API, T0 + 11n, "api two"),
    rec("t1", API, T0 + 12n, "api three"),
    rec("t1", WEB, T0 + 11n, "web two"),
  ]);
  await w.store.flush();
  return w;
}

const requests = (w: RetentionWorld, target: RewriteTarget = w.store): DeletionRequests =>
  new DeletionRequests({ fs: w.fs, dataDir: "/data", target, holds: w.holds, compile: testSelector, clock: w.clock });

async function bodies(w: RetentionWorld): Promise<string[]> {
  const out: string[] = [];
  const ids = [streamIdOf("t1", API), streamIdOf("t1", WEB)];
  for await (const b of w.store.select({ tenant: "t1", streamIds: ids, start: 0n, end: T0 * 2n, direction: "forward" }))
    out.push(...b.map((e) => e.record.body));
  return out.sort();
}

test("a deletion request removes exactly the matching lines in the range, with a certificate, and verify passes", async () => {
  const w = await seeded();
  const r = await requests(w).execute({
    tenant: "t1",
    selector: '{service="api"}',
    start: T0 + 11n,
    end: T0 + 12n,
    reason: "GDPR erasure #7",
    principal: "admin",
  });
  assert.equal(r.state, "done");
  assert.equal(r.droppedRecords, 1);
  assert.deepEqual(await bodies(w), ["api one", "api three", "web two"]);
  const [cert] = await w.enforcer.certifyTenant("t1").then(async (ids) => Promise.all(ids.map((id) => w.certificates.get(id))));
  assert.equal(cert?.kind, "deletion-request");
  assert.match(cert?.why.policy ?? "", /1 records removed/);
  const entries = ((await w.store.ledger("t1")).raw as { entries(): never[] }).entries();
  assert.deepEqual(certificateProblems(cert as NonNullable<typeof cert>, entries), []);
  await w.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

test("a request that matches nothing changes nothing", async () => {
  const w = await seeded();
  const r = await requests(w).execute({ tenant: "t1", selector: '{service="api"}', start: T0 + 100n, end: T0 + 200n, reason: "nothing", principal: "admin" });
  assert.equal(r.droppedRecords, 0);
  assert.equal(r.tombstoneIndex, -1);
  assert.deepEqual(await bodies(w), ["api one", "api three", "api two", "web two"]);
  await w.store.close();
});

test("malformed requests are refused naming the field, and held streams refuse the request", async () => {
  const w = await seeded();
  const dr = requests(w);
  const bad: [Record<string, unknown>, string][] = [
    [{ selector: "{", start: T0, end: T0 + 1n, reason: "r" }, "selector"],
    [{ selector: '{a="b"}', start: T0 + 1n, end: T0, reason: "r" }, "start"],
    [{ selector: '{a="b"}', start: T0, end: T0 + 1n, reason: " " }, "reason"],
    [{ selector: '{a="b"}', start: T0, end: T0 + 1n, reason: "r", tenant: "../x" }, "tenant"],
  ];
  for (const [spec, field] of bad) {
    await assert.rejects(
      dr.execute({ tenant: "t1", principal: "p", ...spec } as never),
      (e: Error & { code?: string; details?: { field?: string } }) => e.code === "RETENTION_REQUEST_INVALID" && e.details?.field === field,
    );
  }
  await w.holds.place({ tenant: "t1", selector: '{service="api"}', reason: "case", principal: "admin" });
  await assert.rejects(dr.execute({ tenant: "t1", selector: '{service="api"}', start: T0, end: T0 * 2n, reason: "r", principal: "p" }), {
    code: "RETENTION_HELD",
  });
  assert.deepEqual(await bodies(w), ["api one", "api three", "api two", "web two"]);
  await w.store.close();
});

test("a request interrupted after its replacement was written is rolled back and redone on resume: no loss, no duplicate", async () => {
  const w = await seeded();
  const st = w.store;
  const crashing: RewriteTarget = {
    tenants: () => st.tenants(),
    catalog: (t) => st.catalog(t),
    ledger: (t) => st.ledger(t),
    deleteBlocks: (t, ids, tomb) => st.deleteBlocks(t, ids, tomb),
    keyRing: () => st.keyRing(),
    runExclusive: (fn) => st.runExclusive(fn),
    flush: () => st.flush(),
    rewriteBlocks: ((tenant, ids, newIds, drop) =>
      w.store.rewriteBlocks(tenant, ids, newIds, drop, () => {
        throw new Error("crash before the tombstone");
      })) as RewriteTarget["rewriteBlocks"],
  };
  await assert.rejects(
    requests(w, crashing).execute({ tenant: "t1", selector: '{service="api"}', start: T0 + 11n, end: T0 + 12n, reason: "erase", principal: "admin" }),
    /crash/,
  );
  await w.store.close();
  // Restart: the replacement block is on disk and in the ledger (the catalog is rebuilt with it).
  const again = await retentionWorld({ fs: w.fs, clock: w.clock });
  const dr = requests(again);
  assert.equal((await dr.list())[0]?.state, "planned");
  assert.equal((await dr.resume()).length, 1);
  assert.equal((await dr.list())[0]?.state, "done");
  assert.deepEqual(await bodies(again), ["api one", "api three", "web two"]);
  await again.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

/** Test line-filter compiler: `{...} |= "x"` keeps lines containing x (enough for storage tests; the server uses LogQL). */
const containsFilter = (query: string): ((line: string) => boolean) => {
  const m = /^\{[^}]*\}\s*\|=\s*"([^"]*)"$/.exec(query.trim());
  if (m === null) throw new Error(`unsupported query ${JSON.stringify(query)}`);
  const needle = m[1] as string;
  return (line) => line.includes(needle);
};

test("a request with a line filter removes only the matching lines of the matching streams", async () => {
  const w = await seeded();
  const dr = new DeletionRequests({
    fs: w.fs,
    dataDir: "/data",
    target: w.store,
    holds: w.holds,
    compile: testSelector,
    clock: w.clock,
    compileQuery: containsFilter,
  });
  const r = await dr.execute({
    tenant: "t1",
    selector: '{service="api"}',
    query: '{service="api"} |= "t"',
    start: T0,
    end: T0 * 2n,
    reason: "secret",
    principal: "admin",
  });
  assert.equal(r.droppedRecords, 2);
  assert.deepEqual(await bodies(w), ["api one", "web two"]);
  await assert.rejects(dr.execute({ tenant: "t1", selector: '{service="api"}', query: "nonsense", start: T0, end: T0 + 1n, reason: "r", principal: "p" }), {
    code: "RETENTION_REQUEST_INVALID",
  });
  await assert.rejects(
    requests(w).execute({ tenant: "t1", selector: '{service="api"}', query: '{service="api"} |= "t"', start: T0, end: T0 + 1n, reason: "r", principal: "p" }),
    {
      code: "RETENTION_REQUEST_INVALID",
    },
  );
  await w.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

test("queued requests run once due, can be cancelled before, and wait while a legal hold covers their data", async () => {
  const w = await seeded();
  const dr = new DeletionRequests({
    fs: w.fs,
    dataDir: "/data",
    target: w.store,
    holds: w.holds,
    compile: testSelector,
    clock: w.clock,
    compileQuery: containsFilter,
  });
  const spec = { tenant: "t1", selector: '{service="api"}', start: T0, end: T0 * 2n, reason: "loki delete", principal: "admin" };
  const a = await dr.submit({ ...spec, query: '{service="api"} |= "one"' }, 1000n);
  const b = await dr.submit({ ...spec, query: '{service="api"} |= "two"' }, 1000n);
  assert.equal(a.state, "received");
  assert.deepEqual(await dr.processDue(), [], "nothing is due yet");
  assert.equal((await dr.cancel(b.id, "admin")).state, "cancelled");
  await assert.rejects(dr.cancel(b.id, "admin"), { code: "RETENTION_DELETE_PROCESSED" });
  await assert.rejects(dr.cancel("dr-0000000000000000", "admin"), { code: "RETENTION_DELETE_UNKNOWN" });
  await assert.rejects(dr.cancel(a.id, "admin", "other-tenant"), { code: "RETENTION_DELETE_UNKNOWN" });
  const hold = await w.holds.place({ tenant: "t1", selector: '{service="api"}', reason: "case", principal: "admin" });
  w.clock.advance(2000n);
  assert.deepEqual(await dr.processDue(), [], "held data waits");
  await w.holds.release(hold.id, "admin");
  const done = await dr.processDue();
  assert.deepEqual(
    done.map((r) => [r.id, r.state, r.droppedRecords]),
    [[a.id, "done", 1]],
  );
  await assert.rejects(dr.cancel(a.id, "admin"), { code: "RETENTION_DELETE_PROCESSED" });
  assert.deepEqual(await bodies(w), ["api three", "api two", "web two"]);
  await w.store.close();
});
