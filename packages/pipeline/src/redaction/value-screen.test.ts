// The one-pass value screen never hides a match from a detector (property and table tests).

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BUILTIN_DETECTORS } from "./builtin-detectors.js";
import { Shape, screenValue } from "./value-screen.js";

const screened = BUILTIN_DETECTORS.filter((d) => d.screen !== undefined);

/** Strings built from fragments that sit on the edges of every detector's shapes. */
const fragment = fc.constantFrom(
  "4111",
  "1111",
  "4",
  "0",
  "123",
  "45",
  "6789",
  "078-05-1120",
  " ",
  "-",
  "--",
  ".",
  ":",
  "::",
  "://",
  "@",
  "a",
  "example.com",
  "user",
  "eyJ",
  "eyJhbGciOiJIUzI1NiJ9",
  "gh",
  "ghp_",
  "github_pat_",
  "xox",
  "xoxb-",
  "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
  "https://",
  "p:w",
  "10.0.0.1",
  "fe80",
  "é",
  "\n",
);
const hostile = fc.array(fragment, { maxLength: 40 }).map((xs) => xs.join(""));

test("a screened detector never finds a match in a value whose screen lacks its bits (property)", () => {
  fc.assert(
    fc.property(fc.oneof(hostile, fc.string({ maxLength: 120 }), fc.stringMatching(/^[0-9 \-.:@]{0,60}$/)), (s) => {
      const mask = screenValue(s);
      for (const d of screened) {
        if ((mask & (d.screen as number)) === 0) assert.deepEqual(d.find(s), [], `${d.name} matched ${JSON.stringify(s)} with mask ${mask}`);
      }
    }),
    { numRuns: 5000 },
  );
});

const cases: { text: string; has: number[]; lacks: number[] }[] = [
  { text: "card 4111 1111 1111 1111 ok", has: [Shape.CARD], lacks: [Shape.SSN, Shape.AT] },
  { text: "4111-1111-1111-1111", has: [Shape.CARD], lacks: [] },
  { text: "0 12345 567 564", has: [], lacks: [Shape.CARD] }, // 12 digits: no card
  { text: "1 2  3 4 5 6 7 8 9 0 1 2 3", has: [], lacks: [Shape.CARD] }, // double space breaks the chain
  { text: "ssn 078-05-1120.", has: [Shape.SSN, Shape.DOT], lacks: [Shape.CARD] },
  { text: "078-05-1120", has: [Shape.SSN], lacks: [] },
  { text: "uuid 3f2a-11-22334", has: [], lacks: [Shape.SSN] },
  { text: "jane@example.com", has: [Shape.AT, Shape.DOT], lacks: [Shape.URL] },
  { text: "postgres://u:p@h/db", has: [Shape.URL, Shape.COLON, Shape.AT], lacks: [Shape.JWT] },
  { text: "eyJhbGciOiJIUzI1NiJ9", has: [Shape.JWT], lacks: [Shape.SLACK] },
  { text: "xoxb-123", has: [Shape.SLACK], lacks: [] },
  { text: "ghp_x github_pat_y", has: [Shape.GITHUB], lacks: [] },
  { text: "", has: [], lacks: [Shape.CARD, Shape.SSN, Shape.AT, Shape.DOT, Shape.COLON] },
  { text: "plain words only", has: [], lacks: [Shape.CARD, Shape.SSN, Shape.AT, Shape.DOT, Shape.COLON, Shape.URL, Shape.JWT, Shape.SLACK, Shape.GITHUB] },
];

for (const c of cases) {
  test(`screen of ${JSON.stringify(c.text)} has and lacks the expected shapes`, () => {
    const m = screenValue(c.text);
    for (const b of c.has) assert.notEqual(m & b, 0, `missing bit ${b}`);
    for (const b of c.lacks) assert.equal(m & b, 0, `unexpected bit ${b}`);
  });
}

test("the screen reads a 1 MiB value without trouble and flags a card at its very end", () => {
  const big = "x".repeat(1 << 20) + " 4111111111111111";
  assert.notEqual(screenValue(big) & Shape.CARD, 0);
});
