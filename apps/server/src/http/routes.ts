// Every HTTP route module of the server, registered in this order (one line each).

import { healthRoutes } from "../features/health/health-routes.js";
import { nativeIngestRoutes } from "../ingest/native/native-routes.js";
import { sourceRoutes } from "../features/sources/source-routes.js";
import { uiRoutes } from "../features/ui/ui-routes.js";
import { complianceRoutes } from "../features/compliance/compliance-routes.js";
import { tokenRoutes } from "../features/admin/token-routes.js";
import { principalRoutes } from "../features/admin/principal-routes.js";
import { auditRoutes } from "../features/admin/audit-routes.js";
import { lokiPushRoutes } from "../ingest/loki/loki-routes.js";
import { elasticsearchRoutes } from "../ingest/elasticsearch/es-routes.js";
import { otlpRoutes } from "../ingest/otlp/otlp-routes.js";
import { datadogRoutes } from "../ingest/datadog/datadog-routes.js";
import { zipkinRoutes } from "../ingest/zipkin/zipkin-routes.js";
import type { RouteModule } from "./route-module.js";
import { retentionRoutes } from "../features/retention/retention-routes.js";
import { queryApiRoutes } from "../query-api/query-routes.js";
import { rulerRoutes } from "../features/alerting/ruler-routes.js";
import { alertingRoutes } from "../features/alerting/alerting-routes.js";
import { reportRoutes } from "../features/reports/report-routes.js";
import { anomaliesRoutes } from "../features/anomalies/anomalies-routes.js";

export const routeModules: readonly RouteModule[] = [
  queryApiRoutes,
  healthRoutes,
  nativeIngestRoutes,
  lokiPushRoutes,
  elasticsearchRoutes,
  otlpRoutes,
  datadogRoutes,
  zipkinRoutes,
  tokenRoutes,
  principalRoutes,
  auditRoutes,
  uiRoutes,
  sourceRoutes,
  retentionRoutes,
  complianceRoutes,
  rulerRoutes,
  alertingRoutes,
  reportRoutes,
  anomaliesRoutes,
];
