import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { Redactor } from "./redactor.js";
import { luhnValid } from "./detect-card.js";

const all = new Redactor({ rules: { ipv4: true, ipv6: true } });

/** [input, expected output] for the default mask mode with IPs enabled. */
const positives: [string, string][] = [
  ["card 4111 1111 1111 1111 ok", "card [REDACTED:credit_card] ok"],
  ["card 4111-1111-1111-1111.", "card [REDACTED:credit_card]."],
  ["amex 378282246310005", "amex [REDACTED:credit_card]"],
  ["mc=5555555555554444;", "mc=[REDACTED:credit_card];"],
  ["order 12345 4012888888881881", "order 12345 [REDACTED:credit_card]"],
  ["mail bob.smith+tag@example.co.uk now", "mail [REDACTED:email] now"],
  ["<alice@corp.example>", "<[REDACTED:email]>"],
  ["from 10.1.2.3 to 192.168.0.254:8080", "from [REDACTED:ipv4] to [REDACTED:ipv4]:8080"],
  ["v6 2001:db8::8a2e:370:7334 and [::1]:80", "v6 [REDACTED:ipv6] and [[REDACTED:ipv6]]:80"],
  ["full fe80:0:0:0:202:b3ff:fe1e:8329 x", "full [REDACTED:ipv6] x"],
  ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", "jwt [REDACTED:jwt] end"],
  ["Authorization: Bearer abcdef0123456789.xyz", "Authorization: Bearer [REDACTED:bearer_token]"],
  ["authorization: Basic dXNlcjpwYXNzd29yZA==", "authorization: Basic [REDACTED:bearer_token]"],
  ["key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED:aws_access_key] used"],
  ["aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=[REDACTED:aws_secret_key]"],
  ["token ghp_abcdefghijklmnopqrstuvwxyz0123456789 x", "token [REDACTED:github_token] x"],
  ["pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv", "pat [REDACTED:github_token]"],
  ["slack xoxb-123456789012-abcdefABCDEF", "slack [REDACTED:slack_token]"],
  ["db postgres://app:s3cr3t@db.local:5432/x", "db postgres://app:[REDACTED:url_password]@db.local:5432/x"],
  ["login password=hunter2 user=bob", "login password=[REDACTED:password] user=bob"],
  ["GET /login?user=bob&pwd=abc123&x=1", "GET /login?user=bob&pwd=[REDACTED:password]&x=1"],
  ['{"user":"bob","password":"p@ss \\"w\\"","db_password": "x"}', '{"user":"bob","password":"[REDACTED:password]","db_password": "[REDACTED:password]"}'],
  ["client_secret: abc.def", "client_secret: [REDACTED:password]"],
  ["ssn 123-45-6789.", "ssn [REDACTED:ssn]."],
];

for (const [input, want] of positives) {
  test(`redacts ${JSON.stringify(input.slice(0, 48))}`, () => {
    assert.equal(all.redactText(input).text, want);
  });
}

/** Near misses that must stay as they are. */
const negatives: string[] = [
  "id 4111111111111112 fails luhn",
  "ts 1700000000000000000 is a timestamp",
  "4111111111111111111111 too long",
  "ref ab4111111111111111",
  '"span_id":"4969315346863320"',
  "trace_id=4969315346863320",
  "area 000-12-3456",
  "area 666-12-3456",
  "area 912-12-3456",
  "group 123-00-4567",
  "serial 123-45-0000",
  "phone 555-123-45678",
  "version 1.2.3.4",
  "v1.2.3.4 build",
  "semver 1.2.3.4.5",
  "octet 300.1.1.1",
  "time 12:30:45 and mac aa:bb:cc:dd:ee:ff",
  "std::vector<int>",
  "user@localhost",
  "a@b.c",
  "eyJnotajwt",
  "bypass=true",
  "Bearer short",
  "ghp_tooShort",
  "AKIAIOSFODNN7EXAMPLEX",
  "https://example.com/path@v2",
  "",
];

for (const input of negatives) {
  test(`keeps near miss ${JSON.stringify(input.slice(0, 48))}`, () => {
    assert.equal(all.redactText(input).text, input);
  });
}

