// Tests of the line classifiers: Envoy/Istio/Linkerd mesh signals and sshd failures, including malformed,
// truncated, oversized and hostile lines.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "@meshlog/core";
import { httpStatusOf, isConnectFailure, isTlsFailure, bodyHead, sshFailureAddress, upstreamOf } from "./mesh-signals.js";
import { testRecord } from "@meshlog/testkit";

const rec = (body: string, attributes: Record<string, string> = {}): LogRecord =>
  testRecord({ timestamp: 1n, body, attributes, tenant: "t", labels: { source: "test" } });
const connect = (body: string, a: Record<string, string> = {}): boolean => isConnectFailure(rec(body, a), bodyHead(body));
const tls = (body: string, a: Record<string, string> = {}): boolean => isTlsFailure(rec(body, a), bodyHead(body));

describe("mesh signals", () => {
  test("HTTP status comes from http.status_code and rejects anything that is not a status", () => {
    const cases: [string | undefined, number][] = [
      ["503", 503],
      ["200", 200],
      [undefined, 0],
      ["0", 0],
      ["", 0],
      ["5031", 0],
      ["abc", 0],
      ["-1", 0],
      ["99", 0],
      ["600", 0],
      ["5e2", 500],
      ["9".repeat(100_000), 0],
    ];
    for (const [v, want] of cases) assert.equal(httpStatusOf(rec("x", v === undefined ? {} : { "http.status_code": v })), want, String(v).slice(0, 20));
  });

  test("Envoy connect-failure flags are recognised, other flags are not", () => {
    const yes = ["UF", "URX", "UH", "NR", "NC", "DF", "UO", "UF,URX", "DC,UF", "UpstreamConnectionFailure", "NoHealthyUpstream"];
    const no = ["-", "", "DC", "UT", "LR", "UC", "URX2", "uf", "FI", "RL", "U F", ",,,,", "UF".repeat(200)];
    for (const f of yes) assert.equal(connect("GET /", { "response.flags": f }), true, f);
    for (const f of no) assert.equal(connect("GET /", { "response.flags": f }), false, f.slice(0, 20));
  });

  test("connect failures are also recognised from code details and Envoy/Linkerd texts", () => {
    assert.equal(connect("x", { "response.code_details": "upstream_reset_before_response_started{connection_failure}" }), true);
    assert.equal(connect("upstream connect error or disconnect/reset before headers. reset reason: connection failure"), true);
    assert.equal(connect("WARN outbound: Failed to connect error=Connection refused (os error 111)"), true);
    assert.equal(connect("GET /api 200 OK"), false);
  });

  test("TLS handshake failures of istio-proxy, Envoy, Linkerd and Go are recognised", () => {
    const yes = [
      "[C321] TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
      "[C14931] handshake error: 1",
      "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: 268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER",
      "INFO inbound: linkerd_app_core::serve: Connection closed error=TLS detection timed out",
      "WARN rustls::session: Sending fatal alert AccessDenied",
      "Connection closed error=unexpected error: no server certificate chain resolved",
      "http: TLS handshake error from 10.16.7.6:48390: remote error: tls: bad certificate",
      "x509: certificate has expired or is not yet valid",
    ];
    for (const b of yes) assert.equal(tls(b), true, b);
    assert.equal(tls("x", { "upstream.transport_failure_reason": "TLS_error:|268435581:SSL_routines:CERTIFICATE_VERIFY_FAILED" }), true);
    assert.equal(tls("x", { "upstream.transport_failure_reason": "-" }), false);
    for (const b of ["GET /tls-docs 200", "handshake completed", "certificate rotated successfully", ""]) assert.equal(tls(b), false, b);
  });

  test("text checks look at a bounded head of huge or binary bodies", () => {
    const huge = "a".repeat(5_000_000) + " TLS error: x";
    assert.equal(bodyHead(huge).length, 2048);
    assert.equal(tls(huge), false, "a marker past the head is not looked for");
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)).toString("latin1");
    assert.equal(tls(binary), false);
    assert.equal(connect(binary), false);
    assert.equal(sshFailureAddress(binary), undefined);
  });

  test("the upstream is the Istio service, the Envoy cluster or the ingress upstream, bounded", () => {
    assert.equal(
      upstreamOf(rec("", { "upstream.service": "reviews.default.svc.cluster.local", "upstream.cluster": "outbound|9080||reviews" })),
      "reviews.default.svc.cluster.local",
    );
    assert.equal(upstreamOf(rec("", { "upstream.cluster": "outbound|9080||reviews" })), "outbound|9080||reviews");
    assert.equal(upstreamOf(rec("", { "upstream.name": "shop-cart-80" })), "shop-cart-80");
    assert.equal(upstreamOf(rec("", { "upstream.cluster": "-" })), "");
    assert.equal(upstreamOf(rec("", { "upstream.cluster": "x".repeat(10_000) })).length, 256);
  });
});

describe("sshd failures", () => {
  const cases: [string, string | undefined][] = [
    ["Failed password for root from 203.0.113.9 port 52144 ssh2", "203.0.113.9"],
    ["Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2", "198.51.100.7"],
    ["sshd[1234]: Invalid user oracle from 2001:db8::5 port 2222", "2001:db8::5"],
    ["Failed publickey for git from 192.0.2.1 port 1 ssh2", "192.0.2.1"],
    ["Accepted password for root from 203.0.113.9 port 52144 ssh2", undefined],
    ["Failed password for", undefined],
    ["Invalid user  from", undefined],
    ["Failed password for root from", undefined],
    ["Failed " + "password for ".repeat(50_000) + "x from 1.2.3.4", undefined],
    ["Invalid user " + "a".repeat(600) + " from 1.2.3.4", undefined],
    ["", undefined],
  ];
  for (const [line, want] of cases) {
    test(`"${line.slice(0, 60)}" gives ${String(want)}`, () => {
      assert.equal(sshFailureAddress(line), want);
    });
  }
});
