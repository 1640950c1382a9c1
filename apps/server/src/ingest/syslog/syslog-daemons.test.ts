// The syslog receiver fed by real daemons running unprivileged-style in a temp dir: rsyslog (imfile -> omfwd,
// octet-counted RFC 5424 and LF-framed BSD) and syslog-ng (file() -> syslog() IETF and network() BSD).
// Each daemon only reads a file of its own and sends to the test server on 127.0.0.1; neither touches
// /dev/log or /var/run. Skipped when the daemon is not installed (CI: apt-get install rsyslog; syslog-ng-core
// conflicts with rsyslog in apt, so MESHLOG_SYSLOG_NG_ROOT may point at an extracted syslog-ng-core package).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "@meshlog/core";
import { hostPortOf, readAll, startTestServer } from "../socket/receiver-test-kit.js";

const onPath = (bin: string): string | undefined => {
  const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
  const p = r.stdout.trim();
  return r.status === 0 && p !== "" ? p : undefined;
};

const RSYSLOGD = existsSync("/usr/sbin/rsyslogd") ? "/usr/sbin/rsyslogd" : onPath("rsyslogd");

function syslogNg(): { bin: string; env: NodeJS.ProcessEnv; moduleArgs: string[] } | undefined {
  const root = process.env.MESHLOG_SYSLOG_NG_ROOT;
  if (root !== undefined && existsSync(join(root, "usr/sbin/syslog-ng"))) {
    return {
      bin: join(root, "usr/sbin/syslog-ng"),
      env: { ...process.env, LD_LIBRARY_PATH: join(root, "usr/lib/syslog-ng") },
      moduleArgs: [`--module-path=${join(root, "usr/lib/syslog-ng/3.38")}`],
    };
  }
  const bin = existsSync("/usr/sbin/syslog-ng") ? "/usr/sbin/syslog-ng" : onPath("syslog-ng");
  return bin === undefined ? undefined : { bin, env: process.env, moduleArgs: [] };
}
const SYSLOG_NG = syslogNg();

