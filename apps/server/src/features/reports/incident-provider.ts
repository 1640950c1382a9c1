// The seam through which the report reads incidents of the alerting feature, without depending on its code.

/**
 * ctx.services key under which an alerting feature registers its incidents: either an {@link IncidentProvider}
 * object or the bare `incidents` function. Absent: the report says "no alerting configured".
 */
export const INCIDENTS_SERVICE = "alerting.incidents";

/** An incident as the report needs it. Times are RFC 3339. */
export interface IncidentRecord {
  readonly id: string;
  /** Name or id of the rule that fired. */
  readonly rule: string;
  readonly tenant: string;
  readonly severity?: string;
  /** e.g. firing, acknowledged, resolved. */
  readonly state?: string;
  readonly startedAt: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: string;
  readonly resolvedBy?: string;
}

export interface IncidentQuery {
  /** RFC 3339 period: incidents started before `end` and not resolved before `start`. */
  readonly start: string;
  readonly end: string;
  /** Only these tenants; undefined = all. */
  readonly tenants?: readonly string[];
}

export type IncidentsFn = (q: IncidentQuery) => Promise<readonly IncidentRecord[]> | readonly IncidentRecord[];

export interface IncidentProvider {
  incidents: IncidentsFn;
}

/** The registered incidents function, whichever form was registered; undefined when none. */
export function incidentsFnOf(service: unknown): IncidentsFn | undefined {
  if (typeof service === "function") return service as IncidentsFn;
  if (service !== null && typeof service === "object" && typeof (service as Partial<IncidentProvider>).incidents === "function") {
    const p = service as IncidentProvider;
    return (q) => p.incidents(q);
  }
  return undefined;
}
