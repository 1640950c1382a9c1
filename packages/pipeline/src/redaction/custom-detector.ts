// User-defined redaction patterns, compiled once with RE2 semantics (re2js) so matching is linear-time.

import { MeshlogError } from "@meshlog/core";
import { RE2JS } from "re2js";
import { PipelineErrors } from "../errors.js";
import type { Detector, Span } from "./detector.js";

/** A custom pattern as configured. */
export interface CustomPatternSpec {
  name: string;
  /** RE2 syntax: no backreferences or lookaround; matching time is linear in the input. */
  pattern: string;
  caseInsensitive?: boolean;
  /** Replace only this capture group (0 = the whole match). */
  group?: number;
  /** Pre-check: the pattern runs only on values containing one of these (case-insensitive); empty = always. */
  keywords?: string[];
}

/**
 * Compiles a custom pattern into a detector. Patterns are RE2 (the engine LogQL specifies): constructs
 * that need backtracking (backreferences, lookahead, lookbehind) are rejected with
 * PIPELINE_PATTERN_INVALID, and every pattern matches in time linear in the value length, so a pattern
 * like `(a+)+b` cannot hang the pipeline.
 */
export function compileCustomPattern(spec: CustomPatternSpec): Detector {
  let re: RE2JS;
  try {
    re = RE2JS.compile(spec.pattern, spec.caseInsensitive === true ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    throw new MeshlogError(PipelineErrors.PIPELINE_PATTERN_INVALID, `redaction pattern "${spec.name}": ${(err as Error).message} (patterns use RE2 syntax)`, {
      cause: err,
    });
  }
  const group = spec.group ?? 0;
  if (group > re.groupCount()) {
    throw new MeshlogError(
      PipelineErrors.PIPELINE_PATTERN_INVALID,
      `redaction pattern "${spec.name}": group ${group} does not exist (the pattern has ${re.groupCount()})`,
    );
  }
  const keywords = (spec.keywords ?? []).map((k) => k.toLowerCase());
  return {
    name: spec.name,
    mightMatch(text) {
      if (keywords.length === 0) return true;
      const lower = text.toLowerCase();
      return keywords.some((k) => lower.includes(k));
    },
    find(text) {
      if (!re.test(text)) return [];
      const out: Span[] = [];
      const m = re.matcher(text);
      let last = -1;
      while (m.find()) {
        const s = m.start(group);
        const e = m.end(group);
        if (s < 0 || e <= s || s < last) continue;
        out.push({ start: s, end: e });
        last = e;
      }
      return out;
    },
  };
}
