import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatRfc3339Ns, MeshlogError } from "@meshlog/core";
import { parseSyslog } from "./parse-syslog.js";

const printable = (min: number, max: number) => fc.stringMatching(new RegExp(`^[!-~]{${min},${max}}$`)).filter((s) => s !== "-");
const sdName = fc.stringMatching(/^[A-Za-z0-9_.@]{1,32}$/).filter((n) => n !== "__proto__");

test("RFC 5424 messages survive format then parse (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 191 }),
      fc.bigInt({ min: 0n, max: 4_102_444_800_000_000_000n }),
      printable(1, 255),
      printable(1, 48),
      printable(1, 128),
      printable(1, 32),
      fc.dictionary(sdName, fc.dictionary(sdName, fc.string({ maxLength: 20 }), { maxKeys: 3 }), { maxKeys: 3 }),
      fc.string({ maxLength: 100 }),
      (pri, ns, host, app, proc, msgId, sd, msg) => {
        const micros = (ns / 1000n) * 1000n;
        const sdText = Object.entries(sd)
          .map(
            ([id, params]) =>
              `[${id}${Object.entries(params)
                .map(([k, v]) => ` ${k}="${v.replace(/["\\\]]/g, (c) => `\\${c}`)}"`)
                .join("")}]`,
          )
          .join("");
        const text = `<${pri}>1 ${formatRfc3339Ns(micros)} ${host} ${app} ${proc} ${msgId} ${sdText === "" ? "-" : sdText} ${msg}`;
        const m = parseSyslog(text);
        assert.equal(m.format, "rfc5424");
        assert.equal(m.pri, pri);
        assert.equal(m.timestamp, micros);
        assert.equal(m.hostname, host);
        assert.equal(m.appName, app);
        assert.equal(m.procId, proc);
        assert.equal(m.msgId, msgId);
        assert.deepEqual(m.structuredData, JSON.parse(JSON.stringify(sd)));
        const trimmed = msg.replace(/[\r\n\0]+$/, "");
        assert.equal(m.message, trimmed.charCodeAt(0) === 0xfeff ? trimmed.slice(1) : trimmed);
      },
    ),
    { numRuns: 1500 },
  );
});

test("parseSyslog only ever fails with PIPELINE_SYSLOG_INVALID (property)", () => {
  const prefix = fc.constantFrom("", "<13>", "<14>1 ", "<165>1 2003-10-11T22:14:15.003Z ", "<13>Oct 11 22:14:15 ", "<189>12: *Mar  1 ");
  fc.assert(
    fc.property(prefix, fc.string({ maxLength: 200 }), (p, rest) => {
      try {
        const m = parseSyslog(p + rest);
        assert.equal(typeof m.message, "string");
      } catch (err) {
        assert.ok(err instanceof MeshlogError && err.code === "PIPELINE_SYSLOG_INVALID", String(err));
      }
    }),
    { numRuns: 5000 },
  );
});

test("hostile names (__proto__, toString) stay plain data", () => {
  const m = parseSyslog('<14>1 - h a p m [__proto__ polluted="1"][toString x="2"][constructor __proto__="3"] msg');
  assert.deepEqual(m.structuredData, { _proto_: { polluted: "1" }, toString: { x: "2" }, constructor: { _proto_: "3" } });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
