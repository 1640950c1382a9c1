// Error codes of the query package (LogQL parsing, validation, limits and execution).

import { defineErrors } from "@meshlog/core";

export const QueryErrors = defineErrors("query", {
  QUERY_SYNTAX: { status: 400, description: "The LogQL text does not parse; the message gives line and column." },
  QUERY_INVALID: { status: 400, description: "The LogQL parses but is not a valid query (e.g. a selector matching everything)." },
  QUERY_REGEX_INVALID: { status: 400, description: "A regular expression in the query is not valid RE2 syntax." },
  QUERY_TEMPLATE_INVALID: { status: 400, description: "A line_format/label_format template does not parse." },
  QUERY_PARAM_INVALID: { status: 400, description: "A query parameter (time, step, limit, direction) is invalid." },
  QUERY_LIMIT_ENTRIES: { status: 400, description: "The requested limit exceeds max_entries_limit_per_query (query.maxEntries)." },
  QUERY_LIMIT_SERIES: { status: 400, description: "A metric query would return more series than query.maxSeries." },
  QUERY_LIMIT_LENGTH: { status: 400, description: "The query time range exceeds query.maxQueryLengthHours." },
  QUERY_LIMIT_POINTS: { status: 400, description: "The query needs more resolution points or memory than allowed." },
  QUERY_TOO_LARGE: { status: 400, description: "The query text is longer than the limit or nests too deeply." },
  QUERY_PIPELINE_ERROR: { status: 400, description: "A metric query met samples carrying __error__ (filter them out explicitly)." },
  QUERY_TIMEOUT: { status: 504, description: "The query ran longer than query.timeoutSeconds." },
  QUERY_CANCELED: { status: 499, description: "The client went away or cancelled the query." },
  QUERY_CONCURRENCY_LIMIT: { status: 429, description: "The principal already runs query.maxConcurrentPerPrincipal queries." },
});
