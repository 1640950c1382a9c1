// GET /ready (public, for probes) and GET /metrics (Prometheus text; needs a token).

import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import { requireAllTenants } from "../auth/tenant-access.js";

export const healthRoutes: RouteModule = {
  name: "health",
  body: "json",
  register(app, ctx) {
    app.get("/ready", { config: { public: true } }, async (_request, reply) => reply.type("text/plain").send("ready\n"));
    app.get("/metrics", { config: { audit: "metrics" } }, async (request, reply) => {
      requireRole(request, "admin", "auditor", "analyst");
      requireAllTenants(request, "/metrics");
      return reply.type("text/plain; version=0.0.4").send(ctx.metrics.render());
    });
  },
};
