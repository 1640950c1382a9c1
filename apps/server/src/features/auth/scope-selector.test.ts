// Tests of the scope selector parser: valid forms, malformed, truncated, oversized and hostile input.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { formatScope, intersectScopes, MAX_SCOPE_LENGTH, normalizeScope, parseScopeSelector, scopeMatches, scopeWithin } from "./scope-selector.js";

test("valid selectors parse into matchers", () => {
  const cases: [string, string][] = [
    ['{namespace="team-a"}', '{namespace="team-a"}'],
    ['  { namespace = "a" , app=~"api|web" }  ', '{namespace="a", app=~"api|web"}'],
    ['{a!="", b="x"}', '{a!="", b="x"}'],
    ['{a!~"debug.*", b="1"}', '{a!~"debug.*", b="1"}'],
    ["{a=`raw\\d+`}", '{a="raw\\\\d+"}'],
    ['{a="quote\\"d\\n\\u0041"}', '{a="quote\\"d\\nA"}'],
    ['{_x1="v"}', '{_x1="v"}'],
  ];
  for (const [input, canonical] of cases) assert.equal(normalizeScope(input), canonical, input);
});

test("malformed, truncated and hostile selectors are refused with SECURITY_SCOPE_INVALID", () => {
  const bad = [
    "",
    'namespace="a"',
    "{}",
    "{",
    '{a="x"',
    '{a="x}',
    '{a="x",}',
    "{a=x}",
    '{1a="x"}',
    '{a=="x"}',
    '{a~"x"}',
    '{a="x"} |= "foo"',
    '{a="x"} or {b="y"}',
    '{a=~"("}',
    '{a=""}',
    '{a=~".*"}',
    '{a!="x"}',
    '{a="\\q"}',
    '{a="line\nbreak"}',
    '{a="x"}}',
    "{a=`unterminated}",
    '{a="x" b="y"}',
    '{\u0000="x"}',
    "{" + 'a="x",'.repeat(1000) + 'a="x"}',
    '{a="' + "x".repeat(MAX_SCOPE_LENGTH) + '"}',
  ];
  for (const input of bad) {
    assert.throws(
      () => parseScopeSelector(input),
      (err: unknown) => err instanceof MeshlogError && err.code === "SECURITY_SCOPE_INVALID" && err.message.startsWith("scope:"),
      JSON.stringify(input.slice(0, 60)),
    );
  }
});

test("random garbage never throws anything but SECURITY_SCOPE_INVALID", () => {
  const alphabet = '{}=!~"`,\\ ab_1|.*()';
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    let s = "";
    const n = Math.floor(rnd() * 30);
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    try {
      const m = parseScopeSelector(s);
      assert.ok(m.length > 0);
      assert.deepEqual(parseScopeSelector(formatScope(m)), m, "format/parse round trip");
    } catch (err) {
      assert.ok(err instanceof MeshlogError && err.code === "SECURITY_SCOPE_INVALID", `${JSON.stringify(s)}: ${String(err)}`);
    }
  }
});

test("intersection keeps the matchers of both scopes", () => {
  assert.equal(intersectScopes(undefined, undefined), undefined);
  assert.equal(intersectScopes('{a="1"}', undefined), '{a="1"}');
  assert.equal(intersectScopes(undefined, '{b="2"}'), '{b="2"}');
  assert.equal(intersectScopes('{a="1"}', '{b="2", a="1"}'), '{a="1", b="2"}');
  assert.ok(scopeWithin('{a="1", b="2"}', '{a="1"}'));
  assert.ok(!scopeWithin('{b="2"}', '{a="1"}'));
  assert.ok(!scopeWithin(undefined, '{a="1"}'));
  assert.ok(scopeWithin(undefined, undefined));
});

test("scopeMatches applies every matcher, missing labels being empty", () => {
  const m = parseScopeSelector('{namespace="team-a", app=~"api|web", level!="debug"}');
  assert.ok(scopeMatches(m, { namespace: "team-a", app: "api" }));
  assert.ok(!scopeMatches(m, { namespace: "team-a", app: "api", level: "debug" }));
  assert.ok(!scopeMatches(m, { namespace: "team-b", app: "api" }));
  assert.ok(!scopeMatches(m, { namespace: "team-a", app: "apix" }), "regexes are anchored");
  assert.ok(!scopeMatches(m, { app: "web" }));
});
