// The web UI in a real browser: sign in, explore, patterns, live tail, alerts (ruler API rule, incident ack), anomalies,
// compliance verification, SOC 2 report download, compaction. Every wait is for a condition, never for a fixed time.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { readdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { artifactsDir, launchBrowser } from "./browser.js";
import { ingestNative, spawnServer, tempDir } from "./harness.js";

function blockFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.blk$/.test(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Polls `check` (bounded: 150 tries, 200 ms apart) until it returns a value; fails naming `what`. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A tenant of its own for the compaction check, so its block count is the count of that one stream's blocks. */
const COMPACT_TENANT = "compaction-check";

/** Sealed blocks of a tenant, as the compliance API counts them. */
async function sealedBlocks(url: string, auth: Record<string, string>, tenant: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/compliance/ledger`, { headers: auth });
  assert.equal(res.status, 200);
  return ((await res.json()) as { tenants: { tenant: string; blocks?: number }[] }).tenants.find((t) => t.tenant === tenant)?.blocks ?? 0;
}

/** Waits until Explore has finished the query it is running (the results area is no longer busy). */
const exploreIdle = (page: Page) => page.locator("[data-testid=explore-results][aria-busy=false]").waitFor();

const RULES_YAML = `name: shop-alerts
rules:
  - alert: ShopErrors
    expr: sum(count_over_time({namespace="shop", level="error"}[10m])) > 0
    labels:
      severity: page
    annotations:
      summary: the shop logs errors
  - alert: ShopFatal
    expr: sum(count_over_time({namespace="shop", level="fatal"}[10m])) > 0
`;

/** An anomaly record as the detector job writes it (docs/anomalies.md, "The anomaly records"). */
function anomalyLine(nowMs: number, detector: string, kind: string, severity: string, labels: Record<string, string>, message: string): object {
  return {
    timestamp: String(BigInt(nowMs) * 1_000_000n),
    severity,
    labels: { source: "meshlog", kind: "anomaly", detector },
    body: JSON.stringify({
      kind,
      detector,
      labels,
      score: 37.5,
      baseline: kind === "mesh-5xx" ? 0.01 : 20,
      observed: kind === "mesh-5xx" ? 0.6 : 240,
      message,
      windowStart: new Date(nowMs - 120_000).toISOString(),
      windowEnd: new Date(nowMs - 60_000).toISOString(),
    }),
  };
}

test("the web UI: sign-in, explore, patterns, tail, alerts, anomalies, compliance, SOC 2 report, compaction", { timeout: 300_000 }, async () => {
  const dir = tempDir();
  // Background jobs that would change blocks or read them at a moment the test does not control are off: the retention
  // job's first run (5 s after start) compacts, and the anomaly job reads blocks while the test tampers with one. The
  // test compacts on demand and writes its anomaly records itself.
  const server = await spawnServer({
    dataDir: dir.path,
    env: { MESHLOG_SEAL_MAX_AGE: "1", MESHLOG_COMPACTION_ENABLED: "false", MESHLOG_ANOMALIES_ENABLED: "false" },
  });
  const { browser, close } = await launchBrowser();
  try {
    const now = Date.now();
    const lines = [];
    for (let i = 0; i < 300; i++) {
      const level = i % 10 === 0 ? "error" : i % 4 === 0 ? "warn" : "info";
      const service = i % 3 === 0 ? "payments" : "checkout";
      lines.push({
        timestamp: String(BigInt(now - (300 - i) * 1000) * 1_000_000n),
        body: `${level.toUpperCase()} request ${i} path=/api/cart/${i % 7} status=${level === "error" ? 503 : 200}`,
        labels: { service, level, namespace: "shop" },
        attributes: { trace_id: `4bf92f3577b34da6a3ce929d0e0e${String(4700 + (i % 5))}` },
      });
    }
    const res = await ingestNative(server.url, server.token, lines);
    assert.equal(res.status, 200);
    const auth = { authorization: `Bearer ${server.token}` };
    const ruler = await fetch(`${server.url}/loki/api/v1/rules/shop`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/yaml" },
      body: RULES_YAML,
    });
    assert.equal(ruler.status, 202, await ruler.text());
    const anomalyNow = Date.now();
    const anomalyRes = await ingestNative(server.url, server.token, [
      anomalyLine(
        anomalyNow,
        "mesh",
        "mesh-5xx",
        "error",
        { namespace: "shop", service: "checkout", upstream: "outbound|8080||cart" },
        "5xx ratio 60% (61 of 102), usually 1%",
      ),
      anomalyLine(anomalyNow - 1000, "volume", "volume-spike", "warn", { namespace: "shop", service: "payments" }, "240 lines, usually 20"),
    ]);
    assert.equal(anomalyRes.status, 200);
    assert.deepEqual(((await anomalyRes.json()) as { accepted: number }).accepted, 2);

    const page = await browser.newPage();
    await page.goto(server.url, { waitUntil: "domcontentloaded" });
    await page.getByLabel("API token").fill("wrong-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.match(await page.getByRole("alert").innerText(), /unknown, expired or revoked/);
    await page.getByLabel("API token").fill(server.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await page.screenshot({ path: join(artifactsDir, "01-signed-in.png") });

    const editor = page.getByLabel("LogQL query");
    await editor.fill('{namespace="shop"}');
    await editor.press("Enter");
    await page.getByTestId("log-row").first().waitFor();
    await page.getByTestId("volume-histogram").waitFor();
    assert.ok((await page.getByTestId("log-row").count()) > 10, "log rows are rendered");
    assert.ok((await page.locator("[data-testid=volume-histogram] rect").count()) > 0, "the histogram has bars");
    await page.screenshot({ path: join(artifactsDir, "02-explore.png") });

    await page.getByTestId("log-row").first().locator(".logrow").click();
    await page.getByTestId("log-detail").first().waitFor();
    await page.screenshot({ path: join(artifactsDir, "03-expanded-row.png") });
    await page.getByTestId("log-detail").first().getByRole("button", { name: "filter service=" }).first().click();
    await page.waitForFunction(() => (document.querySelector("textarea[aria-label='LogQL query']") as HTMLTextAreaElement | null)?.value.includes("service="));
    const refined = await editor.inputValue();
    assert.match(refined, /\{namespace="shop", service="(payments|checkout)"\}/);
    // The refined query runs now: wait for its answer, or the Patterns tab would mine the previous query and change under us.
    await exploreIdle(page);
    await page.getByTestId("log-row").first().waitFor();

    // The Patterns tab mines the query's lines; clicking a pattern filters the logs with it.
    await page.getByRole("tab", { name: "Patterns" }).click();
    await page.getByTestId("pattern-row").first().waitFor();
    const patterns = await page.getByTestId("pattern-row").locator("button").allInnerTexts();
    assert.ok(
      patterns.some((t) => /^INFO request <_> path=<_> status=<_>$/.test(t)),
      patterns.join("\n"),
    );
    // Every mined line is counted once: the patterns' line counts add up to the lines of that service.
    const mined = (await page.getByTestId("pattern-row").locator("td:first-child").allInnerTexts()).reduce((n, t) => n + Number(t), 0);
    assert.equal(mined, lines.filter((l) => refined.includes(`service="${l.labels.service}"`)).length);
    await page.screenshot({ path: join(artifactsDir, "03b-patterns.png") });
    await page.getByTestId("pattern-row").first().locator("button").click();
    await page.waitForFunction(() => (document.querySelector("textarea[aria-label='LogQL query']") as HTMLTextAreaElement | null)?.value.includes("|> "));
    await exploreIdle(page);
    assert.ok((await page.getByTestId("log-row").count()) > 0, "the pattern filter keeps lines");

    await page.goto(`${server.url}/#/tail`);
    await page.getByLabel("Tail query").fill('{service="tailtest"}');
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForFunction(() => document.querySelector("[data-testid=tail-status]")?.textContent === "live");
    const tailRes = await ingestNative(server.url, server.token, [{ body: "tail line from the browser test", labels: { service: "tailtest" } }]);
    assert.equal(tailRes.status, 200);
    await page.getByText("tail line from the browser test").waitFor();
    await page.screenshot({ path: join(artifactsDir, "04-tail.png") });

    await page.goto(`${server.url}/#/sources`);
    await page.getByTestId("sources-table").waitFor();
    await page.screenshot({ path: join(artifactsDir, "05-sources.png") });

    await checkAlertsPage(page, server.url, auth);
    await checkAnomaliesPage(page, server.url);

    // Three small blocks of one stream for compaction to merge later: each line is sealed (1 s seal age) before the next.
    for (let i = 1; i <= 3; i++) {
      const r = await fetch(`${server.url}/api/v1/ingest`, {
        method: "POST",
        headers: { ...auth, "x-scope-orgid": COMPACT_TENANT, "content-type": "application/x-ndjson" },
        body: JSON.stringify({ body: `compaction line ${i}`, labels: { service: "compactme" } }),
      });
      assert.equal(r.status, 200, await r.text());
      await until(`block ${i} of tenant ${COMPACT_TENANT}`, async () => ((await sealedBlocks(server.url, auth, COMPACT_TENANT)) >= i ? true : undefined));
    }

    // Wait until blocks are sealed, then verify through the UI.
    for (let i = 0; i < 100 && blockFiles(dir.path).length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(blockFiles(dir.path).length > 0, "blocks were sealed");
    await page.goto(`${server.url}/#/compliance`);
    await page.getByTestId("run-verify").click();
    await page.getByTestId("verify-result").waitFor();
    assert.equal(await page.getByTestId("verify-result").innerText(), "PASSED");
    await page.screenshot({ path: join(artifactsDir, "06-compliance-passed.png") });

    // The SOC 2 button downloads the signed HTML report.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("soc2-report").click()]);
    assert.match(download.suggestedFilename(), /\.html$/);
    const report = readFileSync(await download.path(), "utf8");
    assert.match(report, /<h1>SOC 2 evidence report<\/h1>/);
    assert.match(report, /CC7\.2/);

    const victim = blockFiles(dir.path)[0] as string;
    const bytes = readFileSync(victim);
    const at = Math.floor(bytes.length * 0.7);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(victim, bytes);
    await page.getByTestId("run-verify").click();
    await page.waitForFunction(() => document.querySelector("[data-testid=verify-result]")?.textContent === "FAILED");
    const problems = await page.getByTestId("verification").innerText();
    const blockName =
      victim
        .split("/")
        .pop()
        ?.replace(/\.blk$/, "") ?? "";
    assert.ok(problems.includes(blockName), `the failure names the tampered block ${blockName}`);
    await page.screenshot({ path: join(artifactsDir, "07-compliance-failed.png") });

    // Undo the damage, merge the small blocks (the 1 s seal age makes many) and verify again: compaction keeps the proof.
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(victim, bytes);
    await page.getByTestId("run-compaction").click();
    await page.getByTestId("compaction-summary").waitFor();
    const summary = await page.getByTestId("compaction-summary").innerText();
    assert.match(summary, /Merged (\d+) blocks into (\d+)/, summary);
    const [, from, into] = /Merged (\d+) blocks into (\d+)/.exec(summary) ?? [];
    assert.ok(Number(from) >= 3 && Number(from) > Number(into), summary);
    assert.equal(await sealedBlocks(server.url, auth, COMPACT_TENANT), 1, "the stream's three blocks became one");
    await page.getByTestId("run-verify").click();
    await page.waitForFunction(() => document.querySelector("[data-testid=verify-result]")?.textContent === "PASSED");
    await page.screenshot({ path: join(artifactsDir, "07b-compaction.png") });

    await page.goto(`${server.url}/#/audit`);
    await page.getByTestId("audit-table").waitFor();
    await page.screenshot({ path: join(artifactsDir, "08-audit.png") });
    await page.getByRole("link", { name: /Light theme/ }).click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
    await page.screenshot({ path: join(artifactsDir, "08b-audit-light.png") });
    await page.getByRole("link", { name: /Dark theme/ }).click();
    await page.goto(`${server.url}/#/admin`);
    await page.getByTestId("tokens-table").waitFor();
    await page.screenshot({ path: join(artifactsDir, "09-admin.png") });
  } finally {
    await close();
    await server.stop();
    dir.remove();
  }
});

