// Generates the agent config reference (Markdown) from the schemas, so the document cannot drift from the code.

import { z } from "zod";
import type { Registries } from "./load-config.js";
import { agentConfigSchema } from "./agent-config-schema.js";

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchema;
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
};

function typeOf(s: JsonSchema): string {
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.anyOf !== undefined) return s.anyOf.map(typeOf).join(" \\| ");
  if (s.type === "array") return `list of ${s.items === undefined ? "any" : typeOf(s.items)}`;
  if (Array.isArray(s.type))
    return s.type.includes("string") && s.type.includes("number") ? "size/duration (number or string with unit)" : s.type.join(" \\| ");
  if (s.type === "object" && s.properties === undefined) return "map of string";
  return s.type ?? "any";
}

/** Default of a zod field: from the schema definition (also for fields whose output is transformed). */
function zodDefault(field: unknown): unknown {
  let cur = field as { def?: { type?: string; defaultValue?: unknown; innerType?: unknown } } | undefined;
  for (let i = 0; i < 5 && cur?.def !== undefined; i++) {
    if (cur.def.type === "default" || cur.def.type === "prefault") {
      const v = cur.def.defaultValue;
      return typeof v === "function" ? (v as () => unknown)() : v;
    }
    if (cur.def.type !== "optional") return undefined;
    cur = cur.def.innerType as typeof cur;
  }
  return undefined;
}

function rows(schema: z.ZodType, prefix: string): Row[] {
  const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  const out: Row[] = [];
  for (const [key, p] of Object.entries(js.properties ?? {})) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const required = js.required?.includes(key) === true && p.default === undefined;
    const d = p.default ?? zodDefault(shape[key]);
    const isObject = p.type === "object" && p.properties !== undefined;
    out.push({
      key: path,
      type: isObject ? "object" : typeOf(p),
      default: required ? "required" : d === undefined ? "—" : JSON.stringify(d),
      description: (p.description ?? "").replace(/\|/g, "\\|"),
    });
    if (isObject && shape[key] !== undefined) {
      let inner = shape[key] as { def?: { type?: string; innerType?: unknown } };
      while (inner.def?.type === "default" || inner.def?.type === "prefault" || inner.def?.type === "optional") inner = inner.def.innerType as typeof inner;
      out.push(...rows(inner as unknown as z.ZodType, path));
    }
  }
  return out;
}

function table(rs: Row[]): string {
  return [
    "| key | type | default | description |",
    "| --- | --- | --- | --- |",
    ...rs.map((r) => `| \`${r.key}\` | ${r.type} | ${r.default} | ${r.description} |`),
  ].join("\n");
}

/** The Markdown reference of every config key, including each registered component. */
export function configReference(registries: Registries): string {
  const parts = [
    "# meshlog agent configuration reference",
    "",
    "Generated from the config schemas by `meshlog agent --print-config-reference`; a test fails when this file is stale.",
    "One YAML file; unknown keys are errors (file, line and key are named). `${VAR}` and `${VAR:-default}` are replaced",
    "from the environment before parsing (`$${` is a literal `${`). Check a file with `meshlog agent --config FILE --check-config`;",
    "`SIGHUP` reloads it without losing buffered data (data_dir, buffer and api changes need a restart).",
    "",
    "## Top level",
    "",
    table(rows(agentConfigSchema, "").filter((r) => !/^(sources|sinks|transforms)$/.test(r.key))),
    "",
    "`sources.<name>`, `sinks.<name>` and `transforms[]` hold a `type` and that component's keys below.",
  ];
  for (const [kind, defs] of [
    ["Sources", registries.sources],
    ["Sinks", registries.sinks],
    ["Transforms (shared pipeline)", registries.transforms],
  ] as const) {
    parts.push("", `## ${kind}`);
    for (const d of defs) {
      const description = (d as { description?: string }).description;
      parts.push("", `### \`${d.type}\``, "", ...(description === undefined ? [] : [description, ""]), table(rows(d.configSchema as z.ZodType, "")));
    }
  }
  return parts.join("\n") + "\n";
}
