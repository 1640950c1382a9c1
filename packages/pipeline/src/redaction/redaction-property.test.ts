import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Redactor } from "./redactor.js";
import { luhnValid } from "./detect-card.js";

/** A Visa-style 16-digit number with a valid Luhn check digit. */
const visa = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 }).map((d) => {
  const body = `4${d.join("")}`;
  for (let c = 0; c <= 9; c++) if (luhnValid(body + c)) return body + c;
  throw new Error("unreachable");
});
const word = fc.stringMatching(/^[a-z]{1,8}$/);
const words = fc.array(word, { maxLength: 6 }).map((w) => w.join(" "));

test("card numbers and emails embedded in text are always redacted and the rest kept (property)", () => {
  const r = new Redactor();
  fc.assert(
    fc.property(words, visa, words, word, word, fc.constantFrom("", " ", "-"), (before, card, after, user, domain, sep) => {
      const shown = sep === "" ? card : card.match(/.{4}/g)!.join(sep);
      const email = `${user}@${domain}.com`;
      const text = `${before} ${shown} ${after} ${email}`;
      const out = r.redactText(text).text;
      assert.ok(!out.includes(card) && !out.includes(shown), out);
      assert.ok(!out.includes(email), out);
      assert.equal(out, `${before} [REDACTED:credit_card] ${after} [REDACTED:email]`);
    }),
    { numRuns: 1000 },
  );
});

test("redaction never throws and is idempotent on its own output (property)", () => {
  const r = new Redactor({ rules: { ipv4: true, ipv6: true } });
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      const once = r.redactText(s).text;
      assert.equal(r.redactText(once).text, once);
    }),
    { numRuns: 3000 },
  );
});
