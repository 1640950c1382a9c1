// Compiles policy and hold selectors with the LogQL stream-selector parser of @meshlog/query.

import { compileMatchers, parseSelector } from "@meshlog/query";
import type { CompiledSelector } from "@meshlog/storage";

/** A LogQL stream selector (`{namespace="payments", app=~"api|web"}`) as a label predicate; throws naming the problem. */
export function compileSelector(text: string): CompiledSelector {
  if (typeof text !== "string" || text.length > 4096) throw new Error("a selector must be a string of at most 4096 characters");
  const matchers = parseSelector(text);
  if (matchers.length === 0) throw new Error("a selector needs at least one matcher");
  const matches = compileMatchers(matchers);
  return { matches: (labels) => matches(labels), labelNames: matchers.map((m) => m.name) };
}
