// Report section "encryption" (CC6.1, CC6.7): at rest (algorithms, KEK counts, master key source) and in transit (listeners' TLS).

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { KekInfo } from "@meshlog/storage";
import type { ServerConfig } from "../../config/server-config.js";
import { MODERN_CIPHERS, tlsEnabled } from "../tls/tls-options.js";
import { section, type Finding, type ReportSection } from "./report-model.js";
import { DAY_MS, type ReportScope } from "./report-scope.js";

interface KeyRingView {
  listKeks(): Promise<KekInfo[]>;
  masterKeyId(): string;
}

const isLoopback = (addr: string): boolean => {
  const host = addr.slice(0, addr.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "localhost" || host.startsWith("127.") || host === "::1";
};

/** Every socket the server accepts data or API calls on (one entry per configured listener), with its TLS state. */
export function listeners(config: ServerConfig): { name: string; address: string; protocol: string; tls: boolean; clientCertificates: string }[] {
  const on = tlsEnabled(config);
  const clientCerts = !on ? "off" : config.tls.requireClientCert ? "required" : config.tls.ca !== "" ? "requested" : "off";
  const out = [{ name: "http", address: config.http, protocol: "HTTP (API, receivers, UI)", tls: on, clientCertificates: clientCerts }];
  if (config.syslog !== "") out.push({ name: "syslog", address: config.syslog, protocol: "syslog TCP and UDP", tls: false, clientCertificates: "off" });
  if (config.syslogTls !== "")
    out.push({ name: "syslogTls", address: config.syslogTls, protocol: "syslog over TLS", tls: on, clientCertificates: clientCerts });
  if (config.forward !== "")
    out.push({
      name: "forward",
      address: config.forward,
      protocol: "Fluentd forward",
      tls: on && config.forwardTls,
      clientCertificates: config.forwardTls ? clientCerts : "off",
    });
  if (config.otlpGrpc.enabled && config.otlpGrpc.listen !== "")
    out.push({
      name: "otlpGrpc",
      address: config.otlpGrpc.listen,
      protocol: "OTLP/gRPC",
      tls: on && config.otlpGrpc.tls,
      clientCertificates: config.otlpGrpc.tls ? clientCerts : "off",
    });
  if (config.beats.listen !== "")
    out.push({
      name: "beats",
      address: config.beats.listen,
      protocol: "Beats (Lumberjack)",
      tls: on && config.beats.tls,
      clientCertificates: config.beats.tls ? clientCerts : "off",
    });
  return out;
}

function certificate(config: ServerConfig, nowMs: number, findings: Finding[]): Record<string, unknown> | null {
  if (!tlsEnabled(config)) return null;
  try {
    const c = new X509Certificate(readFileSync(config.tls.cert));
    const expires = Date.parse(c.validTo);
    if (expires <= nowMs) findings.push({ status: "fail", message: `the TLS certificate (tls.cert) expired on ${new Date(expires).toISOString()}` });
    else if (expires - nowMs < 30 * DAY_MS)
      findings.push({ status: "attention", message: `the TLS certificate (tls.cert) expires on ${new Date(expires).toISOString()}` });
    return {
      subject: c.subject,
      issuer: c.issuer,
      validFrom: new Date(Date.parse(c.validFrom)).toISOString(),
      validTo: new Date(expires).toISOString(),
      sha256: c.fingerprint256,
    };
  } catch (e) {
    findings.push({ status: "fail", message: `the TLS certificate (tls.cert) cannot be read: ${(e as Error).message.slice(0, 120)}` });
    return null;
  }
}

export async function encryptionSection(scope: ReportScope): Promise<ReportSection> {
  const { ctx } = scope;
  const findings: Finding[] = [];
  const store = ctx.store as { keyRing?: () => unknown };
  const ring = typeof store.keyRing === "function" ? (store.keyRing() as Partial<KeyRingView>) : undefined;
  let atRest: Record<string, unknown>;
  if (ring === undefined || typeof ring.listKeks !== "function" || typeof ring.masterKeyId !== "function") {
    findings.push({ status: "fail", message: "the store does not expose a key ring: encryption at rest cannot be shown" });
    atRest = { available: false };
  } else {
    const keks = (await ring.listKeks()).filter((k) => !scope.restricted || scope.tenants.includes(k.tenant));
    const groups = new Map<string, { tenant: string; retentionClass: string; periods: Set<string>; live: number; destroyed: number }>();
    for (const k of keks) {
      const key = `${k.tenant}\u0000${k.class}`;
      const g = groups.get(key) ?? { tenant: k.tenant, retentionClass: k.class, periods: new Set<string>(), live: 0, destroyed: 0 };
      g.periods.add(k.period);
      if (k.destroyedAt === undefined) g.live++;
      else g.destroyed++;
      groups.set(key, g);
    }
    const fromEnv = (process.env.MESHLOG_MASTER_KEY ?? "") !== "";
    if (!fromEnv)
      findings.push({
        status: "attention",
        message:
          "the master key is a file in the data folder (DATA/keys/master.key): a copy of the folder holds the key; set MESHLOG_MASTER_KEY from a secret store",
      });
    atRest = {
      available: true,
      blockCipher: "AES-256-GCM (block header as associated data)",
      keyHierarchy: "master key -> key-encryption key per (tenant, retention class, month) -> data key per block, wrapped with AES-256-GCM",
      masterKey: { source: fromEnv ? "environment variable MESHLOG_MASTER_KEY" : "file DATA/keys/master.key", fingerprint: ring.masterKeyId() },
      keks: [...groups.values()]
        .map((g) => ({ tenant: g.tenant, retentionClass: g.retentionClass, months: g.periods.size, live: g.live, destroyed: g.destroyed }))
        .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.retentionClass.localeCompare(b.retentionClass)),
      kekTotals: { live: keks.filter((k) => k.destroyedAt === undefined).length, destroyed: keks.filter((k) => k.destroyedAt !== undefined).length },
    };
  }
  const ls = listeners(ctx.config);
  const plain = ls.filter((l) => !l.tls);
  const exposed = plain.filter((l) => !isLoopback(l.address));
  if (exposed.length > 0)
    findings.push({ status: "fail", message: `plaintext listener(s) on non-loopback addresses: ${exposed.map((l) => `${l.name} ${l.address}`).join(", ")}` });
  if (plain.length > exposed.length)
    findings.push({
      status: "attention",
      message: `plaintext listener(s) on loopback only: ${plain
        .filter((l) => isLoopback(l.address))
        .map((l) => `${l.name} ${l.address}`)
        .join(", ")}`,
    });
  const cert = certificate(ctx.config, scope.nowMs, findings);
  return section("encryption", "Encryption at rest and in transit", ["CC6.1", "CC6.7"], findings, {
    atRest,
    inTransit: {
      tls: tlsEnabled(ctx.config),
      minVersion: "TLSv1.2",
      tls12Ciphers: MODERN_CIPHERS.split(":").filter((c) => !c.startsWith("TLS_")),
      mutualTls: !tlsEnabled(ctx.config) ? "off" : ctx.config.tls.requireClientCert ? "required" : ctx.config.tls.ca !== "" ? "optional" : "off",
      certificate: cert,
      listeners: ls,
    },
  });
}
