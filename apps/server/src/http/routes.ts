// Every HTTP route module of the server, registered in this order (one line each).

import { healthRoutes } from "../features/health/health-routes.js";
import { nativeIngestRoutes } from "../ingest/native/native-routes.js";
import type { RouteModule } from "./route-module.js";

export const routeModules: readonly RouteModule[] = [
  healthRoutes,
  nativeIngestRoutes,
];
