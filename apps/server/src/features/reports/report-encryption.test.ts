// The report's encryption-in-transit listing: every configured listener (HTTP, syslog, syslog TLS, forward, OTLP/gRPC,
// Beats) with its TLS state, and the plaintext findings it leads to.

import { test } from "node:test";
import assert from "node:assert/strict";
import { serverConfigSchema, type ServerConfig } from "../../config/server-config.js";
import type { ServerContext } from "../../context.js";
import { encryptionSection, listeners } from "./report-encryption.js";
import type { ReportScope } from "./report-scope.js";

const TLS = { cert: "server.crt", key: "server.key" };
const MTLS = { ...TLS, ca: "ca.crt", requireClientCert: true };
const QUIET = { syslog: "", forward: "", otlpGrpc: { enabled: false } };

const config = (o: Record<string, unknown>): ServerConfig => serverConfigSchema.parse({ dataDir: "data", ...o });
type Row = [name: string, address: string, tls: boolean, clientCertificates: string];
const rows = (c: ServerConfig): Row[] => listeners(c).map((l) => [l.name, l.address, l.tls, l.clientCertificates]);

test("every configured listener is listed with its TLS state", () => {
  const cases: { title: string; config: Record<string, unknown>; want: Row[] }[] = [
    {
      title: "defaults: http, syslog, forward and OTLP/gRPC in plaintext; Beats is off",
      config: {},
      want: [
        ["http", "127.0.0.1:3100", false, "off"],
        ["syslog", "127.0.0.1:5514", false, "off"],
        ["forward", "127.0.0.1:24224", false, "off"],
        ["otlpGrpc", "127.0.0.1:4317", false, "off"],
      ],
    },
    {
      title: "Beats listening in plaintext",
      config: { ...QUIET, beats: { listen: "0.0.0.0:5044" } },
      want: [
        ["http", "127.0.0.1:3100", false, "off"],
        ["beats", "0.0.0.0:5044", false, "off"],
      ],
    },
    {
      title: "Beats with beats.tls but no server certificate is plaintext",
      config: { ...QUIET, beats: { listen: "0.0.0.0:5044", tls: true } },
      want: [
        ["http", "127.0.0.1:3100", false, "off"],
        ["beats", "0.0.0.0:5044", false, "off"],
      ],
    },
    {
      title: "Beats and OTLP/gRPC over mutual TLS",
      config: { ...QUIET, tls: MTLS, beats: { listen: "0.0.0.0:5044", tls: true }, otlpGrpc: { enabled: true, listen: "0.0.0.0:4317", tls: true } },
      want: [
        ["http", "127.0.0.1:3100", true, "required"],
        ["otlpGrpc", "0.0.0.0:4317", true, "required"],
        ["beats", "0.0.0.0:5044", true, "required"],
      ],
    },
    {
      title: "with server TLS, a Beats or OTLP/gRPC listener without its own tls flag stays plaintext",
      config: { ...QUIET, tls: TLS, beats: { listen: "10.0.0.5:5044" }, otlpGrpc: { enabled: true, listen: "10.0.0.5:4317" } },
      want: [
        ["http", "127.0.0.1:3100", true, "off"],
        ["otlpGrpc", "10.0.0.5:4317", false, "off"],
        ["beats", "10.0.0.5:5044", false, "off"],
      ],
    },
    {
      title: "every listener at once",
      config: {
        tls: MTLS,
        syslogTls: "0.0.0.0:6514",
        forwardTls: true,
        beats: { listen: "0.0.0.0:5044", tls: true },
        otlpGrpc: { enabled: true, listen: "0.0.0.0:4317", tls: true },
      },
      want: [
        ["http", "127.0.0.1:3100", true, "required"],
        ["syslog", "127.0.0.1:5514", false, "off"],
        ["syslogTls", "0.0.0.0:6514", true, "required"],
        ["forward", "127.0.0.1:24224", true, "required"],
        ["otlpGrpc", "0.0.0.0:4317", true, "required"],
        ["beats", "0.0.0.0:5044", true, "required"],
      ],
    },
  ];
  for (const c of cases) assert.deepEqual(rows(config(c.config)), c.want, c.title);
});

function scopeOf(c: ServerConfig): ReportScope {
  const ctx = { config: c, store: {} } as unknown as ServerContext;
  return { ctx, nowMs: Date.now(), tenants: [], restricted: false } as unknown as ReportScope;
}

test("a plaintext Beats listener on a non-loopback address fails the section, on loopback it needs attention", async () => {
  const exposed = await encryptionSection(scopeOf(config({ ...QUIET, beats: { listen: "0.0.0.0:5044" } })));
  assert.ok(
    exposed.findings.some((f) => f.status === "fail" && f.message === "plaintext listener(s) on non-loopback addresses: beats 0.0.0.0:5044"),
    JSON.stringify(exposed.findings),
  );
  const listed = (exposed.data.inTransit as { listeners: { name: string; protocol: string }[] }).listeners;
  assert.deepEqual(
    listed.map((l) => [l.name, l.protocol]),
    [
      ["http", "HTTP (API, receivers, UI)"],
      ["beats", "Beats (Lumberjack)"],
    ],
  );
  const local = await encryptionSection(
    scopeOf(config({ ...QUIET, beats: { listen: "127.0.0.1:5044" }, otlpGrpc: { enabled: true, listen: "127.0.0.1:4317" } })),
  );
  assert.ok(
    local.findings.some(
      (f) =>
        f.status === "attention" && f.message === "plaintext listener(s) on loopback only: http 127.0.0.1:3100, otlpGrpc 127.0.0.1:4317, beats 127.0.0.1:5044",
    ),
    JSON.stringify(local.findings),
  );
  assert.ok(!local.findings.some((f) => f.message.startsWith("plaintext listener(s) on non-loopback")));
});
