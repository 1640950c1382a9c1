// Policy validation and resolution, legal hold store: table-driven, with malformed and hostile inputs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { HoldStore } from "./legal-hold.js";
import { PolicyStore } from "./policy-store.js";
import { parseRetentionDays, periodEndNs, retentionClassName, retentionDaysOfClass } from "./retention-class.js";
import { RetentionPolicies, type TenantPolicySpec } from "./retention-policy.js";
import { T0, testSelector } from "./retention-test-kit.js";

const policies = (): RetentionPolicies => new RetentionPolicies({ defaultDays: 90, auditWindowDays: 400 }, testSelector);

test("retention durations parse to days and malformed ones are refused", () => {
  for (const [text, days] of [
    ["90d", 90],
    ["4w", 28],
    ["1y", 365],
    ["36500d", 36500],
  ] as const)
    assert.equal(parseRetentionDays(text, "x"), days);
  for (const bad of ["", "0d", "-1d", "90", "90D", "1.5d", "1e3d", "36501d", "999999d", " 90d", "90d\n", "d", 90, null, {}, "9".repeat(10_000) + "d"]) {
    assert.throws(() => parseRetentionDays(bad, "rule 1"), { code: "RETENTION_POLICY_INVALID" }, `accepted ${JSON.stringify(bad)?.slice(0, 20)}`);
  }
  assert.equal(retentionClassName(400), "r400d");
  assert.equal(retentionDaysOfClass("r400d"), 400);
  assert.equal(retentionDaysOfClass("default"), undefined);
  assert.equal(retentionDaysOfClass("r0d"), undefined);
  assert.equal(periodEndNs("2023-12"), BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n);
});

test("the first matching rule wins, then the tenant default, then the global default", () => {
  const p = policies();
  p.set({
    tenant: "t1",
    default: "30d",
    rules: [
      { selector: '{namespace="payments"}', retention: "400d" },
      { selector: '{namespace="payments", app="x"}', retention: "7d" },
    ],
    version: 1,
    updatedAt: "",
    updatedBy: "a",
  });
  const cases: [string, Record<string, string>, number][] = [
    ["t1", { namespace: "payments", app: "x" }, 400],
    ["t1", { namespace: "web" }, 30],
    ["t2", { namespace: "payments" }, 90],
    ["t1", { namespace: "web", source: "audit" }, 400],
    ["_audit", { service: "meshlog" }, 400],
  ];
  for (const [tenant, labels, days] of cases) assert.equal(p.daysFor(tenant, labels), days, `${tenant} ${JSON.stringify(labels)}`);
  assert.equal(p.classFor("t1", { namespace: "web" }), "r30d");
  assert.equal(p.maxDaysOf("t1"), 400);
});

test("policies shorter than the audit window for audit streams are refused with a clear error", () => {
  const p = policies();
  const refused: [string, TenantPolicySpec, RegExp][] = [
    ["_audit", { default: "90d", rules: [] }, /audit window/],
    ["_audit", { rules: [{ selector: '{service="x"}', retention: "30d" }] }, /rule 1.*audit window/],
    ["t1", { rules: [{ selector: '{source="audit"}', retention: "399d" }] }, /shorter than the 400-day audit window/],
    ["t1", { rules: [{ selector: '{source!="native"}', retention: "30d" }] }, /audit window/],
  ];
  for (const [tenant, spec, msg] of refused)
    assert.throws(
      () => p.validate(tenant, spec),
      (e: Error & { code?: string }) => e.code === "RETENTION_POLICY_INVALID" && msg.test(e.message),
      JSON.stringify(spec),
    );
  p.validate("t1", {
    rules: [
      { selector: '{source="audit"}', retention: "400d" },
      { selector: '{namespace="x"}', retention: "30d" },
    ],
  });
  p.validate("_audit", { default: "2y", rules: [] });
});

