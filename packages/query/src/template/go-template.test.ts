// Go text/template subset: fields, pipelines, functions, conditionals, trimming, and hostile templates.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { GoTemplate, TemplateExecError } from "./go-template.js";

const data = {
  labels: { a: "Hello World", n: "42", d: "1m30s", b: "2KiB", empty: "", path: "/api/v1/users" },
  line: "the line",
  timestampNs: 1_700_000_000_123_000_000n,
};

const cases: [string, string][] = [
  ["{{.a}}", "Hello World"],
  ["{{ .a | ToUpper }}", "HELLO WORLD"],
  ["{{ .a | lower }}", "hello world"],
  ["{{ ToLower .a }}", "hello world"],
  ['{{ "hello world" | title }}', "Hello World"],
  ["{{ .missing }}", ""],
  ['{{ trim "  x  " }}|{{ trimSpace " y " }}', "x|y"],
  ['{{ trimAll "/" .path }}', "api/v1/users"],
  ['{{ trimPrefix "/api" .path }}', "/v1/users"],
  ['{{ trimSuffix "/users" .path }}', "/api/v1"],
  ['{{ .path | replace "/" "_" }}', "_api_v1_users"],
  ["{{ .a | substr 0 5 }}", "Hello"],
  ['{{ regexReplaceAll "(\\\\w+) (\\\\w+)" .a "${2} $1" }}', "World Hello"],
  ['{{ .empty | default "none" }}', "none"],
  ['{{ printf "%s=%d %5.2f %q" "x" 7 3.14159 "y" }}', 'x=7  3.14 "y"'],
  ['{{ if contains "World" .a }}yes{{ else }}no{{ end }}', "yes"],
  ['{{ if hasPrefix "/api" .path }}api{{ end }}', "api"],
  ['{{ if hasSuffix "x" .path }}x{{ else if eq .n "42" }}42{{ else }}other{{ end }}', "42"],
  ["{{ div .n 5 }} {{ mul .n 2 }} {{ add .n 1 2 }} {{ sub .n 2 }} {{ mod .n 5 }}", "8 84 45 40 2"],
  ["{{ addf 1.5 2 }} {{ divf 1 4 }}", "3.5 0.25"],
  ["{{ .d | duration }} {{ .b | bytes }}", "90 2048"],
  ["{{ __line__ }}", "the line"],
  ["{{ __timestamp__ | unixEpoch }} {{ __timestamp__ | unixEpochMillis }}", "1700000000 1700000000123"],
  ['{{ __timestamp__ | date "2006-01-02T15:04:05.000Z07:00" }}', "2023-11-14T22:13:20.123Z"],
  ['{{ toDate "2006-01-02" "2024-03-04" | unixEpoch }}', "1709510400"],
  ["a  {{- .n -}}  b", "a42b"],
  ["{{/* a comment */}}x", "x"],
  ["{{ if and .a .n }}both{{ end }}{{ if or .empty .n }}one{{ end }}{{ if not .empty }}none{{ end }}", "bothonenone"],
  ["{{ len .a }} {{ if gt (len .a) 5 }}long{{ end }}", "11 long"],
  ["{{ alignLeft 5 .a }}|{{ alignRight 5 .a }}|", "Hello|World|"],
  ['{{ .a | b64enc }} {{ "aGk=" | b64dec }} {{ "a b" | urlencode }}', "SGVsbG8gV29ybGQ= hi a%20b"],
  ['{{ count "l" .a }} {{ repeat 3 "ab" }}', "3 ababab"],
];

test("templates render fields, pipelines and every documented function", () => {
  for (const [src, want] of cases) assert.equal(GoTemplate.parse(src).execute(data), want, src);
});

test("malformed templates are rejected at parse time with QUERY_TEMPLATE_INVALID", () => {
  for (const src of [
    "{{.a",
    "{{ if .a }}x",
    "{{ end }}",
    "{{ nosuchfn .a }}",
    '{{ "unterminated }}',
    "{{ range .a }}{{ end }}",
    "{{ .a | }}",
    "{{}}",
    "{{ .a.b }}",
    "x".repeat(70_000),
  ]) {
    assert.throws(
      () => GoTemplate.parse(src),
      (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_TEMPLATE_INVALID",
      src.slice(0, 40),
    );
  }
});

test("runtime errors surface as TemplateExecError (the pipeline turns them into __error__)", () => {
  for (const src of ["{{ div .n 0 }}", "{{ .a | duration }}", "{{ repeat 1000000 .a }}", "{{ ToUpper }}", '{{ regexReplaceAll "(" .a "x" }}']) {
    assert.throws(() => GoTemplate.parse(src).execute(data), TemplateExecError, src);
  }
});

test("referenced fields are reported for analysis", () => {
  assert.deepEqual([...GoTemplate.parse("{{.a}} {{ if .n }}{{ .d | upper }}{{ end }}").fields].sort(), ["a", "d", "n"]);
});
