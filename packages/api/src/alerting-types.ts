// Wire shapes of the alerting API as clients read them: Prometheus rules/alerts answers and incidents (docs/alerting.md).

/** One alert of `GET /prometheus/api/v1/alerts` (and of a rule in `/prometheus/api/v1/rules`). */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** pending or firing. */
  state: string;
  activeAt: string;
  /** Prometheus' text form of the sample value, e.g. 4.0000000000e+00. */
  value: string;
}

/** One alerting rule of `GET /prometheus/api/v1/rules`. */
export interface PromRule {
  name: string;
  query: string;
  /** The rule's `for`, seconds. */
  duration: number;
  /** inactive, pending or firing. */
  state: string;
  /** ok, err or unknown. */
  health: string;
  lastError: string;
  alerts: PromAlert[];
}

/** One rule group of `GET /prometheus/api/v1/rules` (`file` is the ruler namespace). */
export interface PromGroup {
  name: string;
  file: string;
  /** Evaluation interval, seconds. */
  interval: number;
  rules: PromRule[];
}

/** One entry of an incident's timeline. */
export interface IncidentEvent {
  time: string;
  /** pending, firing, notified, resolved or acknowledged. */
  type: string;
  receiver?: string;
  status?: string;
  error?: string;
  principal?: string;
  comment?: string;
}

/** An incident of `GET /api/v1/alerting/incidents[/ID]`: one firing episode of an alert, with its timeline. */
export interface Incident {
  id: string;
  tenant: string;
  namespace: string;
  group: string;
  rule: string;
  /** firing or resolved. */
  status: string;
  labels: Record<string, string>;
  startedAt: string;
  resolvedAt?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  value: number;
  events: IncidentEvent[];
}
