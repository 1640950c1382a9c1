// Response shapes of the Loki-compatible read API (as Loki documents them).

export interface LokiStreamResult {
  stream: Record<string, string>;
  /** [timestamp in ns as a decimal string, line] or with structured metadata/parsed labels as a third element. */
  values: ([string, string] | [string, string, Record<string, unknown>])[];
}
export interface LokiMatrixResult {
  metric: Record<string, string>;
  values: [number, string][];
}
export interface LokiVectorResult {
  metric: Record<string, string>;
  value: [number, string];
}
export type LokiQueryData =
  | { resultType: "streams"; result: LokiStreamResult[]; stats?: unknown }
  | { resultType: "matrix"; result: LokiMatrixResult[]; stats?: unknown }
  | { resultType: "vector"; result: LokiVectorResult[]; stats?: unknown }
  | { resultType: "scalar"; result: [number, string]; stats?: unknown };
export interface LokiQueryResponse {
  status: "success" | "error";
  data: LokiQueryData;
}
export interface LokiLabelsResponse {
  status: "success";
  data: string[];
}
export interface LokiTailMessage {
  streams: LokiStreamResult[];
  dropped_entries?: { labels: Record<string, string>; timestamp: string }[] | null;
}
