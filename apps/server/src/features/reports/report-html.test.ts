// Unit tests of the report model helpers, the HTML renderer's escaping and the incident provider seam.

import { test } from "node:test";
import assert from "node:assert/strict";
import { incidentsFnOf } from "./incident-provider.js";
import { escapeHtml, renderReportHtml } from "./report-html.js";
import { section, summarize, worst, type Soc2Report } from "./report-model.js";

const EVIL = `<x-evil onload="alert(1)">'&`;

function hostileReport(): Soc2Report {
  const sections = [
    section("sources", EVIL, [EVIL], [{ status: "attention", message: EVIL }], {
      [EVIL]: EVIL,
      streams: [{ tenant: EVIL, labels: { [EVIL]: EVIL }, nested: { deep: { deeper: { deepest: EVIL } } } }],
      list: [EVIL, 1, true, null],
    }),
    section("integrity", "Integrity", ["CC7.2"], [], { ok: true }),
  ];
  return {
    kind: "meshlog.soc2-evidence",
    version: 1,
    reportId: EVIL,
    generatedAt: EVIL,
    generatedBy: EVIL,
    period: { start: EVIL, end: EVIL },
    tenants: [EVIL],
    sections,
    summary: summarize(sections),
    anchor: {
      tenant: EVIL,
      leafIndex: 3,
      leafHash: EVIL,
      contentHash: EVIL,
      checkpoint: { origin: EVIL, tenant: EVIL, treeSize: 4, rootHash: EVIL, time: EVIL, seq: 1, prevCheckpointHash: EVIL, keyId: EVIL, signature: EVIL },
      inclusionProof: [EVIL],
    },
    signature: { alg: "Ed25519", keyId: EVIL, publicKey: EVIL, value: EVIL },
  };
}

test("every report value is escaped: no element, attribute or script can come from the data", () => {
  const html = renderReportHtml(hostileReport());
  assert.ok(!html.includes("<x-evil"), "no raw hostile element");
  assert.ok(!/<script/i.test(html));
  assert.ok(!html.includes('onload="alert'), "no raw attribute");
  assert.ok(html.includes(escapeHtml(EVIL)));
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
  // Only the renderer's own tags appear: every "<" starts a known tag.
  const tags = new Set([...html.matchAll(/<\/?([a-z0-9!]+)/gi)].map((m) => (m[1] as string).toLowerCase()));
  for (const t of tags)
    assert.ok(
      [
        "!doctype",
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "dl",
        "dt",
        "dd",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "ul",
        "ol",
        "li",
        "a",
        "p",
        "section",
      ].includes(t),
      `unexpected tag ${t}`,
    );
});

test("escapeHtml covers the five HTML-special characters", () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  assert.equal(escapeHtml(""), "");
});

test("a section takes the worst status of its findings and the summary the worst of its sections", () => {
  assert.equal(worst([]), "pass");
  assert.equal(worst(["pass", "attention"]), "attention");
  assert.equal(worst(["attention", "fail", "pass"]), "fail");
  const a = section("a", "A", ["CC1"], [], {});
  const b = section("b", "B", ["CC2"], [{ status: "attention", message: "look" }], {});
  const c = section(
    "c",
    "C",
    ["CC3"],
    [
      { status: "pass", message: "note" },
      { status: "fail", message: "broken" },
    ],
    {},
  );
  assert.deepEqual([a.status, b.status, c.status], ["pass", "attention", "fail"]);
  assert.deepEqual(summarize([a, b, c]), { status: "fail", pass: 1, attention: 1, fail: 1, findings: ["b: look", "c: broken"] });
});

test("the incident provider may be registered as an object or a function; anything else means no alerting", async () => {
  const list = [{ id: "i", rule: "r", tenant: "a", startedAt: "2026-01-01T00:00:00Z" }];
  const q = { start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z" };
  assert.deepEqual(await incidentsFnOf({ incidents: () => list })?.(q), list);
  assert.deepEqual(await incidentsFnOf(async () => list)?.(q), list);
  for (const none of [undefined, null, 42, "x", {}, { incidents: "no" }]) assert.equal(incidentsFnOf(none), undefined);
});
