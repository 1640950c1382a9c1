// Types for the parts of npm lumberjack-protocol (a Lumberjack v1 sender over TLS) the tests use.

declare module "lumberjack-protocol" {
  import type { EventEmitter } from "node:events";
  import type { ConnectionOptions } from "node:tls";

  interface LumberjackClient extends EventEmitter {
    writeDataFrame(data: Record<string, string>): void;
    close(): void;
  }

  const lumberjack: {
    client(tls: ConnectionOptions, options?: { windowSize?: number; maxQueueSize?: number; reconnect?: number; unref?: boolean }): LumberjackClient;
  };
  export default lumberjack;
}
