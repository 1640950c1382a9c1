import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { parseSyslog, splitSyslogMessages } from "./parse-syslog.js";

const NOW = 1_795_500_000_000_000_000n; // 2026-11-24

const errors: { name: string; text: string; message: RegExp }[] = [
  { name: "empty text", text: "", message: /message is empty/ },
  { name: "only newlines", text: "\r\n\0", message: /message is empty/ },
  { name: "PRI without closing bracket", text: "<13 hello", message: /PRI must be "<" 1-3 digits ">" at offset 0/ },
  { name: "PRI with letters", text: "<ab>hello", message: /PRI must be/ },
  { name: "PRI with four digits", text: "<1234>hello", message: /PRI must be/ },
  { name: "5424 bad timestamp", text: "<14>1 2024-01-01X00:00:00Z h a p m - x", message: /TIMESTAMP "2024-01-01X00:00:00Z" is not RFC 3339 at offset 6/ },
  { name: "5424 header cut after HOSTNAME", text: "<14>1 2024-01-01T00:00:00Z host", message: /header ends after HOSTNAME at offset 31/ },
  { name: "5424 APP-NAME too long", text: `<14>1 - h ${"a".repeat(49)} p m - x`, message: /APP-NAME is 49 characters, longer than 48 at offset 10/ },
  { name: "5424 MSGID too long", text: `<14>1 - h a p ${"m".repeat(33)} - x`, message: /MSGID is 33 characters, longer than 32 at offset 14/ },
  {
    name: "5424 SD not terminated",
    text: '<14>1 - h a p m [id k="v"',
    message: /structured data element "id" \(from offset 16\) is not terminated by "]" at offset 25/,
  },
  { name: "5424 SD value not closed", text: '<14>1 - h a p m [id k="v] x', message: /value of "id.k" is not closed/ },
  { name: "5424 SD param without =", text: "<14>1 - h a p m [id k] x", message: /expected "=" after PARAM-NAME "k" at offset 21/ },
  { name: "5424 SD param without quotes", text: "<14>1 - h a p m [id k=v] x", message: /expected '"' to open the value of "id.k" at offset 22/ },
  { name: "5424 SD empty id", text: "<14>1 - h a p m [] x", message: /empty SD-ID at offset 17/ },
  { name: "5424 SD neither - nor [", text: "<14>1 - h a p m x", message: /STRUCTURED-DATA must be "-" or start with "\[", found "x" at offset 16/ },
  { name: "5424 no space between SD and MSG", text: '<14>1 - h a p m [a b="c"]x', message: /expected a space before MSG, found "x" at offset 25/ },
];

for (const c of errors) {
  test(`parseSyslog rejects ${c.name} with a precise error`, () => {
    assert.throws(
      () => parseSyslog(c.text, { nowNs: NOW }),
      (err: unknown) => err instanceof MeshlogError && err.code === "PIPELINE_SYSLOG_INVALID" && c.message.test(err.message),
    );
  });
}

test("error offsets count the leading BOM of the caller's text", () => {
  assert.throws(() => parseSyslog("\ufeff<14>1 2024-01-01T00:00:00Z host"), /at offset 32$/);
});

test("messages longer than maxLength are rejected", () => {
  assert.throws(() => parseSyslog(`<14>${"x".repeat(100)}`, { maxLength: 50 }), /longer than the limit of 50/);
});

test("BSD times use the configured zone offset", () => {
  const utc = parseSyslog("<13>Oct 11 22:14:15 host app: x", { nowNs: NOW });
  const cet = parseSyslog("<13>Oct 11 22:14:15 host app: x", { nowNs: NOW, timezoneOffsetMinutes: 60 });
  assert.equal((utc.timestamp as bigint) - (cet.timestamp as bigint), 3_600_000_000_000n);
});

test("structured data keeps repeated SD-IDs merged and the last repeated param", () => {
  const m = parseSyslog('<14>1 - h a p m [x a="1"][x b="2" a="3"] body', { nowNs: NOW });
  assert.deepEqual(m.structuredData, { x: { a: "3", b: "2" } });
  assert.equal(m.message, "body");
});

test("a 5424 message gives PRI, facility, severity and version", () => {
  const m = parseSyslog("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
  assert.equal(m.pri, 165);
  assert.equal(m.facility, 20);
  assert.equal(m.severity, 5);
  assert.equal(m.version, 1);
  assert.equal(m.hostname, "192.0.2.1");
  assert.equal(m.procId, "8710");
  assert.equal(m.msgId, undefined);
  assert.equal(m.timestamp, 1061727255000003000n);
  assert.equal(m.message, "%% It's time to make the do-nuts.");
});

test("splitSyslogMessages splits datagrams holding several messages but keeps other newlines", () => {
  assert.deepEqual(splitSyslogMessages("<13>a\n<14>b\r\n\n"), ["<13>a", "<14>b\r\n\n"]);
  assert.deepEqual(splitSyslogMessages("<13>first line\nsecond line\n<14>next"), ["<13>first line\nsecond line", "<14>next"]);
  assert.deepEqual(splitSyslogMessages("<13>x\0<14>y"), ["<13>x", "<14>y"]);
  assert.deepEqual(splitSyslogMessages("\n\n"), []);
});

test("hostile syslog input completes and either parses or fails with the syslog error code", () => {
  const hostile = [
    `<14>1 - h a p m ${'[x a="1"]'.repeat(20_000)} end`,
    `<14>1 - h a p m [x a="${"\\".repeat(100_001)}`,
    `<14>1 - h a p m [x${' a="1"'.repeat(50_000)}`,
    `<13>${"Oct 11 22:14:15 ".repeat(20_000)}`,
    `<13>Oct 11 22:14:15 ${"h".repeat(300_000)}: x`,
    `<13>${"1: ".repeat(100_000)}`,
    "<".repeat(100_000),
    `<14>1 ${"-".repeat(200_000)}`,
  ];
  for (const text of hostile) {
    try {
      const m = parseSyslog(text);
      assert.equal(typeof m.message, "string");
    } catch (err) {
      assert.ok(err instanceof MeshlogError && err.code === "PIPELINE_SYSLOG_INVALID", String(err));
    }
  }
});