/** Alerts page: the rules posted through the ruler API with their state, the firing incident, its timeline and Ack. */
async function checkAlertsPage(page: Page, url: string, auth: Record<string, string>): Promise<void> {
  // The evaluator runs in the background: wait (through the API) until the rule has fired and its incident exists.
  await until("ShopErrors to fire", async () => {
    const r = (await (await fetch(`${url}/prometheus/api/v1/rules`, { headers: auth })).json()) as {
      data: { groups: { rules: { name: string; state: string; health: string }[] }[] };
    };
    const rules = r.data.groups.flatMap((g) => g.rules);
    return rules.some((x) => x.name === "ShopErrors" && x.state === "firing") && rules.some((x) => x.name === "ShopFatal" && x.health === "ok")
      ? true
      : undefined;
  });
  const incident = await until("the ShopErrors incident", async () => {
    const r = (await (await fetch(`${url}/api/v1/alerting/incidents`, { headers: auth })).json()) as { incidents: { id: string; rule: string }[] };
    return r.incidents.find((i) => i.rule === "ShopErrors");
  });

  await page.goto(`${url}/#/alerts`);
  const rules = page.getByTestId("alert-rules");
  await rules.waitFor();
  assert.equal(await rules.locator("tr", { hasText: "ShopErrors" }).locator(".badge").first().innerText(), "firing");
  assert.equal(await rules.locator("tr", { hasText: "ShopFatal" }).locator(".badge").first().innerText(), "inactive");
  assert.match(await rules.locator("tr", { hasText: "ShopErrors" }).innerText(), /shop \/ shop-alerts/);

  const row = page.getByTestId("incident-row").filter({ hasText: "ShopErrors" });
  await row.waitFor();
  assert.match(await row.innerText(), /firing/);
  await row.getByRole("button", { name: "▸" }).click();
  const timeline = page.getByTestId("incident-timeline");
  await timeline.waitFor();
  assert.match(await timeline.innerText(), /firing/);
  await page.getByTestId(`ack-${incident.id}`).click();
  await page.getByTestId(`ack-${incident.id}`).waitFor({ state: "detached" });
  const acked = (await (await fetch(`${url}/api/v1/alerting/incidents/${incident.id}`, { headers: auth })).json()) as { acknowledgedBy?: string };
  assert.ok(acked.acknowledgedBy !== undefined && acked.acknowledgedBy !== "", "the server recorded the acknowledgement");
  assert.ok((await row.innerText()).includes(acked.acknowledgedBy), "the page shows who acknowledged");
  assert.match(await timeline.innerText(), /acknowledged by/);
  await page.screenshot({ path: join(artifactsDir, "05b-alerts.png") });
}

