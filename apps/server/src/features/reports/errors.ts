// Error codes of the SOC 2 evidence report feature (report generation and report verification).

import { defineErrors } from "@meshlog/core";

export const ReportErrors = defineErrors("server-reports", {
  REPORT_REQUEST_INVALID: { status: 400, description: "A report parameter (start, end, tenant, format, verify) is invalid; the message names it." },
  REPORT_UNAVAILABLE: {
    status: 501,
    description: "The report cannot be signed and anchored: the store is not the embedded engine or its ledger signing key is missing.",
  },
  REPORT_MALFORMED: { status: 400, description: "The report given to verify is not a meshlog report (a required field is missing or has the wrong type)." },
});
