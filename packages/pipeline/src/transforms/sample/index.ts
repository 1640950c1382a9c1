// The `sample` transform: keeps 1 record in N, chosen by a hash of a key field so related records stay together.

import { severityFromText, type LogRecord } from "@meshlog/core";
import { z } from "zod";
import type { TransformDefinition } from "../../contracts.js";
import { compileFieldRef } from "../../field-ref.js";

export const sampleConfigSchema = z
  .object({
    rate: z.number().int().min(1).describe("Keep one record in this many (1 keeps all)."),
    key: z
      .string()
      .default("traceId")
      .describe("Field whose hash decides (records with the same value are kept or dropped together); the body when the field is empty."),
    keepLevelAtLeast: z
      .enum(["trace", "debug", "info", "warn", "error", "fatal", "none"])
      .default("warn")
      .describe("Records at or above this level are always kept; none samples every record."),
  })
  .strict();

export type SampleConfig = z.output<typeof sampleConfigSchema>;

/** FNV-1a 32-bit hash of a string (stable across processes, so agent and server sample alike). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const sampleTransform: TransformDefinition<SampleConfig> = {
  type: "sample",
  description: "Keeps 1 in N records by a hash of a key field; records at or above a level are always kept.",
  configSchema: sampleConfigSchema,
  create(config) {
    const get = compileFieldRef(config.key);
    const minKeep = config.keepLevelAtLeast === "none" ? Infinity : severityFromText(config.keepLevelAtLeast);
    const keep = (r: LogRecord): boolean => {
      if (config.rate <= 1 || r.severityNumber >= minKeep) return true;
      return fnv1a32(get(r) ?? r.body) % config.rate === 0;
    };
    return { process: (records) => records.filter(keep) };
  },
};
