// Receivers per tenant: API-managed ones in DATA/alerting/receivers.json (0600, atomic; they hold secrets), plus
// read-only ones from the config file (alerting.receivers).

import { isValidTenant, MeshlogError } from "@meshlog/core";
import { readPrivateJson, writePrivateJson } from "../auth/secure-file.js";
import { AlertingErrors } from "./errors.js";
import type { Receiver, TenantReceiver } from "./receiver-types.js";

export const MAX_RECEIVERS_PER_TENANT = 100;

interface ReceiversFile {
  version: 1;
  tenants: Record<string, Receiver[]>;
}

export class ReceiverStore {
  readonly #file: string;
  readonly #config: ReadonlyMap<string, readonly Receiver[]>;
  readonly #api = new Map<string, Receiver[]>();

  constructor(file: string, config: Record<string, readonly Receiver[]>) {
    this.#file = file;
    for (const [tenant, list] of Object.entries(config)) {
      if (!isValidTenant(tenant))
        throw new MeshlogError(
          AlertingErrors.ALERT_RECEIVER_INVALID,
          `config: alerting.receivers.${tenant.slice(0, 64)}: ${JSON.stringify(tenant.slice(0, 64))} is not a valid tenant id`,
        );
      const names = new Set<string>();
      for (const r of list) {
        if (names.has(r.name))
          throw new MeshlogError(
            AlertingErrors.ALERT_RECEIVER_INVALID,
            `config: alerting.receivers.${tenant}: receiver ${JSON.stringify(r.name)} appears twice`,
          );
        names.add(r.name);
      }
    }
    this.#config = new Map(Object.entries(config));
    const raw = readPrivateJson(file) as ReceiversFile | undefined;
    for (const [tenant, list] of Object.entries(raw?.tenants ?? {})) this.#api.set(tenant, list);
  }

  /** Receivers of one tenant (or all), config ones first. */
  list(tenant?: string): TenantReceiver[] {
    const out: TenantReceiver[] = [];
    for (const [source, m] of [
      ["config", this.#config],
      ["api", this.#api],
    ] as const) {
      for (const [t, list] of m) if (tenant === undefined || t === tenant) for (const r of list) out.push({ ...r, tenant: t, source });
    }
    return out;
  }

  get(tenant: string, name: string): TenantReceiver | undefined {
    return this.list(tenant).find((r) => r.name === name);
  }

  /** The receivers a rule notifies: those named by its `receiver` label (comma-separated), else the tenant's defaults. */
  route(tenant: string, receiverLabel: string | undefined): { receivers: TenantReceiver[]; unknown: string[] } {
    const all = this.list(tenant);
    if (receiverLabel === undefined || receiverLabel.trim() === "") return { receivers: all.filter((r) => r.default), unknown: [] };
    const receivers: TenantReceiver[] = [];
    const unknown: string[] = [];
    for (const name of new Set(receiverLabel.split(",").map((s) => s.trim()))) {
      if (name === "") continue;
      const r = all.find((x) => x.name === name);
      if (r === undefined) unknown.push(name);
      else receivers.push(r);
    }
    return { receivers, unknown };
  }

  /** Creates or replaces an API receiver. Returns true when it replaced one. */
  put(tenant: string, receiver: Receiver): boolean {
    if (this.#config.get(tenant)?.some((r) => r.name === receiver.name) === true)
      throw new MeshlogError(
        AlertingErrors.ALERT_RECEIVER_INVALID,
        `receiver ${JSON.stringify(receiver.name)} of tenant ${tenant} is defined in the config file (alerting.receivers); change it there`,
        { details: { field: "name" } },
      );
    const list = this.#api.get(tenant) ?? [];
    const i = list.findIndex((r) => r.name === receiver.name);
    if (i < 0 && this.list(tenant).length >= MAX_RECEIVERS_PER_TENANT)
      throw new MeshlogError(AlertingErrors.ALERT_LIMIT_EXCEEDED, `tenant ${tenant} already has ${MAX_RECEIVERS_PER_TENANT} receivers (the most allowed)`);
    this.#api.set(tenant, i < 0 ? [...list, receiver] : list.map((r, j) => (j === i ? receiver : r)));
    this.#save();
    return i >= 0;
  }

  delete(tenant: string, name: string): void {
    const list = this.#api.get(tenant) ?? [];
    if (!list.some((r) => r.name === name)) {
      const inConfig = this.#config.get(tenant)?.some((r) => r.name === name) === true;
      throw new MeshlogError(
        inConfig ? AlertingErrors.ALERT_RECEIVER_INVALID : AlertingErrors.ALERT_RECEIVER_NOT_FOUND,
        inConfig
          ? `receiver ${JSON.stringify(name)} is defined in the config file (alerting.receivers); remove it there`
          : `no receiver named ${JSON.stringify(name.slice(0, 100))} for tenant ${tenant}`,
      );
    }
    const rest = list.filter((r) => r.name !== name);
    if (rest.length === 0) this.#api.delete(tenant);
    else this.#api.set(tenant, rest);
    this.#save();
  }

  #save(): void {
    writePrivateJson(this.#file, { version: 1, tenants: Object.fromEntries(this.#api) } satisfies ReceiversFile);
  }
}