test("Luhn", () => {
  assert.equal(luhnValid("4111111111111111"), true);
  assert.equal(luhnValid("4111111111111112"), false);
  assert.equal(luhnValid("79927398713"), true);
});

test("IP addresses are kept by default", () => {
  const r = new Redactor();
  assert.equal(r.redactText("from 10.1.2.3 and ::1").text, "from 10.1.2.3 and ::1");
  assert.deepEqual(r.ruleNames.includes("ipv4"), false);
});

test("hash mode writes a keyed, truncated HMAC so equal values stay joinable", () => {
  const r = new Redactor({ mode: "hash", hashKey: "k1", hashLength: 12 });
  const a = r.redactText("user bob@example.com logged in").text;
  const b = r.redactText("mail to bob@example.com").text;
  const h = createHmac("sha256", "k1").update("bob@example.com").digest("hex").slice(0, 12);
  assert.equal(a, `user [email:hmac:${h}] logged in`);
  assert.ok(b.includes(`[email:hmac:${h}]`));
  const other = new Redactor({ mode: "hash", hashKey: "k2" }).redactText("bob@example.com").text;
  assert.notEqual(other, `[email:hmac:${h}]`);
});

test("hash mode without a key is a config error", () => {
  assert.throws(
    () => new Redactor({ mode: "hash" }),
    (e: unknown) => e instanceof MeshlogError && e.code === "PIPELINE_CONFIG_INVALID" && /hashKey/.test(e.message),
  );
  assert.throws(() => new Redactor({ rules: { email: "hash" } }), /hashKey is required/);
});

const record = (): LogRecord => ({
  timestamp: 1n,
  observedTimestamp: 1n,
  severityNumber: 9,
  severityText: "INFO",
  body: "user alice@example.com paid with 4111 1111 1111 1111",
  attributes: { "user.email": "alice@example.com", password: "hunter2", "http.url": "https://u:p4ss@h/x", trace_id: "alice@example.com", note: "fine" },
  resource: { "host.name": "web-1", owner: "ops@example.com" },
  traceId: "",
  spanId: "",
  tenant: "t",
  labels: { source: "agent" },
});

test("redactRecord covers body, attributes (including secret-named keys) and resource, and counts per rule", () => {
  const r = new Redactor({ skipKeys: ["trace_id"] });
  const rec = record();
  const n = r.redactRecord(rec);
  assert.equal(rec.body, "user [REDACTED:email] paid with [REDACTED:credit_card]");
  assert.deepEqual(rec.attributes, {
    "user.email": "[REDACTED:email]",
    password: "[REDACTED:password]",
    "http.url": "https://u:[REDACTED:url_password]@h/x",
    trace_id: "alice@example.com",
    note: "fine",
  });
  assert.deepEqual(rec.resource, { "host.name": "web-1", owner: "[REDACTED:email]" });
  assert.equal(n, 6);
  assert.deepEqual(r.counts(), { email: 3, credit_card: 1, password: 1, url_password: 1 });
});

test("attribute values not found verbatim in a clean body are still scanned; values copied from it are not", () => {
  const r = new Redactor();
  const rec = { ...record(), resource: {}, body: "user logged in from idx4111111111111111", attributes: { email: "a@example.com", n: "4111111111111111" } };
  assert.equal(r.redactRecord(rec), 1);
  assert.deepEqual(rec.attributes, { email: "[REDACTED:email]", n: "4111111111111111" });
  assert.equal(rec.body, "user logged in from idx4111111111111111");
});

test("drop mode removes attributes and replaces the whole body", () => {
  const r = new Redactor({ rules: { email: "drop" } });
  const rec = record();
  r.redactRecord(rec);
  assert.equal(rec.body, "[REDACTED:email]");
  assert.equal(rec.attributes["user.email"], undefined);
  assert.equal(rec.resource.owner, undefined);
  assert.equal(rec.attributes.note, "fine");
});

