// OTLP/gRPC receiver over (mutual) TLS, wired into the complete server (client-certificate principals, audit), and
// its start-up errors.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { OTLPLogExporter as OTLPLogExporterGrpc } from "@opentelemetry/exporter-logs-otlp-grpc";
import { AUDIT_TENANT, MeshlogError } from "@meshlog/core";
import { startTestServer, type TestServer } from "../../features/auth/test-server.js";
import { otlpRoutes } from "../otlp/otlp-routes.js";
import { makeTestCertificates, readAll } from "../socket/receiver-test-kit.js";
import { startReceiverHarness } from "../testing/receiver-harness.js";
import { GrpcCode } from "./grpc-status.js";
import { otlpGrpcModule } from "./index.js";
import { LOGS_EXPORT_PATH } from "./otlp-grpc-service.js";
import { INGEST, logsRequest, MAX_MESSAGE_BYTES, meta, rawCall, startGrpc, type Started } from "./otlp-grpc-test-kit.js";

describe("OTLP/gRPC start-up errors", () => {
  test("a taken port and TLS without a certificate fail the start with messages naming the setting", async () => {
    const first = await startGrpc();
    try {
      const h = await startReceiverHarness([otlpRoutes], { otlpGrpc: { listen: first.address } });
      try {
        await assert.rejects(otlpGrpcModule.start(h.ctx), (err: unknown) => {
          assert.ok(err instanceof MeshlogError);
          assert.equal(err.code, "CONFIG_INVALID");
          assert.match(err.message, /otlpGrpc\.listen: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\).*set it empty to disable/);
          return true;
        });
      } finally {
        await h.close();
      }
      const t = await startReceiverHarness([otlpRoutes], { otlpGrpc: { listen: "127.0.0.1:0", tls: true } });
      try {
        await assert.rejects(otlpGrpcModule.start(t.ctx), /otlpGrpc\.tls needs TLS but tls\.cert and tls\.key are not set/);
      } finally {
        await t.close();
      }
      const off = await startReceiverHarness([otlpRoutes], { otlpGrpc: { enabled: false, listen: "127.0.0.1:0" } });
      try {
        await (await otlpGrpcModule.start(off.ctx)).stop();
        assert.equal(off.ctx.services.get("otlp-grpc.address"), undefined, "disabled: nothing listens");
      } finally {
        await off.close();
      }
    } finally {
      await first.grpc.stop();
      await first.h.close();
    }
  });
});

describe("OTLP/gRPC over mutual TLS", () => {
  let dir: string;
  let s: Started;
  let certs: ReturnType<typeof makeTestCertificates>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshlog-otlp-grpc-tls-"));
    certs = makeTestCertificates(dir);
    s = await startGrpc({
      otlpGrpc: { listen: "127.0.0.1:0", tls: true, maxMessageBytes: MAX_MESSAGE_BYTES },
      tls: { cert: certs.cert, key: certs.key, ca: certs.ca, requireClientCert: true },
    });
  });
  after(async () => {
    await s.grpc.stop();
    await s.h.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a client with a certificate signed by tls.ca and a token is accepted", async () => {
    const creds = credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert));
    const { err } = await rawCall(s.address, LOGS_EXPORT_PATH, logsRequest("mtls", ["over mutual tls"]), INGEST, { creds });
    assert.equal(err, null);
    assert.ok((await s.h.records()).some((r) => r.body === "over mutual tls"));
  });

  test("the real exporter with TLS credentials reaches the receiver", async () => {
    const provider = new LoggerProvider({
      processors: [
        new SimpleLogRecordProcessor({
          exporter: new OTLPLogExporterGrpc({
            url: `https://${s.address}`,
            metadata: meta(INGEST),
            credentials: credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert)),
          }),
        }),
      ],
    });
    provider.getLogger("tls").emit({ body: "exporter over mtls" });
    await provider.forceFlush();
    await provider.shutdown();
    assert.ok((await s.h.records()).some((r) => r.body === "exporter over mtls"));
  });

  test("a client without a certificate cannot connect, and plaintext is refused", async () => {
    const noCert = await rawCall(s.address, LOGS_EXPORT_PATH, logsRequest("mtls", ["no cert"]), INGEST, {
      creds: credentials.createSsl(readFileSync(certs.ca)),
    });
    assert.equal(noCert.err?.code, GrpcCode.UNAVAILABLE);
    const plain = await rawCall(s.address, LOGS_EXPORT_PATH, logsRequest("mtls", ["plaintext"]), INGEST);
    assert.equal(plain.err?.code, GrpcCode.UNAVAILABLE);
    const bodies = (await s.h.records()).map((r) => r.body);
    assert.ok(!bodies.includes("no cert") && !bodies.includes("plaintext"));
  });
});

describe("OTLP/gRPC in the full server", () => {
  let dir: string;
  let s: TestServer;
  let certs: ReturnType<typeof makeTestCertificates>;
  let address: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshlog-otlp-grpc-server-"));
    certs = makeTestCertificates(dir);
    s = await startTestServer({
      otlpGrpc: { listen: "127.0.0.1:0", tls: true },
      tls: { cert: certs.cert, key: certs.key, ca: certs.ca, requireClientCert: false },
      security: { clientCertPrincipals: { "test-client": "edge-agent" } },
    });
    address = s.server.ctx.services.get("otlp-grpc.address") as string;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${s.base}/api/v1/principals`,
        {
          method: "POST",
          ca: readFileSync(certs.ca),
          agent: false,
          headers: { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ id: "edge-agent", kind: "service", tenant: "edge", roles: ["ingest"] }));
    });
    assert.equal(status, 201, "the principal the client certificate maps to is created");
  });
  after(async () => {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("the module is registered: a mapped client certificate authenticates without a token, into its principal's tenant", async () => {
    assert.match(address, /^127\.0\.0\.1:[1-9]\d*$/);
    const creds = credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert));
    const { err } = await rawCall(address, LOGS_EXPORT_PATH, logsRequest("edge", ["from the edge agent"]), {}, { creds });
    assert.equal(err, null, err?.details);
    assert.deepEqual(
      (await readAll(s.server.ctx.store, "edge")).map((r) => r.body),
      ["from the edge agent"],
    );
    await s.server.ctx.audit.flush();
    const events = (await readAll(s.server.ctx.store, AUDIT_TENANT)).map((r) => r.attributes);
    assert.ok(
      events.some(
        (a) => a.principal === "edge-agent" && a["http.route"] === LOGS_EXPORT_PATH && a["detail.credential"] === "client-cert" && a.tenant === "edge",
      ),
      "the export is audited with the certificate's principal",
    );
  });

  test("with a certificate but a wrong token the token decides (UNAUTHENTICATED)", async () => {
    const creds = credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert));
    const { err } = await rawCall(address, LOGS_EXPORT_PATH, logsRequest("edge", ["never"]), { authorization: "Bearer wrong" }, { creds });
    assert.equal(err?.code, GrpcCode.UNAUTHENTICATED);
  });
});
