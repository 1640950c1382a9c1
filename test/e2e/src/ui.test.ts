// The web UI in a real browser: sign in, explore, histogram, expand, click-to-filter, live tail, compliance verification.

import { test } from "node:test";
import assert from "node:assert/strict";
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

test("the web UI signs in, explores, filters, tails and shows verification results", { timeout: 300_000 }, async () => {
  const dir = tempDir();
  const server = await spawnServer({ dataDir: dir.path, env: { MESHLOG_SEAL_MAX_AGE: "1" } });
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
    const svc = /service="(\w+)"/.exec(refined)?.[1];
    await page.waitForFunction((s) => [...document.querySelectorAll("[data-testid=log-row] .line")].length > 0, svc);

    // The Patterns tab mines the query's lines; clicking a pattern filters the logs with it.
    await page.getByRole("tab", { name: "Patterns" }).click();
    await page.getByTestId("pattern-row").first().waitFor();
    const patterns = await page.getByTestId("pattern-row").locator("button").allInnerTexts();
    assert.ok(
      patterns.some((t) => /^INFO request <_> path=<_> status=<_>$/.test(t)),
      patterns.join("\n"),
    );
    await page.screenshot({ path: join(artifactsDir, "03b-patterns.png") });
    await page.getByTestId("pattern-row").first().locator("button").click();
    await page.waitForFunction(() => (document.querySelector("textarea[aria-label='LogQL query']") as HTMLTextAreaElement | null)?.value.includes("|> "));
    await page.getByTestId("log-row").first().waitFor();

    await page.goto(`${server.url}/#/tail`);
    await page.getByLabel("Tail query").fill('{service="tailtest"}');
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForFunction(() => document.querySelector("[data-testid=tail-status]")?.textContent === "live");
    const tailRes = await ingestNative(server.url, server.token, [{ body: "tail line from the browser test", labels: { service: "tailtest" } }]);
    assert.equal(tailRes.status, 200);
    await page.getByText("tail line from the browser test").waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(artifactsDir, "04-tail.png") });

    await page.goto(`${server.url}/#/sources`);
    await page.getByTestId("sources-table").waitFor();
    await page.screenshot({ path: join(artifactsDir, "05-sources.png") });

    // Wait until blocks are sealed, then verify through the UI.
    for (let i = 0; i < 100 && blockFiles(dir.path).length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(blockFiles(dir.path).length > 0, "blocks were sealed");
    await page.goto(`${server.url}/#/compliance`);
    await page.getByTestId("run-verify").click();
    await page.getByTestId("verify-result").waitFor();
    assert.equal(await page.getByTestId("verify-result").innerText(), "PASSED");
    await page.screenshot({ path: join(artifactsDir, "06-compliance-passed.png") });

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

    await page.goto(`${server.url}/#/audit`);
    await page.getByTestId("audit-table").waitFor();
    await page.screenshot({ path: join(artifactsDir, "08-audit.png") });
    await page.getByRole("link", { name: /Light theme/ }).click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
    await page.screenshot({ path: join(artifactsDir, "08b-audit-light.png") });
    await page.getByRole("link", { name: /Dark theme/ }).click();
    await page.goto(`${server.url}/#/admin`);
    await page
      .getByTestId("tokens-table")
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    await page.screenshot({ path: join(artifactsDir, "09-admin.png") });
  } finally {
    await close();
    await server.stop();
    dir.remove();
  }
});
