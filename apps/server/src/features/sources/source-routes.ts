// GET /api/v1/sources: the sources seen by this server, for the tenants the caller may see.

import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import type { SourceTracker } from "./source-tracker.js";

export const sourceRoutes: RouteModule = {
  name: "sources",
  body: "json",
  register(app, ctx) {
    app.get("/api/v1/sources", { config: { audit: "sources" } }, async (request) => {
      const p = requireRole(request, "admin", "auditor", "analyst");
      const tracker = ctx.services.get("sources") as SourceTracker;
      const all = tracker.list();
      const visible = p.tenants === "*" && p.roles.includes("admin") ? all : all.filter((s) => s.tenant === request.tenant);
      return { sources: visible.map((s) => ({ ...s, lastSeen: new Date(s.lastSeenMs).toISOString() })) };
    });
  },
};
