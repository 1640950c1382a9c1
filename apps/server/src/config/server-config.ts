// Server configuration: one strict schema for the config file, flags and environment (flags > env > file > defaults).

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CoreErrors, MeshlogError } from "@meshlog/core";
import { redactionConfigSchema } from "@meshlog/pipeline";
import { alertingConfigSchema } from "../features/alerting/alerting-config.js";
import { anomaliesConfigSchema } from "../features/anomalies/anomalies-config.js";
import { busConfigSchema } from "../bus/bus-config.js";

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]*):\d{1,5}$|^$/, "must be HOST:PORT (empty disables)");

/** The OTLP/gRPC receiver's conventional address; skipped with a warning (not fatal) when another process holds it. */
export const DEFAULT_OTLP_GRPC_LISTEN = "127.0.0.1:4317";

export const serverConfigSchema = z
  .object({
    dataDir: z.string().default("./data").describe("Folder holding all data (WAL, blocks, ledger, keys). Env MESHLOG_DATA, flag --data."),
    http: hostPort.default("127.0.0.1:3100").describe("HTTP listen address for the API, receivers and UI. Env MESHLOG_HTTP, flag --http."),
    syslog: hostPort.default("127.0.0.1:5514").describe("Syslog TCP and UDP listen address; empty disables. Env MESHLOG_SYSLOG, flag --syslog."),
    syslogTls: hostPort.default("").describe("Syslog over TLS (RFC 5425) listen address; needs tls.cert/key. Env MESHLOG_SYSLOG_TLS."),
    forward: hostPort.default("127.0.0.1:24224").describe("Fluentd forward listen address; empty disables. Env MESHLOG_FORWARD, flag --forward."),
    forwardSharedKey: z
      .string()
      .default("")
      .describe(
        "Shared key for the forward protocol handshake; when empty, clients log in with a meshlog ingest token sent as the handshake username (shared_key = the same token). Env MESHLOG_FORWARD_SHARED_KEY.",
      ),
    forwardTls: z.boolean().default(false).describe("Serve the forward protocol over TLS (needs tls.cert/key). Env MESHLOG_FORWARD_TLS."),
    forwardAllowAnonymous: z
      .boolean()
      .default(false)
      .describe(
        "Accept forward connections without a handshake (no shared key, no token) as an ingest principal of forwardTenant; only for trusted loopback shippers. Env MESHLOG_FORWARD_ALLOW_ANONYMOUS.",
      ),
    forwardTenant: z
      .string()
      .default("default")
      .describe(
        "Tenant of forward data authenticated by forwardSharedKey or accepted anonymously (token logins use the token's tenant). Env MESHLOG_FORWARD_TENANT.",
      ),
    otlpGrpc: z
      .object({
        enabled: z.boolean().default(true).describe("Run the OTLP/gRPC receiver (logs and traces). Env MESHLOG_OTLP_GRPC_ENABLED."),
        listen: hostPort
          .default(DEFAULT_OTLP_GRPC_LISTEN)
          .describe(
            "OTLP/gRPC listen address (port 0 picks a free port); empty disables. When the default address is in use the receiver is skipped with a warning; an address set here must be free. Env MESHLOG_OTLP_GRPC, flag --otlp-grpc.",
          ),
        tls: z
          .boolean()
          .default(false)
          .describe("Serve OTLP/gRPC over TLS with tls.cert/key (client certificates as set by tls.ca and tls.requireClientCert). Env MESHLOG_OTLP_GRPC_TLS."),
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024)
          .describe("Largest export request accepted, after decompression; over it: RESOURCE_EXHAUSTED. Env MESHLOG_OTLP_GRPC_MAX_MESSAGE_BYTES."),
      })
      .strict()
      .default({ enabled: true, listen: DEFAULT_OTLP_GRPC_LISTEN, tls: false, maxMessageBytes: 4 * 1024 * 1024 }),
    beats: z
      .object({
        listen: hostPort
          .default("")
          .describe(
            "Beats/Lumberjack listen address (Filebeat, Winlogbeat, Metricbeat `output.logstash`; Logstash's port is 5044); empty (default) disables. Env MESHLOG_BEATS, flag --beats.",
          ),
        tls: z
          .boolean()
          .default(false)
          .describe("Serve Beats over TLS with tls.cert/key (client certificates as set by tls.ca and tls.requireClientCert). Env MESHLOG_BEATS_TLS."),
        tenant: z
          .string()
          .default("default")
          .describe(
            "Tenant of Beats data (Lumberjack carries no credentials: exposure is controlled by the bind address and client certificates; a certificate mapped in security.clientCertPrincipals writes to its principal's tenant). Env MESHLOG_BEATS_TENANT.",
          ),
        maxWindowSize: z
          .number()
          .int()
          .positive()
          .default(65536)
          .describe("Most events one window (Filebeat bulk_max_size) may announce; over it the connection is closed. Env MESHLOG_BEATS_MAX_WINDOW_SIZE."),
        keepaliveSeconds: z
          .number()
          .positive()
          .default(5)
          .describe(
            "While a received window waits for storage, re-send its last ACK this often so the sender's timeout (Filebeat: 30 s) does not expire. Env MESHLOG_BEATS_KEEPALIVE.",
          ),
        idleTimeoutSeconds: z
          .number()
          .positive()
          .default(60)
          .describe(
            "Close a connection that sent nothing for this long while nothing of it is pending (Logstash client_inactivity_timeout). Env MESHLOG_BEATS_IDLE_TIMEOUT.",
          ),
      })
      .strict()
      .default({ listen: "", tls: false, tenant: "default", maxWindowSize: 65536, keepaliveSeconds: 5, idleTimeoutSeconds: 60 }),
    syslogTenant: z
      .string()
      .default("default")
      .describe(
        "Tenant of all syslog data (syslog carries no credentials: exposure is controlled by the bind address and, on syslogTls, client certificates). Env MESHLOG_SYSLOG_TENANT.",
      ),
    adminToken: z
      .string()
      .default("")
      .describe("Bootstrap admin token; when empty one is generated at first start and written to DATA/admin.token. Env MESHLOG_ADMIN_TOKEN."),
    logLevel: z
      .enum(["debug", "info", "warn", "error"])
      .default("info")
      .describe("Level of the server's own logs (JSON lines on stderr). Env MESHLOG_LOG_LEVEL."),
    elasticsearchVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, "must be MAJOR.MINOR.PATCH")
      .default("8.17.0")
      .describe("Elasticsearch version the ES-compatible endpoints report (Beats refuse servers older than themselves). Env MESHLOG_ES_VERSION."),
    tls: z
      .object({
        cert: z.string().default("").describe("PEM certificate file for HTTPS and TLS receivers. Env MESHLOG_TLS_CERT."),
        key: z.string().default("").describe("PEM private key file. Env MESHLOG_TLS_KEY."),
        ca: z.string().default("").describe("PEM CA bundle for verifying client certificates (mTLS). Env MESHLOG_TLS_CA."),
        requireClientCert: z.boolean().default(false).describe("Require a client certificate signed by tls.ca. Env MESHLOG_TLS_REQUIRE_CLIENT_CERT."),
      })
      .strict()
      .default({ cert: "", key: "", ca: "", requireClientCert: false }),
    query: z
      .object({
        maxEntries: z
          .number()
          .int()
          .positive()
          .default(5000)
          .describe("Most lines one log query may return (Loki max_entries_limit_per_query). Env MESHLOG_QUERY_MAX_ENTRIES."),
        timeoutSeconds: z.number().positive().default(60).describe("Query timeout. Env MESHLOG_QUERY_TIMEOUT."),
        maxSeries: z.number().int().positive().default(500).describe("Most series a metric query may return. Env MESHLOG_QUERY_MAX_SERIES."),
        maxQueryLengthHours: z.number().positive().default(721).describe("Longest time range one query may cover, hours. Env MESHLOG_QUERY_MAX_LENGTH_HOURS."),
        maxConcurrentPerPrincipal: z.number().int().positive().default(8).describe("Queries one principal may run at once. Env MESHLOG_QUERY_MAX_CONCURRENT."),
        maxSamples: z
          .number()
          .int()
          .positive()
          .default(20_000_000)
          .describe("Memory bound of one query: most buffered samples plus (series x steps) cells. Env MESHLOG_QUERY_MAX_SAMPLES."),
        patternsMaxLines: z
          .number()
          .int()
          .positive()
          .default(100_000)
          .describe("Most lines one /loki/api/v1/patterns request mines (newest first). Env MESHLOG_QUERY_PATTERNS_MAX_LINES."),
      })
      .strict()
      .default({
        maxEntries: 5000,
        timeoutSeconds: 60,
        maxSeries: 500,
        maxQueryLengthHours: 721,
        maxConcurrentPerPrincipal: 8,
        maxSamples: 20_000_000,
        patternsMaxLines: 100_000,
      }),
    ingest: z
      .object({
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024)
          .describe("Largest request body accepted, after decompression. Env MESHLOG_INGEST_MAX_BODY_BYTES."),
        maxLineBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024)
          .describe("Longest single log line accepted. Env MESHLOG_INGEST_MAX_LINE_BYTES."),
        rateLimitBytesPerSecond: z
          .number()
          .nonnegative()
          .default(0)
          .describe("Per-tenant ingest rate limit in bytes/s; 0 = unlimited. Env MESHLOG_INGEST_RATE_LIMIT."),
        burstBytes: z.number().nonnegative().default(0).describe("Per-tenant burst size in bytes; 0 = 10 x the rate. Env MESHLOG_INGEST_BURST."),
        maxStreamsPerTenant: z.number().int().positive().default(10000).describe("Most active streams per tenant. Env MESHLOG_INGEST_MAX_STREAMS."),
      })
      .strict()
      .default({ maxBodyBytes: 64 * 1024 * 1024, maxLineBytes: 256 * 1024, rateLimitBytesPerSecond: 0, burstBytes: 0, maxStreamsPerTenant: 10000 }),
    security: z
      .object({
        authFailureBurst: z
          .number()
          .int()
          .nonnegative()
          .default(20)
          .describe(
            "Failed authentications one source address may make in a burst before it gets 429 AUTH_RATE_LIMITED; 0 disables the limit. Env MESHLOG_AUTH_FAILURE_BURST.",
          ),
        authFailureRefillPerMinute: z
          .number()
          .positive()
          .default(20)
          .describe("Failed authentications per minute an address regains after a burst. Env MESHLOG_AUTH_FAILURE_REFILL."),
        clientCertPrincipals: z
          .record(z.string(), z.string())
          .default({})
          .describe(
            "mTLS: client certificate identity (subject CN, or SAN such as DNS:agent-1.example) -> principal id; a client certificate signed by tls.ca and listed here authenticates without a token. Config file only.",
          ),
        tlsReloadIntervalMs: z
          .number()
          .int()
          .positive()
          .default(1000)
          .describe("How often the TLS certificate files are checked for changes (hot reload), ms. Env MESHLOG_TLS_RELOAD_INTERVAL_MS."),
      })
      .strict()
      .default({ authFailureBurst: 20, authFailureRefillPerMinute: 20, clientCertPrincipals: {}, tlsReloadIntervalMs: 1000 }),
    normalize: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Normalize records that arrive without a severity: derive it (level keys, syslog severity, HTTP status 5xx -> error), add detected fields and detected_level as attributes, fill trace/span ids; stream labels are never changed. Env MESHLOG_NORMALIZE.",
          ),
        parseBodies: z
          .boolean()
          .default(true)
          .describe(
            "Parse the bodies of such records (JSON, logfmt, Envoy/Istio/Linkerd/nginx access logs, syslog, CRI/Docker; names in docs/specs/fields.md); when false only sender attributes are read. Env MESHLOG_NORMALIZE_PARSE_BODIES.",
          ),
        maxBodyBytesToParse: z
          .number()
          .int()
          .positive()
          .default(16384)
          .describe("Bodies longer than this many bytes are stored without parsing. Env MESHLOG_NORMALIZE_MAX_BODY_BYTES."),
      })
      .strict()
      .default({ enabled: true, parseBodies: true, maxBodyBytesToParse: 16384 })
      .describe("Normalization of received records before redaction and storage (see docs/ingest.md)."),
    redaction: redactionConfigSchema
      .extend({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Redact secrets and PII (cards, JWTs, bearer tokens, cloud keys, passwords, emails, SSNs) before anything is written. Env MESHLOG_REDACTION.",
          ),
      })
      .prefault({})
      .describe("Redaction applied to every record before it is stored (see docs/specs/fields.md)."),
    storage: z
      .object({
        sealMaxBytes: z
          .number()
          .int()
          .positive()
          .default(2 * 1024 * 1024)
          .describe("Seal a stream's head into a block at this many uncompressed bytes."),
        sealMaxAgeSeconds: z.number().positive().default(120).describe("Seal a stream's head after this many seconds. Env MESHLOG_SEAL_MAX_AGE."),
        maxHeadBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024)
          .describe("Memory the head may use before ingest gets backpressure."),
        blockCacheBytes: z
          .number()
          .int()
          .nonnegative()
          .default(64 * 1024 * 1024)
          .describe("Memory for decrypted, decompressed blocks kept for repeated queries (least recently used out first; 0 disables)."),
        scanWorkers: z
          .number()
          .int()
          .min(0)
          .max(16)
          .default(0)
          .describe(
            "Worker threads that decrypt and search uncached blocks in parallel for line-filter queries (0: on the query's thread; see BENCHMARKS.md).",
          ),
      })
      .strict()
      .default({ sealMaxBytes: 2 * 1024 * 1024, sealMaxAgeSeconds: 120, maxHeadBytes: 256 * 1024 * 1024, blockCacheBytes: 64 * 1024 * 1024, scanWorkers: 0 }),
    alerting: alertingConfigSchema,
    anomalies: anomaliesConfigSchema,
    retention: z
      .object({
        enabled: z.boolean().default(true).describe("Run the retention job (deletes expired blocks, shreds emptied keys). Env MESHLOG_RETENTION_ENABLED."),
        intervalSeconds: z.number().positive().default(3600).describe("Seconds between retention runs. Env MESHLOG_RETENTION_INTERVAL."),
        defaultRetention: z
          .string()
          .regex(/^[1-9]\d{0,5}[dwy]$/, "must be like 90d, 4w or 1y")
          .default("90d")
          .describe("Retention of streams no policy rule matches. Env MESHLOG_RETENTION_DEFAULT."),
        auditWindowDays: z
          .number()
          .int()
          .positive()
          .default(400)
          .describe(
            'Minimum days security/audit streams (tenant _audit, streams with source="audit") are kept; shorter policies are refused. Env MESHLOG_AUDIT_WINDOW_DAYS.',
          ),
        batchSize: z.number().int().positive().default(100).describe("Blocks deleted per signed tombstone. Env MESHLOG_RETENTION_BATCH_SIZE."),
        minFreeDiskBytes: z
          .number()
          .int()
          .nonnegative()
          .default(100 * 1024 * 1024)
          .describe(
            "Refuse ingest with 507 STORAGE_DISK_FULL while the data folder's filesystem has less free space (0 disables; unexpired data is never deleted to make room). Env MESHLOG_MIN_FREE_DISK_BYTES.",
          ),
        diskCheckSeconds: z.number().positive().default(5).describe("Seconds between free-space checks of the data folder. Env MESHLOG_DISK_CHECK_INTERVAL."),
        deleteCancelSeconds: z
          .number()
          .nonnegative()
          .default(86400)
          .describe(
            "Seconds a deletion request made through the Loki delete API (POST /loki/api/v1/delete) waits, cancellable, before the retention job executes it. Env MESHLOG_DELETE_CANCEL_PERIOD.",
          ),
        compaction: z
          .object({
            enabled: z.boolean().default(true).describe("Merge small blocks in the retention job, after retention. Env MESHLOG_COMPACTION_ENABLED."),
            minBlockFillRatio: z
              .number()
              .positive()
              .max(1)
              .default(0.25)
              .describe(
                "A block is small, and merged with its small neighbours, below this fraction of storage.sealMaxBytes (uncompressed). Env MESHLOG_COMPACTION_MIN_FILL.",
              ),
            maxBlocksPerRun: z.number().int().min(2).default(1000).describe("Source blocks merged per run at most. Env MESHLOG_COMPACTION_MAX_BLOCKS."),
            maxSpanHours: z
              .number()
              .positive()
              .default(24)
              .describe(
                "Time span one merged block may cover; retention deletes whole blocks, so a record may be kept up to this much longer. Env MESHLOG_COMPACTION_MAX_SPAN_HOURS.",
              ),
          })
          .strict()
          .default({ enabled: true, minBlockFillRatio: 0.25, maxBlocksPerRun: 1000, maxSpanHours: 24 })
          .describe("Compaction of small sealed blocks (replace-with-proof; see docs/retention.md)."),
        policies: z
          .record(
            z.string(),
            z
              .object({
                default: z.string().optional().describe("Retention of the tenant's streams no rule matches (e.g. 30d)."),
                rules: z
                  .array(z.object({ selector: z.string(), retention: z.string() }).strict())
                  .default([])
                  .describe("Ordered rules; the first whose stream selector matches decides (e.g. {selector: '{namespace=\"payments\"}', retention: 400d})."),
              })
              .strict(),
          )
          .default({})
          .describe("Retention policies per tenant (config file only; changes made through PUT /api/v1/retention/policies take precedence)."),
      })
      .strict()
      .default({
        enabled: true,
        intervalSeconds: 3600,
        defaultRetention: "90d",
        auditWindowDays: 400,
        batchSize: 100,
        minFreeDiskBytes: 100 * 1024 * 1024,
        diskCheckSeconds: 5,
        deleteCancelSeconds: 86400,
        compaction: { enabled: true, minBlockFillRatio: 0.25, maxBlocksPerRun: 1000, maxSpanHours: 24 },
        policies: {},
      }),
    reports: z
      .object({
        silentSourceHours: z
          .number()
          .positive()
          .default(24)
          .describe("SOC 2 report: a stream with no data for this many hours before the period end is flagged silent. Env MESHLOG_REPORT_SILENT_HOURS."),
        staleTokenDays: z
          .number()
          .positive()
          .default(90)
          .describe("SOC 2 report: a live token unused for this many days is flagged in the access review. Env MESHLOG_REPORT_STALE_TOKEN_DAYS."),
        verificationMaxAgeHours: z
          .number()
          .nonnegative()
          .default(24)
          .describe(
            "SOC 2 report: reuse the latest integrity verification when it is younger than this, else run one (0 = always run). Env MESHLOG_REPORT_VERIFICATION_MAX_AGE_HOURS.",
          ),
      })
      .strict()
      .default({ silentSourceHours: 24, staleTokenDays: 90, verificationMaxAgeHours: 24 }),
    bus: busConfigSchema.prefault({}).describe("Ingest bus for scale-out (NATS JetStream; see docs/scale-out.md)."),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** Environment variable -> config path. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  MESHLOG_DATA: "dataDir",
  MESHLOG_HTTP: "http",
  MESHLOG_SYSLOG: "syslog",
  MESHLOG_SYSLOG_TLS: "syslogTls",
  MESHLOG_FORWARD: "forward",
  MESHLOG_FORWARD_SHARED_KEY: "forwardSharedKey",
  MESHLOG_FORWARD_TLS: "forwardTls",
  MESHLOG_FORWARD_ALLOW_ANONYMOUS: "forwardAllowAnonymous",
  MESHLOG_FORWARD_TENANT: "forwardTenant",
  MESHLOG_SYSLOG_TENANT: "syslogTenant",
  MESHLOG_BEATS: "beats.listen",
  MESHLOG_BEATS_TLS: "beats.tls",
  MESHLOG_BEATS_TENANT: "beats.tenant",
  MESHLOG_BEATS_MAX_WINDOW_SIZE: "beats.maxWindowSize",
  MESHLOG_BEATS_KEEPALIVE: "beats.keepaliveSeconds",
  MESHLOG_BEATS_IDLE_TIMEOUT: "beats.idleTimeoutSeconds",
  MESHLOG_OTLP_GRPC: "otlpGrpc.listen",
  MESHLOG_OTLP_GRPC_ENABLED: "otlpGrpc.enabled",
  MESHLOG_OTLP_GRPC_TLS: "otlpGrpc.tls",
  MESHLOG_OTLP_GRPC_MAX_MESSAGE_BYTES: "otlpGrpc.maxMessageBytes",
  MESHLOG_ADMIN_TOKEN: "adminToken",
  MESHLOG_LOG_LEVEL: "logLevel",
  MESHLOG_ES_VERSION: "elasticsearchVersion",
  MESHLOG_TLS_CERT: "tls.cert",
  MESHLOG_TLS_KEY: "tls.key",
  MESHLOG_TLS_CA: "tls.ca",
  MESHLOG_TLS_REQUIRE_CLIENT_CERT: "tls.requireClientCert",
  MESHLOG_QUERY_MAX_ENTRIES: "query.maxEntries",
  MESHLOG_QUERY_TIMEOUT: "query.timeoutSeconds",
  MESHLOG_QUERY_MAX_SERIES: "query.maxSeries",
  MESHLOG_QUERY_MAX_LENGTH_HOURS: "query.maxQueryLengthHours",
  MESHLOG_QUERY_MAX_CONCURRENT: "query.maxConcurrentPerPrincipal",
  MESHLOG_QUERY_MAX_SAMPLES: "query.maxSamples",
  MESHLOG_QUERY_PATTERNS_MAX_LINES: "query.patternsMaxLines",
  MESHLOG_INGEST_MAX_BODY_BYTES: "ingest.maxBodyBytes",
  MESHLOG_INGEST_MAX_LINE_BYTES: "ingest.maxLineBytes",
  MESHLOG_INGEST_RATE_LIMIT: "ingest.rateLimitBytesPerSecond",
  MESHLOG_INGEST_BURST: "ingest.burstBytes",
  MESHLOG_INGEST_MAX_STREAMS: "ingest.maxStreamsPerTenant",
  MESHLOG_SEAL_MAX_AGE: "storage.sealMaxAgeSeconds",
  MESHLOG_RETENTION_ENABLED: "retention.enabled",
  MESHLOG_RETENTION_INTERVAL: "retention.intervalSeconds",
  MESHLOG_RETENTION_DEFAULT: "retention.defaultRetention",
  MESHLOG_AUDIT_WINDOW_DAYS: "retention.auditWindowDays",
  MESHLOG_RETENTION_BATCH_SIZE: "retention.batchSize",
  MESHLOG_MIN_FREE_DISK_BYTES: "retention.minFreeDiskBytes",
  MESHLOG_DISK_CHECK_INTERVAL: "retention.diskCheckSeconds",
  MESHLOG_REPORT_SILENT_HOURS: "reports.silentSourceHours",
  MESHLOG_REPORT_STALE_TOKEN_DAYS: "reports.staleTokenDays",
  MESHLOG_REPORT_VERIFICATION_MAX_AGE_HOURS: "reports.verificationMaxAgeHours",
  MESHLOG_DELETE_CANCEL_PERIOD: "retention.deleteCancelSeconds",
  MESHLOG_COMPACTION_ENABLED: "retention.compaction.enabled",
  MESHLOG_COMPACTION_MIN_FILL: "retention.compaction.minBlockFillRatio",
  MESHLOG_COMPACTION_MAX_BLOCKS: "retention.compaction.maxBlocksPerRun",
  MESHLOG_COMPACTION_MAX_SPAN_HOURS: "retention.compaction.maxSpanHours",
  MESHLOG_BUS: "bus.kind",
  MESHLOG_BUS_SERVERS: "bus.servers",
  MESHLOG_BUS_STREAM: "bus.stream",
  MESHLOG_BUS_SUBJECT_PREFIX: "bus.subjectPrefix",
  MESHLOG_BUS_CONSUMER: "bus.consumer",
  MESHLOG_BUS_REPLICAS: "bus.replicas",
  MESHLOG_BUS_TOKEN: "bus.token",
  MESHLOG_BUS_USER: "bus.user",
  MESHLOG_BUS_PASSWORD: "bus.password",
  MESHLOG_BUS_CREDENTIALS: "bus.credentialsFile",
  MESHLOG_BUS_TLS_CA: "bus.tlsCa",
  MESHLOG_BUS_TLS_CERT: "bus.tlsCert",
  MESHLOG_BUS_TLS_KEY: "bus.tlsKey",
  MESHLOG_BUS_MAX_BATCH_BYTES: "bus.maxBatchBytes",
  MESHLOG_BUS_PUBLISH_TIMEOUT_MS: "bus.publishTimeoutMs",
  MESHLOG_BUS_ACK_WAIT: "bus.ackWaitSeconds",
  MESHLOG_REDACTION: "redaction.enabled",
  MESHLOG_NORMALIZE: "normalize.enabled",
  MESHLOG_NORMALIZE_PARSE_BODIES: "normalize.parseBodies",
  MESHLOG_NORMALIZE_MAX_BODY_BYTES: "normalize.maxBodyBytesToParse",
  MESHLOG_AUTH_FAILURE_BURST: "security.authFailureBurst",
  MESHLOG_AUTH_FAILURE_REFILL: "security.authFailureRefillPerMinute",
  MESHLOG_TLS_RELOAD_INTERVAL_MS: "security.tlsReloadIntervalMs",
  MESHLOG_ALERTING_ENABLED: "alerting.enabled",
  MESHLOG_ALERTING_EVALUATION_INTERVAL: "alerting.evaluationInterval",
  MESHLOG_ALERTING_EXTERNAL_URL: "alerting.externalUrl",
  MESHLOG_ALERTING_NOTIFY_TIMEOUT: "alerting.notifyTimeoutSeconds",
  MESHLOG_ALERTING_NOTIFY_RETRIES: "alerting.notifyRetries",
  MESHLOG_ALERTING_NOTIFY_BACKOFF_MS: "alerting.notifyBackoffMs",
  MESHLOG_ANOMALIES_ENABLED: "anomalies.enabled",
  MESHLOG_ANOMALIES_INTERVAL: "anomalies.intervalSeconds",
  MESHLOG_ANOMALIES_SILENCE_MINUTES: "anomalies.silence.minutes",
};

