// Incidents: one per firing episode of an alert, with its timeline (pending, firing, notified, resolved, acknowledged).
// Kept in DATA/alerting/incidents.json (0600, atomic); every timeline event is also written to the audit trail.

import { randomBytes } from "node:crypto";
import { MeshlogError } from "@meshlog/core";
import { readPrivateJson, writePrivateJson } from "../auth/secure-file.js";
import { AlertingErrors } from "./errors.js";

export type IncidentEventType = "pending" | "firing" | "notified" | "resolved" | "acknowledged";

/** One entry of an incident's timeline. `time` is RFC 3339 (ms precision, UTC). */
export interface IncidentEvent {
  time: string;
  type: IncidentEventType;
  /** notified: the receiver, its kind, which notification (firing/resolved), the outcome and tries. */
  receiver?: string;
  kind?: string;
  notification?: "firing" | "resolved";
  status?: "delivered" | "failed";
  httpStatus?: number;
  attempts?: number;
  error?: string;
  /** acknowledged: who, and an optional comment. */
  principal?: string;
  comment?: string;
  /** pending/firing/resolved: the value of the series at that evaluation. */
  value?: number;
  /** resolved: why, when not because the series disappeared (e.g. the rule was removed). */
  reason?: string;
}

/** A firing episode of one alert (rule + label set). */
export interface Incident {
  id: string;
  tenant: string;
  namespace: string;
  group: string;
  rule: string;
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: "firing" | "resolved";
  /** When the series first matched (start of pending). */
  activeAt: string;
  /** When it started firing. */
  startedAt: string;
  resolvedAt?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  /** Latest value of the series. */
  value: number;
  events: IncidentEvent[];
}

interface IncidentsFile {
  version: 1;
  incidents: Incident[];
}

export const nsToIso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

export class IncidentStore {
  readonly #file: string;
  readonly #max: number;
  /** Insertion order = creation order. */
  readonly #byId = new Map<string, Incident>();
  #dirty = false;

  constructor(file: string, maxIncidents: number) {
    this.#file = file;
    this.#max = maxIncidents;
    const raw = readPrivateJson(file) as IncidentsFile | undefined;
    for (const i of raw?.incidents ?? []) if (typeof i?.id === "string") this.#byId.set(i.id, i);
  }

  create(fields: Omit<Incident, "id" | "events" | "status">): Incident {
    const inc: Incident = { id: `inc-${randomBytes(8).toString("hex")}`, status: "firing", events: [], ...fields };
    this.#byId.set(inc.id, inc);
    this.#trim();
    this.#dirty = true;
    return inc;
  }

  get(id: string): Incident | undefined {
    return this.#byId.get(id);
  }

  /** Incidents of the tenants `visible` (undefined: all), newest first. */
  list(visible: readonly string[] | undefined, filter: { status?: string; limit?: number; match?: (inc: Incident) => boolean } = {}): Incident[] {
    const out: Incident[] = [];
    const all = [...this.#byId.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const inc = all[i] as Incident;
      if (visible !== undefined && !visible.includes(inc.tenant)) continue;
      if (filter.status !== undefined && inc.status !== filter.status) continue;
      if (filter.match !== undefined && !filter.match(inc)) continue;
      out.push(inc);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }

  addEvent(id: string, event: IncidentEvent): Incident | undefined {
    const inc = this.#byId.get(id);
    if (inc === undefined) return undefined;
    inc.events.push(event);
    if (event.type === "resolved") {
      inc.status = "resolved";
      inc.resolvedAt = event.time;
    }
    if (event.type === "acknowledged" && inc.acknowledgedAt === undefined) {
      inc.acknowledgedAt = event.time;
      if (event.principal !== undefined) inc.acknowledgedBy = event.principal;
    }
    if (event.value !== undefined) inc.value = event.value;
    this.#dirty = true;
    return inc;
  }

  /** Acknowledges an incident of a visible tenant; a second acknowledgement changes nothing. */
  acknowledge(id: string, visible: readonly string[] | undefined, principal: string, time: string, comment?: string): { incident: Incident; changed: boolean } {
    const inc = this.#byId.get(id);
    if (inc === undefined || (visible !== undefined && !visible.includes(inc.tenant)))
      throw new MeshlogError(AlertingErrors.ALERT_INCIDENT_NOT_FOUND, `no incident has id ${JSON.stringify(id.slice(0, 100))}`);
    if (inc.acknowledgedAt !== undefined) return { incident: inc, changed: false };
    this.addEvent(id, { time, type: "acknowledged", principal, ...(comment !== undefined && comment !== "" ? { comment } : {}) });
    return { incident: inc, changed: true };
  }

  /** Writes the file if anything changed since the last save. */
  save(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    writePrivateJson(this.#file, { version: 1, incidents: [...this.#byId.values()] } satisfies IncidentsFile);
  }

  /** Drops the oldest resolved incidents beyond the limit (firing ones are always kept). */
  #trim(): void {
    if (this.#byId.size <= this.#max) return;
    for (const [id, inc] of this.#byId) {
      if (this.#byId.size <= this.#max) break;
      if (inc.status === "resolved") this.#byId.delete(id);
    }
  }
}
