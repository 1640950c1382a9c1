// Applies redaction rules to records: body, attribute and resource values; counts redactions per rule.

import { createHmac } from "node:crypto";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { PipelineErrors } from "../errors.js";
import { parseConfig } from "../parse-config.js";
import { BUILTIN_DETECTORS, RULES_OFF_BY_DEFAULT } from "./builtin-detectors.js";
import { compileCustomPattern } from "./custom-detector.js";
import { SECRET_KEY_NAME } from "./detect-secrets.js";
import { KEYWORD_HINT, type Detector, type Span } from "./detector.js";
import { redactionConfigSchema, type RedactionConfig, type RedactionMode, type ResolvedRedactionConfig } from "./redaction-config.js";
import { screenValue } from "./value-screen.js";

interface ActiveRule {
  detector: Detector;
  mode: RedactionMode;
}

/** Result of redacting one text value. */
export interface RedactedText {
  text: string;
  /** Number of matches replaced (or 1 when the value is dropped). */
  count: number;
  /** Set when a rule in drop mode matched: the value must be removed (or the body replaced wholly). */
  droppedBy?: string;
}

const HASH_CACHE_MAX = 4096;
const CLEAN_CACHE_MAX = 8192;
const CLEAN_CACHE_VALUE_MAX = 96;

/**
 * Redacts records in place. Rules run in a fixed order (credentials, then cards/SSN/email/IPs, then custom
 * patterns); each first runs a cheap pre-check, then a linear-time scan. Markers written by earlier rules
 * are never matched again. Construction validates the config and throws MeshlogError naming the key.
 */
export class Redactor {
  readonly #rules: ActiveRule[] = [];
  readonly #config: ResolvedRedactionConfig;
  readonly #counts = new Map<string, number>();
  readonly #skipKeys: Set<string>;
  readonly #keyRuleMode: RedactionMode | undefined;
  readonly #hashCache = new Map<string, string>();
  /** Short values already found clean (most attribute values repeat: methods, codes, hosts). */
  readonly #clean = new Set<string>();
  /** Attribute keys already classified as secret-named or not. */
  readonly #secretKeys = new Map<string, boolean>();
  /** Output of the last #redact call. */
  #out = "";
  #droppedBy: string | undefined;

  constructor(config: RedactionConfig = {}) {
    const c = parseConfig(redactionConfigSchema, config, "redaction");
    this.#config = c;
    this.#skipKeys = new Set(c.skipKeys);
    const settings = c.rules as Record<string, boolean | RedactionMode | undefined>;
    const modeOf = (name: string): RedactionMode | undefined => {
      const s = settings[name];
      if (s === false) return undefined;
      if (s === undefined) return RULES_OFF_BY_DEFAULT.has(name) ? undefined : c.mode;
      return s === true ? c.mode : s;
    };
    for (const d of BUILTIN_DETECTORS) {
      const mode = modeOf(d.name);
      if (mode !== undefined) this.#rules.push({ detector: d, mode });
    }
    this.#keyRuleMode = modeOf("password");
    const names = new Set(BUILTIN_DETECTORS.map((d) => d.name));
    for (const p of c.custom) {
      if (names.has(p.name)) throw new MeshlogError(PipelineErrors.PIPELINE_CONFIG_INVALID, `redaction: custom pattern name "${p.name}" is already used`);
      names.add(p.name);
      this.#rules.push({ detector: compileCustomPattern(p), mode: p.mode ?? c.mode });
    }
    const hashing = this.#rules.some((r) => r.mode === "hash") || this.#keyRuleMode === "hash";
    if (hashing && c.hashKey === "")
      throw new MeshlogError(PipelineErrors.PIPELINE_CONFIG_INVALID, "redaction: hashKey is required when a rule uses hash mode");
  }

  /** Names of the rules that run, in order. */
  get ruleNames(): string[] {
    return this.#rules.map((r) => r.detector.name);
  }

