// Server-side normalization of received records: severity, detected fields and trace context from the body.

import { levelOf, severityFromHttpStatus, severityFromText, severityTextOf, type LogRecord } from "@meshlog/core";
import { parseBody, type ParsedBody } from "@meshlog/pipeline";
import { mightBeStructured } from "./body-precheck.js";

/** Settings of the normalizer (the server's `normalize` config section without `enabled`). */
export interface RecordNormalizerOptions {
  /** Parse bodies (JSON, logfmt, access logs, syslog, CRI/Docker) of records without severity. */
  parseBodies: boolean;
  /** Bodies longer than this many UTF-8 bytes are not parsed. */
  maxBodyBytesToParse: number;
}

/** What the normalizer did so far (for metrics). */
export interface NormalizeCounts {
  /** Records that arrived without severity and were looked at. */
  examined: number;
  /** Bodies handed to the parser. */
  parsed: number;
  /** Bodies a parser recognized (format other than `plain`). */
  structured: number;
  /** Bodies skipped: over the size limit. */
  tooLarge: number;
  /** Records given a severity. */
  severityDerived: number;
  /** Parser failures (a bug in a parser: the record is kept as it was). */
  failed: number;
}

/** Sender attribute keys read as a level (the level keys of docs/specs/fields.md). */
const LEVEL_KEYS = ["level", "lvl", "severity", "loglevel", "log.level", "levelname", "severity_text", "level_name", "@l"] as const;
/** Sender attribute keys read as an HTTP status. */
const STATUS_KEYS = ["http.status_code", "http.response.status_code", "status_code", "status", "response_code", "statusCode"] as const;

/**
 * Fills what the receiver could not know about a record from its body and attributes. Contract, per record:
 * - a record whose severityNumber is not 0 is left exactly as it is (the sender's structure wins);
 * - otherwise the body is parsed (auto-detected, when `parseBodies` and it passes the cheap pre-check and the
 *   size limit); severity comes from a sender attribute level key, then the parsed body (level key, syslog
 *   severity, HTTP status), then a sender attribute HTTP status; parsed fields are added as attributes
 *   without overwriting the sender's, and `detected_level` (the level name, as Loki names it) is added
 *   unless the sender set one; traceId/spanId are filled from the body when empty;
 * - labels, body, timestamps, tenant and resource are never changed; the attributes object is replaced,
 *   never mutated (receivers may share it); nothing throws and no record is dropped.
 */
export class RecordNormalizer {
  readonly #parseBodies: boolean;
  readonly #maxBytes: number;
  readonly #counts: NormalizeCounts = { examined: 0, parsed: 0, structured: 0, tooLarge: 0, severityDerived: 0, failed: 0 };

  constructor(opts: RecordNormalizerOptions) {
    this.#parseBodies = opts.parseBodies;
    this.#maxBytes = opts.maxBodyBytesToParse;
  }

  /** Normalizes the records in place; returns the same array (a RecordProcessor). */
  process(records: LogRecord[]): LogRecord[] {
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as LogRecord;
      if (r.severityNumber === 0) this.normalize(r);
    }
    return records;
  }

  /** Normalizes one record; returns true when it changed. Never throws. */
  normalize(r: LogRecord): boolean {
    if (r.severityNumber !== 0) return false;
    this.#counts.examined++;
    const parsed = this.#parse(r.body);
    const attrs = r.attributes;
    let severityNumber = 0;
    let severityText = "";
    const senderLevel = firstOf(attrs, LEVEL_KEYS);
    if (senderLevel !== undefined) {
      severityNumber = severityFromText(senderLevel);
      if (severityNumber > 0) severityText = senderLevel.length <= 16 ? senderLevel : severityTextOf(severityNumber);
    }
    if (severityNumber === 0 && parsed?.severityNumber !== undefined && parsed.severityNumber > 0) {
      severityNumber = parsed.severityNumber;
      severityText = parsed.severityText ?? "";
    }
    if (severityNumber === 0) {
      const status = firstOf(attrs, STATUS_KEYS);
      if (status !== undefined && /^[1-5]\d\d$/.test(status)) severityNumber = severityFromHttpStatus(Number(status));
    }
    const hasFields = parsed !== undefined && hasKeys(parsed.fields);
    const traceId = r.traceId === "" ? (parsed?.traceId ?? "") : "";
    const spanId = r.spanId === "" ? (parsed?.spanId ?? "") : "";
    if (severityNumber === 0 && !hasFields && traceId === "" && spanId === "") return false;

    let merged: Record<string, string> | undefined;
    if (hasFields) {
      // parsed.fields is fresh: it becomes the attributes, with the sender's laid over it.
      merged = parsed.fields;
      for (const k in attrs) merged[k] = attrs[k] as string;
    }
    if (severityNumber > 0) {
      this.#counts.severityDerived++;
      r.severityNumber = severityNumber;
      r.severityText = severityText !== "" ? severityText : severityTextOf(severityNumber);
      if (attrs.detected_level === undefined) {
        merged ??= { ...attrs };
        merged.detected_level = levelOf(severityNumber);
      }
    }
    if (merged !== undefined) r.attributes = merged;
    if (traceId !== "") r.traceId = traceId;
    if (spanId !== "") r.spanId = spanId;
    return true;
  }

  /** Counts so far (a copy). */
  counts(): NormalizeCounts {
    return { ...this.#counts };
  }

  #parse(body: string): ParsedBody | undefined {
    if (!this.#parseBodies || body === "") return undefined;
    // UTF-8 needs at least one byte per UTF-16 unit and at most three: count bytes only when in doubt.
    if (body.length > this.#maxBytes || (body.length * 3 > this.#maxBytes && Buffer.byteLength(body) > this.#maxBytes)) {
      this.#counts.tooLarge++;
      return undefined;
    }
    if (!mightBeStructured(body)) return undefined;
    this.#counts.parsed++;
    let p: ParsedBody;
    try {
      p = parseBody(body, "auto", { maxLineLength: this.#maxBytes });
    } catch {
      // parseBody promises not to throw; if it does, the record stays as it was.
      this.#counts.failed++;
      return undefined;
    }
    if (p.format === "plain") return undefined;
    this.#counts.structured++;
    return p;
  }
}

function firstOf(attrs: Record<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (v !== undefined && v !== "") return v;
  }
  return undefined;
}

function hasKeys(o: Record<string, string>): boolean {
  for (const _ in o) return true;
  return false;
}