test("malformed and hostile policies are refused naming the rule", () => {
  const p = policies();
  const bad: unknown[] = [
    { rules: "x" },
    { rules: [null] },
    { rules: [{ selector: 5, retention: "1d" }] },
    { rules: [{ selector: "{a=b}", retention: "1d" }] },
    { rules: [{ selector: '{a="b"}', retention: "forever" }] },
    { rules: [{ selector: '{a="b"}', retention: "1d", extra: 1 }] },
    { rules: Array.from({ length: 257 }, () => ({ selector: '{a="b"}', retention: "1d" })) },
    { default: "0d", rules: [] },
    { rules: [{ selector: "{" + 'a="b",'.repeat(10_000) + "}", retention: "1d" }], huge: true },
  ];
  for (const spec of bad) assert.throws(() => p.validate("t1", spec as TenantPolicySpec), { code: "RETENTION_POLICY_INVALID" });
});

test("policies survive a restart through the policy file", async () => {
  const fs = new FaultyFileSystem();
  const p = policies();
  p.set({ tenant: "t1", default: "30d", rules: [{ selector: '{a="b"}', retention: "1y" }], version: 2, updatedAt: "2024-01-01T00:00:00Z", updatedBy: "admin" });
  await new PolicyStore(fs, "/data").save(p);
  const q = policies();
  assert.equal(await new PolicyStore(fs, "/data").load(q), 1);
  assert.deepEqual(q.get("t1"), p.get("t1"));
  assert.equal(q.daysFor("t1", { a: "b" }), 365);
  await fs.writeFileAtomic("/data/retention/policies.json", Buffer.from("{not json"));
  await assert.rejects(new PolicyStore(fs, "/data").load(policies()), { code: "RETENTION_FILE_CORRUPT" });
});

test("legal holds are validated, stored durably with mode 0600 and released with history", async () => {
  const fs = new FaultyFileSystem();
  const clock = new ManualClock(T0);
  const holds = await HoldStore.open(fs, "/data", clock, testSelector);
  const invalid: [Record<string, unknown>, string][] = [
    [{ tenant: "../x", selector: '{a="b"}', reason: "r" }, "tenant"],
    [{ tenant: "t1", selector: "{a=", reason: "r" }, "selector"],
    [{ tenant: "t1", selector: '{a="b"}', reason: "  " }, "reason"],
    [{ tenant: "t1", selector: '{a="b"}', reason: "x".repeat(5000) }, "reason"],
    [{ tenant: "t1", selector: '{a="b"}', reason: "r", until: "yesterday" }, "until"],
    [{ tenant: "t1", selector: '{a="b"}', reason: "r", until: "2001-01-01T00:00:00Z" }, "until"],
  ];
  for (const [req, field] of invalid) {
    await assert.rejects(
      holds.place({ principal: "p", ...req } as never),
      (e: Error & { code?: string; details?: { field?: string } }) => e.code === "RETENTION_HOLD_INVALID" && e.details?.field === field,
    );
  }
  const h = await holds.place({ tenant: "t1", selector: '{a="b"}', reason: "case 1", principal: "admin" });
  assert.equal(holds.holdsOn("t1", { a: "b" }).length, 1);
  assert.equal(holds.holdsOn("t2", { a: "b" }).length, 0);
  assert.equal(holds.holdsOn("t1", { a: "c" }).length, 0);
  assert.equal(((await fs.stat("/data/retention/holds.json"))?.mode ?? 0) & 0o777, 0o600);
  const reopened = await HoldStore.open(fs, "/data", clock, testSelector);
  assert.deepEqual(reopened.list(), holds.list());
  const released = await reopened.release(h.id, "admin2");
  assert.equal(released.releasedBy, "admin2");
  assert.equal(reopened.holdsOn("t1", { a: "b" }).length, 0);
  assert.equal((await HoldStore.open(fs, "/data", clock, testSelector)).list()[0]?.releasedBy, "admin2");
  await assert.rejects(reopened.release("hold-nope", "a"), { code: "RETENTION_HOLD_UNKNOWN" });
  await fs.writeFileAtomic("/data/retention/holds.json", Buffer.from('{"version":1,"holds":{}}'));
  await assert.rejects(HoldStore.open(fs, "/data", clock, testSelector), { code: "RETENTION_FILE_CORRUPT" });
});
