// /loki/api/v1/patterns end to end: native ingest, mined templates with counts and samples, tenant and scope isolation.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createToken, startTestServer } from "../features/auth/test-server.js";

const NAMES = ["alice", "bob", "carol", "dave", "erin", "frank"];

interface PatternsBody {
  status: string;
  data: { pattern: string; level: string; samples: [number, number][] }[];
}

test("patterns of natively ingested lines: exactly the templates, counts and samples per step; other tenants and scopes see none", async () => {
  const s = await startTestServer();
  try {
    const writer = await createToken(s, { tenant: "a", roles: ["analyst", "ingest"] });
    const otherTenant = await createToken(s, { tenant: "b", roles: ["analyst"] });
    const otherScope = await createToken(s, { tenant: "a", roles: ["analyst"], scope: '{service="billing"}' });

    const nowS = Math.floor(Date.now() / 1000);
    const base = nowS - 600;
    const perTemplate = 40;
    const lines: string[] = [];
    for (let i = 0; i < perTemplate; i++) {
      const ts = (k: number): string => `${BigInt(base + i * 6 + k) * 1_000_000_000n}`;
      const rec = (k: number, body: string): string => JSON.stringify({ timestamp: ts(k), body, labels: { service: "checkout" }, severity: "info" });
      lines.push(rec(0, `order placed id=${1000 + i * 7} items=${1 + (i % 5)} total=${(i * 3.7).toFixed(2)}`));
      lines.push(rec(1, `upstream connect error to 10.0.${i % 9}.${i + 1}:${8000 + i} after ${i * 13}ms retrying`));
      lines.push(rec(2, `login succeeded for user ${NAMES[i % NAMES.length] ?? "x"} from 192.168.${i}.7`));
    }
    const ingest = await s.call("POST", "/api/v1/ingest", { token: writer.token, raw: lines.join("\n"), headers: { "content-type": "application/x-ndjson" } });
    assert.equal(ingest.status, 200, ingest.text);
    assert.equal((ingest.json() as { accepted: number }).accepted, 3 * perTemplate);

    const params = new URLSearchParams({ query: '{service="checkout"}', start: String(base - 60), end: String(nowS + 60), step: "60s" });
    const get = async (token: string): Promise<PatternsBody> => {
      const r = await s.call("GET", `/loki/api/v1/patterns?${params.toString()}`, { token });
      assert.equal(r.status, 200, r.text);
      return r.json() as PatternsBody;
    };

    const body = await get(writer.token);
    assert.equal(body.status, "success");
    assert.deepEqual(body.data.map((p) => p.pattern).sort(), [
      "login succeeded for user <_> from <_>",
      "order placed id=<_> items=<_> total=<_>",
      "upstream connect error to <_> after <_> retrying",
    ]);
    let total = 0;
    for (const p of body.data) {
      assert.equal(p.level, "info");
      const sum = p.samples.reduce((n, [, c]) => n + c, 0);
      assert.equal(sum, perTemplate, p.pattern);
      total += sum;
      // 40 lines 6 s apart span 240 s: 4 to 6 one-minute buckets, aligned to the step, in time order.
      assert.ok(p.samples.length >= 4 && p.samples.length <= 6, JSON.stringify(p.samples));
      for (const [t] of p.samples) assert.equal(t % 60, 0);
      assert.deepEqual(
        p.samples.map(([t]) => t),
        [...p.samples.map(([t]) => t)].sort((a, b) => a - b),
      );
    }
    assert.equal(total, 3 * perTemplate);

    // Each pattern is a valid LogQL pattern filter that selects exactly its lines.
    for (const p of body.data) {
      const q = new URLSearchParams({ query: `{service="checkout"} |> ${JSON.stringify(p.pattern)}`, since: "1h", limit: "1000" });
      const r = await s.call("GET", `/loki/api/v1/query_range?${q.toString()}`, { token: writer.token });
      assert.equal(r.status, 200, r.text);
      const streams = (r.json() as { data: { result: { values: unknown[] }[] } }).data.result;
      assert.equal(
        streams.reduce((n, st) => n + st.values.length, 0),
        perTemplate,
        p.pattern,
      );
    }

    // The form-encoded POST answers the same.
    const post = await s.call("POST", "/loki/api/v1/patterns", {
      token: writer.token,
      raw: params.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(post.status, 200, post.text);
    assert.deepEqual((post.json() as PatternsBody).data, body.data);

    // Line filters apply; limit cuts.
    const filtered = await s.call("GET", `/loki/api/v1/patterns?${new URLSearchParams({ query: '{service="checkout"} |= "login"', since: "1h" }).toString()}`, {
      token: writer.token,
    });
    assert.deepEqual(
      (filtered.json() as PatternsBody).data.map((p) => p.pattern),
      ["login succeeded for user <_> from <_>"],
    );
    const limited = await s.call("GET", `/loki/api/v1/patterns?${params.toString()}&limit=1`, { token: writer.token });
    assert.equal((limited.json() as PatternsBody).data.length, 1);

    // Another tenant and a label scope outside the stream see nothing.
    assert.deepEqual((await get(otherTenant.token)).data, []);
    assert.deepEqual((await get(otherScope.token)).data, []);

    // Bad parameters: 400 naming the parameter.
    const bad = async (q: Record<string, string>, word: RegExp): Promise<void> => {
      const r = await s.call("GET", `/loki/api/v1/patterns?${new URLSearchParams(q).toString()}`, { token: writer.token });
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, word);
    };
    await bad({ start: "1" }, /query/);
    await bad({ query: "{service=" }, /./);
    await bad({ query: '{service="checkout"}', step: "soon" }, /step/);
    await bad({ query: '{service="checkout"}', step: "0" }, /step/);
    await bad({ query: '{service="checkout"}', limit: "-1" }, /limit/);

    // The request is audited under its action.
    const events = await s.auditEvents({ action: "query.patterns" });
    assert.ok(events.length >= 1);
  } finally {
    await s.close();
  }
});

test("the audit event says truncated only when lines past query.patternsMaxLines were left out", async () => {
  const s = await startTestServer({ query: { patternsMaxLines: 30 } });
  try {
    const writer = await createToken(s, { tenant: "a", roles: ["analyst", "ingest"] });
    const nowS = Math.floor(Date.now() / 1000);
    const base = nowS - 300;
    const rec = (i: number, service: string): string =>
      JSON.stringify({ timestamp: `${BigInt(base + i) * 1_000_000_000n}`, body: `job ${i} finished in ${i * 3}ms`, labels: { service } });
    // 30 lines of "exact" (the budget), 31 of "over".
    const lines = [...Array.from({ length: 30 }, (_, i) => rec(i, "exact")), ...Array.from({ length: 31 }, (_, i) => rec(i, "over"))];
    const ingest = await s.call("POST", "/api/v1/ingest", { token: writer.token, raw: lines.join("\n"), headers: { "content-type": "application/x-ndjson" } });
    assert.equal(ingest.status, 200, ingest.text);
    for (const [service, lines, truncated] of [
      ["exact", 30, false],
      ["over", 30, true],
    ] as const) {
      const params = new URLSearchParams({ query: `{service="${service}"}`, start: String(base - 60), end: String(nowS + 60), step: "60s" });
      const r = await s.call("GET", `/loki/api/v1/patterns?${params.toString()}`, { token: writer.token });
      assert.equal(r.status, 200, r.text);
      const events = await s.auditEvents({ action: "query.patterns" });
      const details = events
        .map((e) => e.details as { query?: string; linesMined?: number; truncated?: boolean })
        .find((d) => d.query === `{service="${service}"}`);
      assert.deepEqual([details?.linesMined, details?.truncated], [lines, truncated], service);
    }
  } finally {
    await s.close();
  }
});
