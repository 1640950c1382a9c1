// `meshlog server`: the composition root. Reads config, opens the store, starts the modules, handles signals.

import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { jsonLogger, systemClock, MeshlogError } from "@meshlog/core";
import { loadServerConfig, type ServerConfig } from "./config/server-config.js";
import type { ServerContext } from "./context.js";
import { BootstrapAuthenticator } from "./features/auth/bootstrap-authenticator.js";
import { StoreAuditSink } from "./features/audit/store-audit-sink.js";
import { MetricsRegistry } from "./features/metrics/metrics-registry.js";
import { IngestWriter } from "./ingest/ingest-writer.js";
import { serverModules, startModules, type Stoppable } from "./modules.js";
import { loadBootstrapToken } from "./bootstrap-token.js";
import { openStore } from "./store-factory.js";
import { SourceTracker } from "./features/sources/source-tracker.js";
import { installRedaction } from "./features/redaction/redaction.js";
import { installNormalize } from "./features/normalize/normalize.js";

export interface RunningServer {
  readonly ctx: ServerContext;
  stop(): Promise<void>;
}

/** Starts a server from a validated config (used by main and by in-process tests). */
export async function startServer(config: ServerConfig, opts: { print?: (s: string) => void; logWrite?: (s: string) => void } = {}): Promise<RunningServer> {
  const log = jsonLogger(opts.logWrite ?? ((s) => process.stderr.write(s)), config.logLevel, { component: "server" });
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const adminToken = loadBootstrapToken(dataDir, config.adminToken, opts.print ?? ((s) => process.stdout.write(s)));
  const store = await openStore(config, dataDir, log);
  const metrics = new MetricsRegistry();
  const ctx: ServerContext = {
    config,
    dataDir,
    store,
    log,
    clock: systemClock,
    auth: new BootstrapAuthenticator(adminToken),
    audit: new StoreAuditSink(store, systemClock, log),
    metrics,
    ingest: new IngestWriter(store, metrics, log),
    services: new Map([["bootstrapToken", adminToken]]),
  };
  installNormalize(ctx);
  installRedaction(ctx);
  const sources = new SourceTracker();
  ctx.services.set("sources", sources);
  ctx.ingest.onStored((tenant, records) => sources.observe(tenant, records));
  let modules: Stoppable;
  try {
    modules = await startModules(ctx, serverModules);
  } catch (err) {
    await store.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    ctx,
    stop() {
      stopping ??= (async () => {
        await modules.stop();
        await ctx.audit.flush();
        await store.flush();
        await store.close();
      })();
      return stopping;
    },
  };
}

/** Entry point for `meshlog server ARGS`. Returns the exit code (resolves when the server has stopped). */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      "usage: meshlog server [--config FILE] [--data DIR] [--http HOST:PORT] [--syslog HOST:PORT] [--forward HOST:PORT] [--otlp-grpc HOST:PORT] [--beats HOST:PORT] [--log-level LEVEL]\n" +
        "Environment: MESHLOG_DATA, MESHLOG_HTTP, MESHLOG_SYSLOG, MESHLOG_FORWARD, MESHLOG_OTLP_GRPC, MESHLOG_BEATS, MESHLOG_ADMIN_TOKEN, MESHLOG_MASTER_KEY, MESHLOG_QUERY_MAX_ENTRIES, ... (see docs/configuration.md)\n",
    );
    return 0;
  }
  let server: RunningServer;
  try {
    server = await startServer(loadServerConfig(argv, process.env));
  } catch (err) {
    process.stderr.write(`meshlog server: ${err instanceof MeshlogError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    return 1;
  }
  return new Promise<number>((resolveExit) => {
    let signalled = false;
    const onSignal = (sig: string) => {
      if (signalled) return;
      signalled = true;
      server.ctx.log.info("shutting down", { signal: sig });
      server.stop().then(
        () => resolveExit(0),
        (err: unknown) => {
          server.ctx.log.error("shutdown failed", { err: err as Error });
          resolveExit(1);
        },
      );
    };
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    process.once("SIGINT", () => onSignal("SIGINT"));
  });
}
