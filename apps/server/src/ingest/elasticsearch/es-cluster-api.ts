// The Elasticsearch start-up endpoints shippers call before bulk: cluster info, license, health, nodes, templates, ILM.

import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../../context.js";
import { extractCredential, requireRole } from "../../http/request-auth.js";

const CLUSTER_NAME = "meshlog";
const NODE_NAME = "meshlog";

/** Signature of the web UI's index handler, registered by the UI module as service "ui.index" (it sends index.html). */
export type UiIndexHandler = (reply: FastifyReply, request: FastifyRequest) => unknown;

/** True when the client prefers HTML over JSON (a browser), judged from the Accept header. */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || accept === "") return false;
  let html = -1;
  let json = -1;
  for (const part of accept.split(",")) {
    const [type = "", ...params] = part.trim().toLowerCase().split(";");
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k === "q" && v !== undefined && !Number.isNaN(Number(v))) q = Number(v);
    }
    if (type === "text/html" || type === "application/xhtml+xml") html = Math.max(html, q);
    else if (type.includes("json")) json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}

/** Stable ids derived from the data folder, so restarts report the same cluster. */
function stableId(ctx: ServerContext, what: string): string {
  return createHash("sha256").update(`${what}\0${ctx.dataDir}`).digest("base64url").slice(0, 22);
}

export function clusterInfo(ctx: ServerContext): Record<string, unknown> {
  return {
    name: NODE_NAME,
    cluster_name: CLUSTER_NAME,
    cluster_uuid: stableId(ctx, "cluster"),
    version: {
      number: ctx.config.elasticsearchVersion,
      build_flavor: "default",
      build_type: "docker",
      build_hash: "0000000000000000000000000000000000000000",
      build_date: "2024-01-01T00:00:00.000000000Z",
      build_snapshot: false,
      lucene_version: "9.12.0",
      minimum_wire_compatibility_version: "7.17.0",
      minimum_index_compatibility_version: "7.0.0",
    },
    tagline: "You Know, for Search",
  };
}

const LICENSE = {
  uid: "00000000-0000-4000-8000-000000000000",
  type: "basic",
  status: "active",
  issue_date_in_millis: 0,
  issued_to: CLUSTER_NAME,
  issuer: "meshlog",
  start_date_in_millis: -1,
  max_nodes: 1000,
  expiry_date_in_millis: 4102444800000,
};

function clusterHealth(): Record<string, unknown> {
  return {
    cluster_name: CLUSTER_NAME,
    status: "green",
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 1,
    active_shards: 1,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100.0,
  };
}

/**
 * Registers GET / (cluster info; delegates to the "ui.index" service when a browser asks for HTML), and the
 * metadata endpoints Beats, Logstash, Fluent Bit, Vector, rsyslog and the official clients call. Template,
 * ILM and pipeline writes are acknowledged and remembered in memory (meshlog has no mappings or pipelines).
 */