const FLAG_KEYS: Readonly<Record<string, string>> = {
  "--data": "dataDir",
  "--http": "http",
  "--syslog": "syslog",
  "--forward": "forward",
  "--otlp-grpc": "otlpGrpc.listen",
  "--beats": "beats.listen",
  "--log-level": "logLevel",
};

function setPath(obj: Record<string, unknown>, path: string, raw: string): void {
  const parts = path.split(".");
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== "object" || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  const leaf = parts[parts.length - 1] as string;
  const shape = leafSchema(path);
  cur[leaf] =
    shape === "number" ? Number(raw) : shape === "boolean" ? /^(1|true|yes|on)$/i.test(raw) : shape === "list" ? raw.split(",").map((x) => x.trim()) : raw;
}

function leafSchema(path: string): "string" | "number" | "boolean" | "list" {
  const defaults = serverConfigSchema.parse({}) as Record<string, unknown>;
  let cur: unknown = defaults;
  for (const p of path.split(".")) cur = (cur as Record<string, unknown>)[p];
  return typeof cur === "number" ? "number" : typeof cur === "boolean" ? "boolean" : Array.isArray(cur) ? "list" : "string";
}

/** Parses `meshlog server` arguments and environment into a validated config; errors name the key and its origin. */
export function loadServerConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  let file: string | undefined = env.MESHLOG_CONFIG;
  const flags: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = inline ?? argv[i + 1];
    if (name === "--config" || FLAG_KEYS[name] !== undefined) {
      // `--data --http X` is a forgotten value, not a data folder named "--http".
      if (value === undefined || (inline === undefined && value.startsWith("--"))) throw new MeshlogError(CoreErrors.CONFIG_INVALID, `${name} needs a value`);
      if (inline === undefined) i++;
      if (name === "--config") file = value;
      else flags.push([FLAG_KEYS[name] as string, value]);
    } else {
      throw new MeshlogError(CoreErrors.CONFIG_INVALID, `unknown option ${a} (see meshlog server --help)`);
    }
  }
  let raw: Record<string, unknown> = {};
  if (file !== undefined && file !== "") {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new MeshlogError(CoreErrors.CONFIG_INVALID, `cannot read config file ${file}: ${(err as Error).message}`);
    }
    const parsed: unknown = parseYaml(text);
    if (parsed !== null && typeof parsed === "object") raw = parsed as Record<string, unknown>;
    else if (parsed !== null && parsed !== undefined) throw new MeshlogError(CoreErrors.CONFIG_INVALID, `${file}: the config must be a YAML mapping`);
  }
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== "") setPath(raw, path, v);
  }
  for (const [path, v] of flags) setPath(raw, path, v);
  const result = serverConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join(".") ?? "";
    const origin = file !== undefined && file !== "" ? ` (config file ${file}, environment or flags)` : " (environment or flags)";
    const msg =
      issue?.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.map((k) => (where ? `${where}.${k}` : k)).join(", ")}` : `${where}: ${issue?.message}`;
    throw new MeshlogError(CoreErrors.CONFIG_INVALID, `invalid configuration: ${msg}${origin}`);
  }
  return result.data;
}

/** Splits HOST:PORT. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(":");
  const host = addr.slice(0, i).replace(/^\[|\]$/g, "");
  return { host: host === "" ? "0.0.0.0" : host, port: Number(addr.slice(i + 1)) };
}