test("targets can be switched off", () => {
  const r = new Redactor({ body: false, resource: false });
  const rec = record();
  r.redactRecord(rec);
  assert.equal(rec.body, record().body);
  assert.equal(rec.resource.owner, "ops@example.com");
  assert.equal(rec.attributes["user.email"], "[REDACTED:email]");
});

test("markers from earlier rules are not redacted again", () => {
  const r = new Redactor();
  assert.equal(r.redactText("access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc").text, "access_token=[REDACTED:jwt]");
  assert.deepEqual(r.counts(), { jwt: 1 });
});

test("hash markers are not matched again by later rules", () => {
  const r = new Redactor({ mode: "hash", hashKey: "k", custom: [{ name: "hexid", pattern: "[0-9a-f]{16}" }] });
  const out = r.redactText("card 4111 1111 1111 1111 and trace 4bf92f3577b34da6").text;
  assert.match(out, /^card \[credit_card:hmac:[0-9a-f]{16}\] and trace \[hexid:hmac:[0-9a-f]{16}\]$/);
  assert.deepEqual(r.counts(), { credit_card: 1, hexid: 1 });
});

test("custom RE2 patterns: group, keywords, case, mode", () => {
  const r = new Redactor({
    custom: [
      { name: "employee_id", pattern: "emp-(\\d{6})", group: 1, keywords: ["emp-"] },
      { name: "internal_host", pattern: "[a-z0-9-]+\\.corp\\.internal", caseInsensitive: true, mode: "hash" },
    ],
    hashKey: "k",
  });
  assert.equal(r.redactText("emp-123456 logged in").text, "emp-[REDACTED:employee_id] logged in");
  assert.match(r.redactText("to DB-1.CORP.internal").text, /^to \[internal_host:hmac:[0-9a-f]{16}\]$/);
  assert.equal(r.redactText("EMP-123456").text, "EMP-123456");
});

test("custom patterns that need backtracking are rejected; catastrophic ones run in linear time", () => {
  assert.throws(
    () => new Redactor({ custom: [{ name: "bad", pattern: "(a)\\1" }] }),
    (e: unknown) => e instanceof MeshlogError && e.code === "PIPELINE_PATTERN_INVALID",
  );
  assert.throws(() => new Redactor({ custom: [{ name: "look", pattern: "(?=a)a" }] }), /RE2 syntax/);
  assert.throws(() => new Redactor({ custom: [{ name: "grp", pattern: "a", group: 2 }] }), /group 2 does not exist/);
  const evil = new Redactor({ custom: [{ name: "evil", pattern: "(a+)+b" }] });
  assert.equal(evil.redactText("a".repeat(50_000)).count, 0);
  assert.equal(evil.redactText("aaab").text, "[REDACTED:evil]");
});

test("config errors name the key", () => {
  assert.throws(() => new Redactor({ rules: { nope: true } } as never), /redaction: unknown key "rules.nope"/);
  assert.throws(() => new Redactor({ mood: "mask" } as never), /unknown key "mood"/);
  assert.throws(() => new Redactor({ custom: [{ name: "email", pattern: "x" }] }), /already used/);
  assert.throws(() => new Redactor({ mode: "blur" } as never), /redaction: mode:/);
});

const hostile = [
  "@".repeat(300_000),
  "a".repeat(300_000) + "@",
  "a@".repeat(150_000),
  "eyJ".repeat(100_000),
  "eyJ" + "a".repeat(300_000) + ".",
  "1".repeat(300_000),
  "4111 ".repeat(60_000),
  "1.".repeat(150_000),
  ":".repeat(300_000),
  "a:".repeat(150_000),
  "password=".repeat(30_000),
  "bearer ".repeat(40_000),
  "x://".repeat(70_000),
  "x://a:" + "b".repeat(300_000),
  "123-45-".repeat(40_000),
  "ghp_".repeat(70_000),
  '"password":"' + "\\".repeat(300_000),
];

test("hostile values complete (linear scans) without throwing", () => {
  const r = new Redactor({ rules: { ipv4: true, ipv6: true }, custom: [{ name: "c", pattern: "(x+x+)+y" }] });
  for (const h of hostile) {
    const out = r.redactText(h);
    assert.equal(typeof out.text, "string");
  }
});
