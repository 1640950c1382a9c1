// Error codes of the Datadog logs intake receiver.

import { defineErrors } from "@meshlog/core";

export const DatadogErrors = defineErrors("ingest/datadog", {
  DATADOG_PAYLOAD_INVALID: {
    status: 400,
    description: "A Datadog logs payload is not a JSON array of log objects (or one object); the message names the item and field.",
  },
});
