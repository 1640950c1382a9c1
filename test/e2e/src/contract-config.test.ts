// DESIGN §9 server contract: flags, environment equivalents, config file, defaults, bootstrap credentials, query limit.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { meshlogBin, runCli, tempDir } from "./harness.js";

interface Proc {
  readonly proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Address logged by the server for one listener ("http", "forward", "syslog tcp", "syslog udp", "otlp-grpc"). */
  readonly addrs: Map<string, string>;
  stop(): Promise<number | null>;
}

/** The environment of the test runner without any MESHLOG_* variable, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("MESHLOG_") && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

/** Spawns `meshlog server ARGS` in `cwd` and waits until the HTTP listener (and every other enabled listener) is logged. */
async function startRaw(opts: { cwd: string; args?: string[]; env?: Record<string, string>; expect?: ("forward" | "syslog" | "otlp-grpc")[] }): Promise<Proc> {
  const proc = spawn(process.execPath, [meshlogBin, "server", ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: cleanEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const addrs = new Map<string, string>();
  proc.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const expect = ["http", ...(opts.expect ?? [])];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30 s:\n${err}`)), 30_000);
    proc.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      for (const line of err.split("\n")) {
        const m = /"msg":"(http|forward|syslog|otlp-grpc) listening"/.exec(line);
        if (m === null) continue;
        const rec = JSON.parse(line) as { address?: string; tcp?: string; udp?: string };
        if (rec.address !== undefined) addrs.set(m[1] as string, rec.address);
        if (rec.tcp !== undefined) addrs.set("syslog tcp", rec.tcp);
        if (rec.udp !== undefined) addrs.set("syslog udp", rec.udp);
        if (m[1] === "syslog") addrs.set("syslog", rec.tcp ?? "");
      }
      if (expect.every((e) => addrs.has(e))) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${err}`));
    });
  });
  return {
    proc,
    addrs,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      proc.kill("SIGTERM");
      return exited;
    },
  };
}

/** Runs `meshlog server ARGS` expecting it to fail at start; returns its exit code and output. */
function runFailing(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [meshlogBin, "server", ...args], { env: cleanEnv(env), cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

async function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => resolve(false));
    s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

const TOKEN = "contract-config-admin-token-0123456789";
const NO_LISTENERS = ["--syslog", "", "--forward", "", "--otlp-grpc", ""];

test("meshlog server --help names every flag and the environment equivalents", async () => {
  const r = await runCli(["server", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (const word of [
    "--config FILE",
    "--data DIR",
    "--http HOST:PORT",
    "--syslog HOST:PORT",
    "--forward HOST:PORT",
    "--otlp-grpc HOST:PORT",
    "--beats HOST:PORT",
    "MESHLOG_DATA",
    "MESHLOG_HTTP",
    "MESHLOG_SYSLOG",
    "MESHLOG_FORWARD",
    "MESHLOG_OTLP_GRPC",
    "MESHLOG_BEATS",
    "MESHLOG_ADMIN_TOKEN",
    "MESHLOG_QUERY_MAX_ENTRIES",
  ]) {
    assert.ok(r.stdout.includes(word), `--help mentions ${word}`);
  }
});

test("with no flags the server uses ./data of its cwd, 127.0.0.1:3100, syslog TCP+UDP 127.0.0.1:5514, forward 127.0.0.1:24224 and OTLP/gRPC 127.0.0.1:4317", async (t) => {
  const busy: string[] = [];
  if (!(await tcpFree(3100))) busy.push("tcp 3100");
  if (!(await tcpFree(5514))) busy.push("tcp 5514");
  if (!(await udpFree(5514))) busy.push("udp 5514");
  if (!(await tcpFree(24224))) busy.push("tcp 24224");
  if (!(await tcpFree(4317))) busy.push("tcp 4317");
  if (busy.length > 0) {
    t.skip(`default ports busy on this machine (${busy.join(", ")}); the same defaults are checked with the ports overridden below`);
    return;
  }
  const cwd = tempDir();
  let s: Proc | undefined;
  try {
    s = await startRaw({ cwd: cwd.path, expect: ["forward", "syslog", "otlp-grpc"] });
    assert.equal(s.addrs.get("http"), "127.0.0.1:3100");
    assert.equal(s.addrs.get("syslog tcp"), "127.0.0.1:5514");
    assert.equal(s.addrs.get("syslog udp"), "127.0.0.1:5514");
    assert.equal(s.addrs.get("forward"), "127.0.0.1:24224");
    assert.equal(s.addrs.get("otlp-grpc"), "127.0.0.1:4317");
    assert.ok(statSync(join(cwd.path, "data")).isDirectory(), "./data is created in the working directory");
    assert.ok(existsSync(join(cwd.path, "data", "admin.token")), "the generated token is written to ./data/admin.token");
    const ready = await fetch("http://127.0.0.1:3100/ready");
    assert.equal(ready.status, 200);
    const ui = await fetch("http://127.0.0.1:3100/", { headers: { accept: "text/html" } });
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await ui.text(), /<html|<!doctype html/i);
  } finally {
    await s?.stop();
    cwd.remove();
  }
});

test("with only the ports overridden, data still lands in ./data of the cwd and the UI is served at /", async () => {
  const cwd = tempDir();
  let s: Proc | undefined;
  try {
    s = await startRaw({ cwd: cwd.path, args: ["--http", "127.0.0.1:0", ...NO_LISTENERS] });
    const url = `http://${s.addrs.get("http")}`;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, "the HTTP listener binds loopback");
    assert.ok(statSync(join(cwd.path, "data")).isDirectory(), "./data is created in the working directory");
    assert.equal((await fetch(`${url}/ready`)).status, 200);
    const ui = await fetch(`${url}/`, { headers: { accept: "text/html,application/xhtml+xml" } });
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get("content-type") ?? "", /text\/html/);
    const html = await ui.text();
    assert.match(html, /<html|<!doctype html/i);
    const asset = /(?:src|href)="(\/assets\/[^"]+)"/.exec(html)?.[1];
    assert.ok(asset, "index.html references its bundled assets");
    assert.equal((await fetch(`${url}${asset}`)).status, 200, `asset ${asset} is served`);
  } finally {
    await s?.stop();
    cwd.remove();
  }
});

