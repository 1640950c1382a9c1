// Wire shape of the anomalies API as clients read it: `GET /api/v1/anomalies` (docs/anomalies.md).

/** Every anomaly kind the detectors report (a `kind` filter also accepts detector names). */
export const ANOMALY_KINDS = [
  "volume-spike",
  "volume-drop",
  "error-ratio",
  "new-template",
  "template-spike",
  "silence",
  "mesh-5xx",
  "upstream-connect-failure",
  "tls-handshake-failure",
  "auth-failure-burst",
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** One anomaly as the API returns it. */
export interface AnomalyView {
  time: string;
  timeNs: string;
  kind: string;
  detector: string;
  severity: string;
  labels: Record<string, string>;
  score: number;
  baseline: number;
  observed: number;
  message: string;
  windowStart: string;
  windowEnd: string;
  details?: Record<string, string | number>;
}