/** Anomalies page: the anomaly records with their details, the kind filter, and the link into Explore. */
async function checkAnomaliesPage(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/#/anomalies`);
  const rows = page.getByTestId("anomaly-row");
  const mesh = rows.filter({ hasText: "5xx ratio 60%" });
  await mesh.waitFor();
  assert.equal(await rows.count(), 2);
  const meshText = await mesh.innerText();
  for (const part of ["mesh", "mesh-5xx", "error", "namespace=shop", "service=checkout", "upstream=outbound|8080||cart", "60%", "1%", "37.5"])
    assert.ok(meshText.includes(part), `the mesh anomaly row shows ${part}: ${meshText}`);
  assert.match(await rows.filter({ hasText: "volume-spike" }).innerText(), /240[\s\S]*20/);
  await page.screenshot({ path: join(artifactsDir, "05c-anomalies.png") });

  await page.getByLabel("Anomaly kind").selectOption("mesh");
  await rows.filter({ hasText: "volume-spike" }).waitFor({ state: "detached" });
  assert.equal(await rows.count(), 1);

  await mesh.getByRole("link", { name: "Explore" }).click();
  await page.getByTestId("explore-results").waitFor();
  assert.equal(await page.getByLabel("LogQL query").inputValue(), '{namespace="shop", service="checkout"}');
  await exploreIdle(page);
  const shown = await page.getByTestId("log-row").count();
  assert.ok(shown > 0, "Explore shows the stream's lines");
  assert.doesNotMatch(await page.getByTestId("time-range").innerText(), /Last 1h/, "Explore opened the anomaly's window, not the default range");
  await page.screenshot({ path: join(artifactsDir, "05d-anomaly-explore.png") });
}