async function waitForBodies(read: () => Promise<LogRecord[]>, want: (all: LogRecord[]) => boolean, timeoutMs: number): Promise<LogRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await read();
    if (want(all) || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopDaemon(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const shortHost = hostname().split(".")[0] ?? hostname();

describe("syslog receiver fed by daemons", () => {
  it(
    "stores lines rsyslog forwards with octet-counted RFC 5424 and LF-framed BSD",
    { skip: RSYSLOGD === undefined ? "rsyslogd is not installed" : false },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "meshlog-rsyslog-"));
      const t = await startTestServer({ syslog: "127.0.0.1:0", syslogTenant: "sys" });
      let child: ChildProcess | undefined;
      try {
        const { port } = hostPortOf(t.server.ctx.services.get("syslog.address"));
        const input = join(dir, "in.log");
        writeFileSync(input, "");
        const conf = join(dir, "rsyslog.conf");
        writeFileSync(
          conf,
          [
            `global(workDirectory="${dir}")`,
            `module(load="imfile" mode="polling" PollingInterval="1")`,
            `input(type="imfile" File="${input}" Tag="fileapp:" Severity="warning" Facility="local3" freshStartTail="off")`,
            `action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")`,
            `action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp")`,
            "",
          ].join("\n"),
        );
        child = spawn(RSYSLOGD as string, ["-n", "-f", conf, "-i", join(dir, "rsyslogd.pid")], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        const n = 20;
        for (let i = 0; i < n; i++) appendFileSync(input, `rsyslog line ${i} with \u00e9 and "quotes"\n`);
        const all = await waitForBodies(
          () => readAll(t.server.ctx.store, "sys"),
          (a) => a.filter((r) => r.body.startsWith("rsyslog line")).length >= 2 * n,
          30_000,
        );
        const lines = all.filter((r) => r.body.startsWith("rsyslog line"));
        assert.equal(lines.length, 2 * n, `rsyslog delivered every line twice (once per action); stderr: ${stderr}`);
        for (const format of ["rfc5424", "rfc3164"]) {
          const mine = lines.filter((r) => r.attributes["syslog.format"] === format);
          assert.deepEqual(mine.map((r) => r.body).sort(), Array.from({ length: n }, (_, i) => `rsyslog line ${i} with \u00e9 and "quotes"`).sort(), format);
          for (const r of mine) {
            assert.deepEqual(r.labels, { source: "syslog", service: "fileapp" });
            assert.equal(r.severityNumber, 13);
            assert.equal(r.severityText, "warning");
            assert.equal(r.attributes["syslog.facility"], "local3");
            assert.ok(r.resource["host.name"] === hostname() || r.resource["host.name"] === shortHost, `host.name ${r.resource["host.name"]}`);
          }
        }
      } finally {
        if (child !== undefined) await stopDaemon(child);
        await t.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    "stores lines syslog-ng forwards with syslog() (IETF, octet counting) and network() (BSD, LF)",
    { skip: SYSLOG_NG === undefined ? "syslog-ng is not installed" : false },
    async () => {
      const ng = SYSLOG_NG as NonNullable<typeof SYSLOG_NG>;
      const dir = await mkdtemp(join(tmpdir(), "meshlog-syslog-ng-"));
      const t = await startTestServer({ syslog: "127.0.0.1:0", syslogTenant: "sys" });
      let child: ChildProcess | undefined;
      try {
        const { port } = hostPortOf(t.server.ctx.services.get("syslog.address"));
        const input = join(dir, "in.log");
        writeFileSync(input, "");
        const conf = join(dir, "syslog-ng.conf");
        writeFileSync(
          conf,
          [
            "@version: 3.38",
            "options { chain_hostnames(no); stats_freq(0); };",
            `source s_file { file("${input}" follow-freq(1) flags(no-parse) program-override("ngapp") default-facility(local4) default-priority(err)); };`,
            `destination d_ietf { syslog("127.0.0.1" port(${port}) transport("tcp") persist-name("d_ietf")); };`,
            `destination d_bsd { network("127.0.0.1" port(${port}) transport("tcp") persist-name("d_bsd")); };`,
            "log { source(s_file); destination(d_ietf); destination(d_bsd); };",
            "",
          ].join("\n"),
        );
        child = spawn(
          ng.bin,
          [
            "-F",
            "-f",
            conf,
            `--persist-file=${join(dir, "persist")}`,
            `--pidfile=${join(dir, "pid")}`,
            `--control=${join(dir, "ctl")}`,
            "--no-caps",
            ...ng.moduleArgs,
          ],
          { stdio: ["ignore", "ignore", "pipe"], env: ng.env },
        );
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        const n = 20;
        for (let i = 0; i < n; i++) appendFileSync(input, `syslog-ng line ${i} [with] brackets\n`);
        const all = await waitForBodies(
          () => readAll(t.server.ctx.store, "sys"),
          (a) => a.filter((r) => r.body.startsWith("syslog-ng line")).length >= 2 * n,
          30_000,
        );
        const lines = all.filter((r) => r.body.startsWith("syslog-ng line"));
        assert.equal(lines.length, 2 * n, `syslog-ng delivered every line twice (once per destination); stderr: ${stderr}`);
        for (const format of ["rfc5424", "rfc3164"]) {
          const mine = lines.filter((r) => r.attributes["syslog.format"] === format);
          assert.deepEqual(mine.map((r) => r.body).sort(), Array.from({ length: n }, (_, i) => `syslog-ng line ${i} [with] brackets`).sort(), format);
          for (const r of mine) {
            assert.deepEqual(r.labels, { source: "syslog", service: "ngapp" });
            assert.equal(r.severityText, "err");
            assert.equal(r.severityNumber, 17);
            assert.equal(r.attributes["syslog.facility"], "local4");
          }
        }
      } finally {
        if (child !== undefined) await stopDaemon(child);
        await t.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
