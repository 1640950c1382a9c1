// Public surface of the server app (for the meshlog binary and process-level tests).
export { main, startServer, type RunningServer } from "./main.js";
export { loadServerConfig, serverConfigSchema, type ServerConfig } from "./config/server-config.js";
