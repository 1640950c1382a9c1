// The alert state machine alone: Prometheus `for` semantics, label/annotation templating, duplicate series, snapshots.

import { test } from "node:test";
import assert from "node:assert/strict";
import { AlertStateMachine, expandTemplate, fingerprintOf, type RuleRef } from "./alert-state.js";

const rule: RuleRef = {
  key: "r1",
  tenant: "t",
  namespace: "ns",
  group: "g",
  alert: "Errors",
  forNs: 120n,
  labels: { severity: "page", svc: "{{ $labels.service }}" },
  annotations: { summary: "{{ $labels.service }} has {{ $value }} errors ({{ .Labels.missing }})" },
};

test("inactive -> pending -> firing after exactly `for`, then resolved; each transition is reported once", () => {
  const sm = new AlertStateMachine();
  const s = [{ labels: { service: "api" }, value: 5 }];
  assert.deepEqual(
    sm.apply(rule, 1000n, s).map((t) => t.kind),
    ["pending"],
  );
  assert.deepEqual(sm.apply(rule, 1060n, s), []);
  assert.deepEqual(
    sm.apply(rule, 1120n, [{ labels: { service: "api" }, value: 9 }]).map((t) => t.kind),
    ["firing"],
  );
  const [a] = sm.alertsOf("r1");
  assert.deepEqual(a?.labels, { service: "api", severity: "page", svc: "api", alertname: "Errors" });
  assert.equal(a?.annotations.summary, "api has 9 errors ()");
  assert.equal(a?.activeAtNs, 1000n);
  assert.equal(a?.firedAtNs, 1120n);
  assert.deepEqual(sm.apply(rule, 1180n, s), []);
  const out = sm.apply(rule, 1240n, []);
  assert.deepEqual(
    out.map((t) => [t.kind, t.alert.fingerprint]),
    [["resolved", a?.fingerprint]],
  );
  assert.equal(sm.all().length, 0);
});

test("for 0 reports pending and firing together; a vanished pending alert is cancelled", () => {
  const sm = new AlertStateMachine();
  assert.deepEqual(
    sm.apply({ ...rule, forNs: 0n }, 1n, [{ labels: {}, value: 1 }]).map((t) => t.kind),
    ["pending", "firing"],
  );
  const sm2 = new AlertStateMachine();
  sm2.apply(rule, 1n, [{ labels: { service: "a" }, value: 1 }]);
  assert.deepEqual(
    sm2.apply(rule, 2n, []).map((t) => t.kind),
    ["cancelled"],
  );
});

test("series that collide after the rule's labels are applied are an error and change nothing", () => {
  const sm = new AlertStateMachine();
  const flat = { ...rule, labels: { service: "x" } };
  assert.throws(
    () =>
      sm.apply(flat, 1n, [
        { labels: { service: "a" }, value: 1 },
        { labels: { service: "b" }, value: 2 },
      ]),
    /same label set/,
  );
  assert.equal(sm.all().length, 0);
});

test("fingerprints depend on tenant and label set, not on label order; __name__ is dropped", () => {
  assert.equal(fingerprintOf("t", { a: "1", b: "2" }), fingerprintOf("t", { b: "2", a: "1" }));
  assert.notEqual(fingerprintOf("t", { a: "1" }), fingerprintOf("u", { a: "1" }));
  const sm = new AlertStateMachine();
  sm.apply({ ...rule, labels: {} }, 1n, [{ labels: { __name__: "x", service: "a" }, value: 1 }]);
  assert.deepEqual(sm.all()[0]?.labels, { service: "a", alertname: "Errors" });
});

test("templates expand labels and value and leave other text alone", () => {
  assert.equal(expandTemplate("{{$labels.a}}/{{ .Value }}/{{ $value }}", { a: "x" }, 2.5), "x/2.5/2.5");
  assert.equal(expandTemplate('{{ printf "%s" $labels.a }}', { a: "x" }, 1), '{{ printf "%s" $labels.a }}');
  assert.equal(expandTemplate("plain", {}, 1), "plain");
});

test("a snapshot restores pending and firing alerts; malformed entries are skipped", () => {
  const sm = new AlertStateMachine();
  sm.apply({ ...rule, forNs: 0n }, 5n, [{ labels: { service: "a" }, value: 3 }]);
  sm.alertsOf("r1")[0]!.incidentId = "inc-1";
  const snap = JSON.parse(JSON.stringify(sm.snapshot())) as unknown[];
  const back = new AlertStateMachine();
  assert.deepEqual(back.restore([...snap, { junk: true }, null]), { restored: 1, skipped: 2 });
  assert.deepEqual(back.all(), sm.all());
  assert.deepEqual(back.apply({ ...rule, forNs: 0n }, 6n, [{ labels: { service: "a" }, value: 4 }]), [], "still firing: no new transition");
});
