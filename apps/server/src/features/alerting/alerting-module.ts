// Server module "alerting": opens the alerting service (rules, receivers, incidents, saved alert state) and, when
// alerting.enabled, checks every second which rule groups are due for evaluation.

import type { ServerModule } from "../../modules.js";
import { engineFor } from "../../query-api/query-routes.js";
import { ALERTING_SERVICE, AlertingService } from "./alerting-service.js";

/** ctx.services key the SOC 2 report reads incidents from. */
const REPORT_INCIDENTS_SERVICE = "alerting.incidents";

/** How often the module looks for due groups (each group still runs on its own interval). */
const TICK_MS = 1000;

export const alertingModule: ServerModule = {
  name: "alerting",
  deps: ["security"],
  async start(ctx) {
    const service = new AlertingService({
      dataDir: ctx.dataDir,
      config: ctx.config.alerting,
      engine: engineFor(ctx),
      clock: ctx.clock,
      log: ctx.log,
      audit: () => ctx.audit,
      metrics: ctx.metrics,
    });
    ctx.services.set(ALERTING_SERVICE, service);
    // The SOC 2 report reads incidents through this service-map entry (docs/soc2-report.md, "Alerting"); it is
    // present while at least one rule or incident exists, so a server without any reports "no alerting configured".
    const provider = { incidents: (q: Parameters<AlertingService["reportIncidents"]>[0]) => service.reportIncidents(q) };
    const syncReportSeam = (): void => {
      if (service.rules.list().length > 0 || service.incidents.list(undefined, { limit: 1 }).length > 0) ctx.services.set(REPORT_INCIDENTS_SERVICE, provider);
      else ctx.services.delete(REPORT_INCIDENTS_SERVICE);
    };
    service.rules.onChange(syncReportSeam);
    syncReportSeam();
    let busy = false;
    const timer = ctx.config.alerting.enabled
      ? setInterval(() => {
          if (busy) return;
          busy = true;
          service
            .runDue()
            .catch((e: unknown) => ctx.log.error("alert evaluation failed", { err: e as Error }))
            .finally(() => {
              busy = false;
            });
        }, TICK_MS).unref()
      : undefined;
    return {
      async stop() {
        if (timer !== undefined) clearInterval(timer);
        await service.close();
      },
    };
  },
};