test("the bootstrap token is generated at first start, printed once, stored 0600, and not printed at the second start", async () => {
  const cwd = tempDir();
  try {
    const first = await startRaw({ cwd: cwd.path, args: ["--http", "127.0.0.1:0", ...NO_LISTENERS] });
    const file = join(cwd.path, "data", "admin.token");
    const token = readFileSync(file, "utf8").trim();
    assert.ok(token.length >= 32, "the generated token is long and random");
    assert.equal(statSync(file).mode & 0o777, 0o600, "admin.token is mode 0600");
    const printed = first.stdout() + first.stderr();
    assert.equal(printed.split(token).length - 1, 1, "the token is printed exactly once at first start");
    const url = `http://${first.addrs.get("http")}`;
    assert.equal((await fetch(`${url}/api/v1/tokens`, { headers: { authorization: `Bearer ${token}` } })).status, 200, "the printed token is an admin token");
    assert.equal(await first.stop(), 0);

    const second = await startRaw({ cwd: cwd.path, args: ["--http", "127.0.0.1:0", ...NO_LISTENERS] });
    try {
      assert.ok(!(second.stdout() + second.stderr()).includes(token), "the token is not printed again at the second start");
      assert.equal(readFileSync(file, "utf8").trim(), token, "the stored token is kept");
      const url2 = `http://${second.addrs.get("http")}`;
      assert.equal((await fetch(`${url2}/api/v1/tokens`, { headers: { authorization: `Bearer ${token}` } })).status, 200, "the stored token still works");
    } finally {
      await second.stop();
    }
  } finally {
    cwd.remove();
  }
});

