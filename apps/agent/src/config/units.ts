// Config value schemas shared by components: byte sizes ("16MiB"), durations ("5s"), host:port.

import { z } from "zod";

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/;
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 };

/** Parses "256MiB", "1MB", "4096" or a number of bytes; undefined when malformed. */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const m = SIZE.exec(v.trim());
  if (m === null) return undefined;
  const n = Math.floor(Number(m[1]) * (SIZE_UNITS[m[2] ?? "B"] ?? 1));
  return Number.isSafeInteger(n) ? n : undefined;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "250ms", "5s", "1m", "2h" or a number of milliseconds. */
export function parseDurationMs(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? v : undefined;
  const m = DURATION.exec(v.trim());
  return m === null ? undefined : Number(m[1]) * (DURATION_MS[m[2] ?? "ms"] ?? 1);
}

/** A byte size: a number of bytes or a string with a unit (B, KB, KiB, MB, MiB, GB, GiB). */
export const sizeSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not a size (examples: 4096, 512KiB, 16MiB, 1GB)` });
    return z.NEVER;
  }
  return n;
});

/** A duration: milliseconds as a number, or a string with a unit (ms, s, m, h). */
export const durationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseDurationMs(v);
  if (n === undefined) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not a duration (examples: 250ms, 5s, 1m)` });
    return z.NEVER;
  }
  return n;
});

/** "host:port"; port 0 picks a free port (tests). */
export const listenAddressSchema = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, "expected host:port, for example 127.0.0.1:8687");

export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/** TLS files for servers (cert/key, optional client CA for mTLS) and clients (ca, client cert/key). */
export const tlsSchema = z
  .strictObject({
    ca: z.string().optional().describe("PEM file with the CA certificates to trust."),
    cert: z.string().optional().describe("PEM certificate file (the client certificate for mTLS in sinks)."),
    key: z.string().optional().describe("PEM private key file for `cert`."),
    verify: z.boolean().default(true).describe("Verify the peer's certificate (servers: require a client certificate signed by `ca`)."),
    server_name: z.string().optional().describe("Server name to verify instead of the endpoint host (sinks)."),
  })
  .describe("TLS settings.");
export type TlsConfig = z.output<typeof tlsSchema>;
