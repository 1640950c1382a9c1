// Error codes of the anomaly detection feature (its API parameters and its saved baseline state).

import { defineErrors } from "@meshlog/core";

export const AnomalyErrors = defineErrors("server-anomalies", {
  ANOMALY_PARAM_INVALID: { status: 400, description: "A parameter of GET /api/v1/anomalies is invalid; the message names it." },
  ANOMALY_STATE_CORRUPT: {
    status: 500,
    description: "DATA/anomalies/state.json could not be read; it is set aside (renamed .corrupt-<time>) and baselines start afresh.",
  },
});
