// The HTTP listener module: builds the app from all route modules and listens on config.http.

import { isIP } from "node:net";
import type { ServerModule } from "../modules.js";
import { splitHostPort } from "../config/server-config.js";
import { buildApp } from "./app.js";
import { routeModules } from "./routes.js";

export const httpModule: ServerModule = {
  name: "http",
  deps: [],
  async start(ctx) {
    const app = await buildApp(ctx, routeModules);
    const { host, port } = splitHostPort(ctx.config.http);
    await app.listen({ host, port });
    const addr = app.server.address();
    const bound = typeof addr === "object" && addr !== null ? `${addr.address}:${addr.port}` : ctx.config.http;
    const tls = ctx.config.tls.cert !== "";
    const loopback = host === "localhost" || host.startsWith("127.") || host === "::1";
    if (!tls && !loopback) ctx.log.warn("serving plaintext HTTP on a non-loopback address; configure tls.cert and tls.key", { address: bound });
    ctx.services.set(
      "http.address",
      `${tls ? "https" : "http"}://${isIP(host) === 6 ? `[${host}]` : host}:${typeof addr === "object" && addr !== null ? addr.port : port}`,
    );
    ctx.log.info("http listening", { address: bound, tls });
    return {
      async stop() {
        await app.close();
      },
    };
  },
};
