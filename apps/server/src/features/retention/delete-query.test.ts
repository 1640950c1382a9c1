// Deletion queries: selectors with line filters are accepted and compiled; everything else is refused with a reason.

import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDeleteQuery, parseDeleteQuery } from "./delete-query.js";

test("selectors with line filters parse to the selector and a canonical query; the predicate matches like LogQL", () => {
  const cases: [string, string, string | undefined, [string, boolean][]][] = [
    ['{app="x"}', '{app="x"}', undefined, [["anything", true]]],
    [
      '{app="x", env!="dev"} |= "secret" != "debug"',
      '{app="x", env!="dev"}',
      '{app="x", env!="dev"} |= "secret" != "debug"',
      [
        ["a secret line", true],
        ["a secret debug line", false],
        ["nothing", false],
      ],
    ],
    [
      '{app="x"} |~ "card=[0-9]{4}"',
      '{app="x"}',
      '{app="x"} |~ "card=[0-9]{4}"',
      [
        ["card=1234", true],
        ["card=12", false],
      ],
    ],
    [
      '{app="x"} !~ "(?i)health"',
      '{app="x"}',
      '{app="x"} !~ "(?i)health"',
      [
        ["GET /HEALTH", false],
        ["GET /cart", true],
      ],
    ],
  ];
  for (const [text, selector, query, lines] of cases) {
    const p = parseDeleteQuery(text);
    assert.equal(p.selector, selector, text);
    assert.equal(p.query, query, text);
    const match = compileDeleteQuery(text);
    for (const [line, want] of lines) assert.equal(match(line), want, `${text} on ${line}`);
  }
});

test("malformed, truncated, oversized and hostile queries are refused with a message", () => {
  const bad: [string, RegExp][] = [
    ["", /stream selector/],
    ["   ", /stream selector/],
    ["{", /./],
    ['{app="x"', /./],
    ['{app="x"} |= "unterminated', /./],
    ['{app="x"} |~ "(unclosed"', /./],
    ["{}", /./],
    ['sum(count_over_time({app="x"}[5m]))', /metric query/],
    ['{app="x"} | json', /only line filters/],
    ['{app="x"} | level="error"', /only line filters/],
    ['{app="x"} | line_format "{{.msg}}"', /only line filters/],
    [`{app="${"x".repeat(5000)}"}`, /4096/],
    ['{app="x"} |= "\u0000" | \u0000', /./],
    ["{" + 'a="b",'.repeat(700) + "}", /./],
    ['{app="x"} ' + '|= "a" '.repeat(700), /4096/],
    ["((((((((((((((((((((((((((((((", /./],
  ];
  for (const [text, msg] of bad) assert.throws(() => parseDeleteQuery(text), msg, JSON.stringify(text.slice(0, 60)));
  assert.throws(() => compileDeleteQuery('{app="x"} | json'), /line filters/);
});
