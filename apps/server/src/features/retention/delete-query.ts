// Deletion queries (Loki delete API): a LogQL stream selector with optional line filters, compiled with @meshlog/query.

import { compilePipeline, formatLogExpr, formatMatchers, isLogExpr, parseExpr } from "@meshlog/query";

export interface DeleteQuery {
  /** The stream selector alone, e.g. `{app="x"}`. */
  readonly selector: string;
  /** The query in canonical form when it has line filters, else undefined. */
  readonly query: string | undefined;
}

/**
 * Parses a deletion query: `{app="x"}` or `{app="x"} |= "secret" != "ok" |~ "card=\\d+"`. Anything else
 * (metric queries, parsers, label filters, formatting stages) is refused with an Error naming the problem.
 */
export function parseDeleteQuery(text: string): DeleteQuery {
  if (typeof text !== "string" || text.trim() === "" || text.length > 4096) throw new Error("must be a LogQL stream selector of at most 4096 characters");
  const expr = parseExpr(text);
  if (!isLogExpr(expr)) throw new Error("must be a log query (a stream selector with optional line filters), not a metric query");
  if (expr.matchers.length === 0) throw new Error("needs at least one label matcher");
  const other = expr.stages.find((s) => s.kind !== "lineFilter");
  if (other !== undefined) throw new Error(`only line filters (|=, !=, |~, !~, |>, !>) may follow the selector, not a ${other.kind} stage`);
  compilePipeline(expr.stages); // regexes and patterns compile, or this throws naming them
  return { selector: formatMatchers(expr.matchers), query: expr.stages.length === 0 ? undefined : formatLogExpr(expr) };
}

/** The line predicate of a deletion query: true for lines every line filter keeps (the lines to delete). */
export function compileDeleteQuery(text: string): (line: string) => boolean {
  const expr = parseExpr(text);
  if (!isLogExpr(expr) || expr.stages.some((s) => s.kind !== "lineFilter"))
    throw new Error("a deletion query must be a stream selector with optional line filters");
  const pipeline = compilePipeline(expr.stages);
  return pipeline.prefilter ?? (() => true);
}