export function registerClusterApi(app: FastifyInstance, ctx: ServerContext): void {
  const json = (reply: FastifyReply, body: unknown, status = 200) => reply.status(status).type("application/json").send(JSON.stringify(body));
  const stored = new Map<string, unknown>();

  // Public route so a browser can load the web UI at "/"; the Elasticsearch answer still needs valid credentials.
  app.get("/", { config: { public: true } }, async (request, reply) => {
    const ui = ctx.services.get("ui.index");
    if (typeof ui === "function" && prefersHtml(request.headers.accept)) return (ui as UiIndexHandler)(reply, request);
    const cred = extractCredential(request);
    const principal = cred === undefined ? undefined : await ctx.auth.authenticate(cred.secret, cred.kind);
    if (principal === undefined) {
      ctx.audit.record({
        action: "auth.failed",
        principal: "anonymous",
        tenant: "",
        remoteAddress: request.ip,
        method: "GET",
        route: "/",
        status: 401,
        result: "denied",
      });
      return reply
        .status(401)
        .header("www-authenticate", 'Basic realm="meshlog"')
        .type("application/json")
        .send(
          JSON.stringify({ error: { type: "security_exception", reason: "missing or invalid authentication credentials for REST request [/]" }, status: 401 }),
        );
    }
    return json(reply, clusterInfo(ctx));
  });

  // Every start-up endpoint needs the ingest role (checked before the handler runs).
  const meta = {
    config: { audit: "ingest.setup" },
    preHandler: async (request: FastifyRequest) => {
      requireRole(request, "ingest");
    },
  };

  app.get("/_license", meta, async (request, reply) => json(reply, { license: LICENSE }));
  app.get("/_xpack", meta, async (_request, reply) =>
    json(reply, {
      build: { hash: "0000000", date: "2024-01-01T00:00:00Z" },
      license: { uid: LICENSE.uid, type: "basic", mode: "basic", status: "active", expiry_date_in_millis: LICENSE.expiry_date_in_millis },
      features: {},
      tagline: "You know, for X",
    }),
  );
  app.get("/_cluster/health", meta, async (request, reply) => json(reply, clusterHealth()));
  app.get("/_cluster/health/:index", meta, async (request, reply) => json(reply, clusterHealth()));
  app.get("/_cat/health", meta, async (request, reply) => {
    const now = ctx.clock.nowMs();
    const epoch = Math.floor(now / 1000);
    const hms = new Date(now).toISOString().slice(11, 19);
    const format = (request.query as Record<string, unknown>).format;
    if (format === "json")
      return json(reply, [
        {
          epoch: String(epoch),
          timestamp: hms,
          cluster: CLUSTER_NAME,
          status: "green",
          "node.total": "1",
          "node.data": "1",
          shards: "1",
          pri: "1",
          relo: "0",
          init: "0",
          unassign: "0",
          pending_tasks: "0",
          max_task_wait_time: "-",
          active_shards_percent: "100.0%",
        },
      ]);
    return reply.status(200).type("text/plain; charset=UTF-8").send(`${epoch} ${hms} ${CLUSTER_NAME} green 1 1 1 1 0 0 0 0 - 100.0%\n`);
  });
  const nodes = async (request: FastifyRequest, reply: FastifyReply) => {
    const host = String(request.headers.host ?? "127.0.0.1:3100");
    const id = stableId(ctx, "node");
    return json(reply, {
      _nodes: { total: 1, successful: 1, failed: 0 },
      cluster_name: CLUSTER_NAME,
      nodes: {
        [id]: {
          name: NODE_NAME,
          transport_address: host,
          host: host.replace(/:\d+$/, ""),
          ip: host.replace(/:\d+$/, ""),
          version: ctx.config.elasticsearchVersion,
          roles: ["data", "ingest", "master"],
          http: { bound_address: [host], publish_address: host, max_content_length_in_bytes: ctx.config.ingest.maxBodyBytes },
        },
      },
    });
  };
  app.get("/_nodes", meta, nodes);
  app.get("/_nodes/*", meta, nodes);

  // Index management: HEAD/GET answer "exists", PUT acknowledges. Keyed by kind and name.
  for (const kind of ["_index_template", "_template", "_component_template", "_ilm/policy", "_ingest/pipeline", "_data_stream"]) {
    const path = `/${kind}/:name`;
    app.head(path, meta, async (request, reply) => reply.status(200).send());
    app.get(path, meta, async (request, reply) => {
      const name = (request.params as { name: string }).name;
      const body = stored.get(`${kind}/${name}`) ?? {};
      if (kind === "_index_template") return json(reply, { index_templates: [{ name, index_template: body }] });
      if (kind === "_component_template") return json(reply, { component_templates: [{ name, component_template: body }] });
      if (kind === "_data_stream") return json(reply, { data_streams: [{ name, timestamp_field: { name: "@timestamp" }, status: "GREEN" }] });
      if (kind === "_ilm/policy")
        return json(reply, {
          [name]: { version: 1, modified_date: "2024-01-01T00:00:00.000Z", policy: (body as { policy?: unknown }).policy ?? { phases: {} } },
        });
      return json(reply, { [name]: body });
    });
    app.put(path, meta, async (request, reply) => {
      const name = (request.params as { name: string }).name;
      const raw = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
      let body: unknown = {};
      try {
        body = raw === "" ? {} : JSON.parse(raw);
      } catch {
        return json(
          reply,
          {
            error: {
              root_cause: [{ type: "parse_exception", reason: "request body is not valid JSON" }],
              type: "parse_exception",
              reason: "request body is not valid JSON",
            },
            status: 400,
          },
          400,
        );
      }
      if (stored.size < 1000) stored.set(`${kind}/${name}`, body);
      return json(reply, { acknowledged: true });
    });
  }
  // Rollover aliases and explicit index creation (Logstash, older Beats).
  app.head("/:index", meta, async (request, reply) => reply.status(200).send());
  app.put("/:index", meta, async (request, reply) => {
    return json(reply, { acknowledged: true, shards_acknowledged: true, index: (request.params as { index: string }).index });
  });
}
