#!/usr/bin/env node
// Generates docs/configuration.md from the server's config schema; `--check` fails when the file is stale.
import { readFileSync, writeFileSync, existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const { serverConfigSchema, ENV_KEYS } = await import(new URL("../apps/server/dist/config/server-config.js", import.meta.url).href);

const envFor = Object.fromEntries(Object.entries(ENV_KEYS).map(([env, path]) => [path, env]));
const defaults = serverConfigSchema.parse({});
const rows = [];
const unwrap = (s) => {
  let cur = s;
  for (let i = 0; i < 10 && cur?.def && ["default", "prefault", "optional", "nullable"].includes(cur.def.type); i++) cur = cur.def.innerType;
  return cur;
};
const walk = (schema, prefix, dflt) => {
  const obj = unwrap(schema);
  for (const [key, field] of Object.entries(obj.shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const inner = unwrap(field);
    if (inner.def.type === "object") {
      walk(inner, path, dflt?.[key]);
      continue;
    }
    const type = inner.def.type === "enum" ? Object.values(inner.def.entries).map((v) => `\`${v}\``).join(" \\| ") : inner.def.type;
    const description = (field.description ?? inner.description ?? "").replace(/\s*Env MESHLOG_[A-Z_]+\.?/g, "").replace(/, flag --[a-z-]+\.?/g, ".").replace(/\.\.$/, ".");
    if (inner.def.type === "union" && path.startsWith("redaction.rules.")) {
      const off = ["ipv4", "ipv6"].includes(key);
      rows.push(`| \`${path}\` | boolean \\| mode | ${off ? "off" : "on"} |  | Built-in rule ${key}: true/false, or a mode (mask, hash, drop). |`);
      continue;
    }
    rows.push(`| \`${path}\` | ${type} | \`${JSON.stringify(dflt?.[key])}\` | ${envFor[path] ? `\`${envFor[path]}\`` : ""} | ${description} |`);
  }
};
walk(serverConfigSchema, "", defaults);
const text = `# Server configuration reference

Generated from the configuration schema (\`apps/server/src/config/server-config.ts\`) by \`node scripts/gen-config-doc.mjs\`;
\`npm run lint\` fails when this file is stale.

Settings come from, in increasing priority: defaults, the YAML file given with \`--config FILE\` (or \`MESHLOG_CONFIG\`),
environment variables, and the flags \`--data\`, \`--http\`, \`--syslog\`, \`--forward\`, \`--log-level\`. Unknown keys are
errors that name the key. Nested keys are written as YAML mappings (\`query: { maxEntries: 10000 }\`).

| key | type | default | environment | description |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

Other environment variables: \`MESHLOG_MASTER_KEY\` (32-byte master key, hex or base64; otherwise \`DATA/keys/master.key\`
is generated with mode 0600), \`MESHLOG_TOKEN\` and \`MESHLOG_ADDR\` for the CLI.
`;
const file = `${root}docs/configuration.md`;
if (process.argv.includes("--check")) {
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) {
    console.error("docs/configuration.md is stale: run node scripts/gen-config-doc.mjs");
    process.exit(1);
  }
  console.log("configuration doc: up to date");
} else {
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
