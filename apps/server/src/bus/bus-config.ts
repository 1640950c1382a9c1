// Configuration of the ingest bus (`bus:` in the server config): none (direct writes) or NATS JetStream.

import { z } from "zod";

const natsUrl = z.string().regex(/^(nats|tls):\/\/[^\s/]+$|^[^\s/:]+:\d{1,5}$/, "must be nats://HOST:PORT, tls://HOST:PORT or HOST:PORT");
const subjectToken = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "must be dot-separated tokens of letters, digits, _ and -");

export const busConfigSchema = z
  .object({
    kind: z
      .enum(["none", "nats"])
      .default("none")
      .describe(
        "Ingest bus: none writes batches straight to the store; nats publishes them to a NATS JetStream stream and a writer in this process commits them to the store (see docs/scale-out.md). Env MESHLOG_BUS.",
      ),
    servers: z.array(natsUrl).default([]).describe("NATS server URLs of the cluster (comma-separated in the environment). Env MESHLOG_BUS_SERVERS."),
    stream: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -")
      .default("meshlog-ingest")
      .describe("JetStream stream holding ingest batches; created at start when missing. Env MESHLOG_BUS_STREAM."),
    subjectPrefix: subjectToken
      .default("meshlog.ingest")
      .describe("Batches of tenant T are published on SUBJECTPREFIX.T; the stream takes SUBJECTPREFIX.>. Env MESHLOG_BUS_SUBJECT_PREFIX."),
    consumer: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -")
      .default("meshlog-writer")
      .describe("Durable pull consumer the store writers share. Env MESHLOG_BUS_CONSUMER."),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(0)
      .describe("Replicas of a stream created at start; 0 = 3 when at least 3 servers are listed, else 1. Env MESHLOG_BUS_REPLICAS."),
    token: z.string().default("").describe("Token for NATS token authentication. Env MESHLOG_BUS_TOKEN."),
    user: z.string().default("").describe("User for NATS user/password authentication. Env MESHLOG_BUS_USER."),
    password: z.string().default("").describe("Password for NATS user/password authentication. Env MESHLOG_BUS_PASSWORD."),
    credentialsFile: z.string().default("").describe("NATS credentials file (JWT + NKey seed, .creds). Env MESHLOG_BUS_CREDENTIALS."),
    tlsCa: z.string().default("").describe("PEM CA bundle to verify the NATS servers; setting any tls* option turns TLS on. Env MESHLOG_BUS_TLS_CA."),
    tlsCert: z.string().default("").describe("PEM client certificate for NATS mTLS. Env MESHLOG_BUS_TLS_CERT."),
    tlsKey: z.string().default("").describe("PEM client key for NATS mTLS. Env MESHLOG_BUS_TLS_KEY."),
    maxBatchBytes: z
      .number()
      .int()
      .min(4096)
      .default(900 * 1024)
      .describe("Largest bus message; bigger batches are split (also capped by the server's max_payload). Env MESHLOG_BUS_MAX_BATCH_BYTES."),
    publishTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(5000)
      .describe("How long a receiver waits for JetStream's ack (retrying the same message id) before answering 503. Env MESHLOG_BUS_PUBLISH_TIMEOUT_MS."),
    ackWaitSeconds: z
      .number()
      .positive()
      .default(30)
      .describe(
        "Seconds a delivered batch may stay unacknowledged before JetStream redelivers it (writers signal progress while retrying). Env MESHLOG_BUS_ACK_WAIT.",
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.kind === "nats" && c.servers.length === 0) ctx.addIssue({ code: "custom", path: ["servers"], message: "bus.kind nats needs at least one server" });
    if (c.token !== "" && (c.user !== "" || c.credentialsFile !== ""))
      ctx.addIssue({ code: "custom", path: ["token"], message: "set only one of bus.token, bus.user/password and bus.credentialsFile" });
    if ((c.tlsCert === "") !== (c.tlsKey === "")) ctx.addIssue({ code: "custom", path: ["tlsCert"], message: "bus.tlsCert and bus.tlsKey go together" });
  });

export type BusConfig = z.infer<typeof busConfigSchema>;

/** Replicas for a new stream: the configured number, or 3 with a cluster of 3+ servers, else 1. */
export function streamReplicas(c: Pick<BusConfig, "replicas" | "servers">): number {
  if (c.replicas > 0) return c.replicas;
  return c.servers.length >= 3 ? 3 : 1;
}