test("MESHLOG_ADMIN_TOKEN is the admin credential when set: nothing is generated or printed", async () => {
  const cwd = tempDir();
  let s: Proc | undefined;
  try {
    s = await startRaw({ cwd: cwd.path, args: ["--http", "127.0.0.1:0", ...NO_LISTENERS], env: { MESHLOG_ADMIN_TOKEN: TOKEN } });
    const url = `http://${s.addrs.get("http")}`;
    assert.equal((await fetch(`${url}/api/v1/tokens`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await fetch(`${url}/api/v1/tokens`, { headers: { authorization: "Bearer not-the-token" } })).status, 401);
    assert.ok(!/generated/i.test(s.stdout()), "no token is generated");
    assert.ok(!(s.stdout() + s.stderr()).includes(TOKEN), "the configured token is never echoed");
  } finally {
    await s?.stop();
    cwd.remove();
  }
});

test("env equivalents MESHLOG_DATA, MESHLOG_HTTP, MESHLOG_SYSLOG, MESHLOG_FORWARD and MESHLOG_OTLP_GRPC configure the listeners and the data folder", async () => {
  const cwd = tempDir();
  let s: Proc | undefined;
  try {
    const data = join(cwd.path, "env-data");
    s = await startRaw({
      cwd: cwd.path,
      env: {
        MESHLOG_DATA: data,
        MESHLOG_HTTP: "127.0.0.1:0",
        MESHLOG_SYSLOG: "127.0.0.1:0",
        MESHLOG_FORWARD: "127.0.0.1:0",
        MESHLOG_OTLP_GRPC: "127.0.0.1:0",
        MESHLOG_ADMIN_TOKEN: TOKEN,
      },
      expect: ["forward", "syslog", "otlp-grpc"],
    });
    assert.ok(existsSync(join(data, "wal")), "MESHLOG_DATA holds the WAL");
    assert.ok(!existsSync(join(cwd.path, "data")), "./data is not used when MESHLOG_DATA is set");
    for (const k of ["http", "forward", "syslog tcp", "syslog udp", "otlp-grpc"])
      assert.match(s.addrs.get(k) ?? "", /^127\.0\.0\.1:[1-9]\d*$/, `${k} listens on the env address`);
    assert.equal((await fetch(`http://${s.addrs.get("http")}/ready`)).status, 200);
  } finally {
    await s?.stop();
    cwd.remove();
  }
});

test("--config FILE is read, env overrides the file and flags override env", async () => {
  const cwd = tempDir();
  let s: Proc | undefined;
  try {
    const cfg = join(cwd.path, "meshlog.yaml");
    mkdirSync(join(cwd.path, "file-data"));
    writeFileSync(cfg, ["dataDir: file-data", 'http: "127.0.0.1:0"', 'syslog: ""', 'forward: "127.0.0.1:0"', "query:", "  maxEntries: 7", ""].join("\n"));
    s = await startRaw({
      cwd: cwd.path,
      args: ["--config", cfg, "--forward", "", "--otlp-grpc", ""],
      env: { MESHLOG_ADMIN_TOKEN: TOKEN, MESHLOG_QUERY_MAX_ENTRIES: "9" },
    });
    assert.ok(existsSync(join(cwd.path, "file-data", "wal")), "dataDir from the config file is used");
    assert.ok(!s.addrs.has("forward"), "--forward '' (flag) wins over the file and disables forward");
    assert.ok(!s.addrs.has("syslog"), "syslog: '' in the file disables syslog");
    const url = `http://${s.addrs.get("http")}`;
    const q = (limit: number) =>
      fetch(`${url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{service="x"}', limit: String(limit), since: "1h" })}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
    assert.equal((await q(9)).status, 200, "MESHLOG_QUERY_MAX_ENTRIES=9 overrides maxEntries: 7 of the file");
    const over = await q(10);
    assert.equal(over.status, 400);
    assert.match(await over.text(), /MESHLOG_QUERY_MAX_ENTRIES/);
  } finally {
    await s?.stop();
    cwd.remove();
  }
});

test("bad configuration exits non-zero with a message naming the key, the file or the option", async () => {
  const cwd = tempDir();
  try {
    const cfg = join(cwd.path, "bad.yaml");
    writeFileSync(cfg, "http: 127.0.0.1:0\nnotAKey: 1\n");
    const cases: { args: string[]; env?: Record<string, string>; want: RegExp }[] = [
      { args: ["--config", cfg], want: /notAKey[\s\S]*bad\.yaml|bad\.yaml[\s\S]*notAKey/ },
      { args: ["--config", join(cwd.path, "missing.yaml")], want: /missing\.yaml/ },
      { args: ["--bogus-flag", "1"], want: /--bogus-flag/ },
      { args: ["--http", "not-an-address"], want: /http/ },
      { args: ["--data"], want: /--data needs a value/ },
      { args: ["--data", "--http", "127.0.0.1:0"], want: /--data needs a value/ },
      { args: ["--http", "127.0.0.1:0"], env: { MESHLOG_QUERY_MAX_ENTRIES: "-5" }, want: /maxEntries|MESHLOG_QUERY_MAX_ENTRIES/ },
    ];
    for (const c of cases) {
      const r = await runFailing([...NO_LISTENERS, ...c.args], { MESHLOG_ADMIN_TOKEN: TOKEN, ...c.env }, cwd.path);
      assert.notEqual(r.code, 0, `${c.args.join(" ")} must fail`);
      assert.match(r.out, c.want, `${c.args.join(" ")}: ${r.out}`);
    }
  } finally {
    cwd.remove();
  }
});

test("MESHLOG_QUERY_MAX_ENTRIES defaults to 5000: limit 5000 is served, 5001 is a 400 naming the setting", async () => {
  const cwd = tempDir();
  let s: Proc | undefined;
  try {
    s = await startRaw({ cwd: cwd.path, args: ["--http", "127.0.0.1:0", ...NO_LISTENERS], env: { MESHLOG_ADMIN_TOKEN: TOKEN } });
    const url = `http://${s.addrs.get("http")}`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    // Log queries are range queries (an instant log query is refused, as Loki does).
    const q = (limit: number) =>
      fetch(`${url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{service="x"}', limit: String(limit), since: "1h" })}`, { headers: auth });
    assert.equal((await q(5000)).status, 200, "limit=5000");
    const over = await q(5001);
    assert.equal(over.status, 400, "limit=5001");
    assert.match(await over.text(), /MESHLOG_QUERY_MAX_ENTRIES/, "the error names the setting");
  } finally {
    await s?.stop();
    cwd.remove();
  }
});