  /** Redacts one text value (the rules only; key-based rules apply in redactRecord). */
  redactText(text: string): RedactedText {
    const count = this.#redact(text);
    const droppedBy = this.#droppedBy;
    return droppedBy === undefined ? { text: this.#out, count } : { text: this.#out, count, droppedBy };
  }

  /**
   * redactText without the result object (the per-value hot path): returns the count and leaves the text
   * in #out and the dropping rule, if any, in #droppedBy.
   */
  #redact(text: string): number {
    this.#droppedBy = undefined;
    this.#out = text;
    const cacheable = text.length <= CLEAN_CACHE_VALUE_MAX;
    if (cacheable && this.#clean.has(text)) return 0;
    let out = text;
    let count = 0;
    let keywords: boolean | undefined;
    // Shapes present in the current text; recomputed after a rule rewrote it.
    let shapes = screenValue(out);
    const rules = this.#rules;
    for (let k = 0; k < rules.length; k++) {
      const rule = rules[k] as ActiveRule;
      const d = rule.detector;
      if (d.screen !== undefined && (shapes & d.screen) === 0) continue;
      if (d.keywordGated === true) {
        keywords ??= KEYWORD_HINT.test(out);
        if (!keywords) continue;
      }
      if (!d.mightMatch(out)) continue;
      const found = d.find(out);
      if (found.length === 0) continue;
      const spans = found.filter((s) => !isMarker(out, s));
      if (spans.length === 0) continue;
      if (rule.mode === "drop") {
        this.#count(d.name, 1);
        this.#out = `[REDACTED:${d.name}]`;
        this.#droppedBy = d.name;
        return count + 1;
      }
      let next = "";
      let pos = 0;
      for (const s of spans) {
        next += out.slice(pos, s.start) + this.#replacement(d.name, rule.mode, out.slice(s.start, s.end));
        pos = s.end;
      }
      out = next + out.slice(pos);
      shapes = screenValue(out);
      keywords = undefined;
      count += spans.length;
      this.#count(d.name, spans.length);
    }
    if (count === 0 && cacheable) {
      if (this.#clean.size >= CLEAN_CACHE_MAX) this.#clean.clear();
      this.#clean.add(text);
    }
    this.#out = out;
    return count;
  }

  /** Redacts body, attribute and resource values of `r` in place; returns the number of redactions. */
  redactRecord(r: LogRecord): number {
    let n = 0;
    const c = this.#config;
    // A body no rule matched: attribute values copied verbatim out of it (what parsers extract, between
    // delimiters) are clean too and are not scanned again.
    let cleanBody: string | undefined;
    if (c.body && r.body !== "") {
      const count = this.#redact(r.body);
      if (count > 0) {
        r.body = this.#out;
        n += count;
      } else cleanBody = r.body;
    }
    if (c.attributes) n += this.#redactMap(r.attributes, true, cleanBody);
    if (c.resource) n += this.#redactMap(r.resource, false, undefined);
    return n;
  }

  /** Redactions applied so far, per rule (for metrics and the redaction audit event). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  #redactMap(map: Record<string, string>, byKey: boolean, cleanBody: string | undefined): number {
    let n = 0;
    for (const key of Object.keys(map)) {
      if (this.#skipKeys.has(key)) continue;
      const value = map[key] as string;
      if (value === "") continue;
      if (byKey && this.#keyRuleMode !== undefined && this.#isSecretKey(key) && !value.startsWith("[REDACTED:")) {
        this.#count("password", 1);
        n++;
        if (this.#keyRuleMode === "drop") delete map[key];
        else map[key] = this.#replacement("password", this.#keyRuleMode, value);
        continue;
      }
      if (cleanBody !== undefined && cleanBody.includes(value)) continue;
      const count = this.#redact(value);
      if (count === 0) continue;
      n += count;
      if (this.#droppedBy !== undefined) delete map[key];
      else map[key] = this.#out;
    }
    return n;
  }

  #isSecretKey(key: string): boolean {
    let v = this.#secretKeys.get(key);
    if (v === undefined) {
      v = SECRET_KEY_NAME.test(key);
      if (this.#secretKeys.size >= CLEAN_CACHE_MAX) this.#secretKeys.clear();
      this.#secretKeys.set(key, v);
    }
    return v;
  }

  #replacement(rule: string, mode: RedactionMode, value: string): string {
    if (mode !== "hash") return `[REDACTED:${rule}]`;
    let h = this.#hashCache.get(value);
    if (h === undefined) {
      h = createHmac("sha256", this.#config.hashKey).update(value).digest("hex").slice(0, this.#config.hashLength);
      if (this.#hashCache.size >= HASH_CACHE_MAX) this.#hashCache.clear();
      this.#hashCache.set(value, h);
    }
    return `[${rule}:hmac:${h}]`;
  }

  #count(rule: string, n: number): void {
    this.#counts.set(rule, (this.#counts.get(rule) ?? 0) + n);
  }
}

/** True when the span lies inside a marker an earlier rule wrote (`[REDACTED:x]`, `[x:hmac:…]`). */
function isMarker(text: string, s: Span): boolean {
  let open = -1;
  for (let i = s.start; i >= 0 && i >= s.start - 80; i--) {
    const c = text.charCodeAt(i);
    if (c === 91) {
      open = i;
      break;
    }
    if (c === 93 && i < s.start) return false;
  }
  if (open < 0) return false;
  let close = -1;
  for (let i = open + 1; i < text.length && i <= open + 120; i++) {
    if (text.charCodeAt(i) === 93) {
      close = i;
      break;
    }
  }
  if (close < 0 || close + 1 < s.end) return false;
  return text.startsWith("[REDACTED:", open) || text.slice(open, close).includes(":hmac:");
}
