// Error codes of the ingest bus (the scale-out write path through NATS JetStream).

import { defineErrors } from "@meshlog/core";

export const BusErrors = defineErrors("bus", {
  BUS_UNAVAILABLE: { status: 503, description: "The ingest bus did not confirm a publish (disconnected, no stream leader, timeout); retry later." },
  BUS_RECORD_TOO_LARGE: { status: 413, description: "One record does not fit in a bus message (bus.maxBatchBytes or the server's max_payload)." },
  BUS_MESSAGE_CORRUPT: { status: 500, description: "A bus message is not a valid meshlog batch frame (bad marker, length or CRC, or malformed content)." },
  BUS_SETUP_FAILED: { status: 500, description: "The bus could not connect or create its stream/consumer at start-up; the message names the setting." },
});
