// The `parse` transform: parses bodies (detected or a fixed format) into attributes, time, severity, ids.

import type { LogRecord } from "@meshlog/core";
import { z } from "zod";
import type { TransformDefinition } from "../../contracts.js";
import { BODY_FORMATS } from "../../codecs/body-format.js";
import { parseBody } from "../../codecs/parse-body.js";

export const parseTransformConfigSchema = z
  .object({
    format: z
      .enum(["auto", ...BODY_FORMATS])
      .default("auto")
      .describe("Body format, or auto to detect it per line."),
    unwrapBody: z.boolean().default(true).describe("For envelopes (CRI, Docker json-file, syslog), replace the body with the inner message."),
    overwrite: z.boolean().default(false).describe("Let parsed fields replace attributes that are already set."),
    useTimestamp: z.boolean().default(true).describe("Use the time found in the line as the record's timestamp."),
    prefix: z.string().default("").describe("Prefix added to every parsed attribute name (e.g. `parsed.`)."),
    maxLineLength: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe("Longer bodies are left unparsed."),
  })
  .strict();

export type ParseConfig = z.output<typeof parseTransformConfigSchema>;

export const parseTransform: TransformDefinition<ParseConfig> = {
  type: "parse",
  description: "Parses bodies (JSON, logfmt, Envoy/Istio/Linkerd/Consul, nginx, CRI, Docker, syslog) into attributes.",
  configSchema: parseTransformConfigSchema,
  create(config) {
    const apply = (r: LogRecord): void => {
      const p = parseBody(r.body, config.format, { maxLineLength: config.maxLineLength });
      if (p.format === "plain") return;
      for (const [k, v] of Object.entries(p.fields)) {
        const key = config.prefix + k;
        if (config.overwrite || r.attributes[key] === undefined) r.attributes[key] = v;
      }
      if (config.unwrapBody && p.message !== undefined) r.body = p.message;
      if (config.useTimestamp && p.timestamp !== undefined) r.timestamp = p.timestamp;
      if (r.severityNumber === 0 && p.severityNumber !== undefined) {
        r.severityNumber = p.severityNumber;
        r.severityText = p.severityText ?? "";
      }
      if (r.traceId === "" && p.traceId !== undefined) r.traceId = p.traceId;
      if (r.spanId === "" && p.spanId !== undefined) r.spanId = p.spanId;
    };
    return {
      process(records) {
        for (const r of records) apply(r);
        return records;
      },
    };
  },
};
