// Error codes of the alerting feature: rule groups, receivers, incidents.

import { defineErrors } from "@meshlog/core";

export const AlertingErrors = defineErrors("server-alerting", {
  ALERT_RULE_INVALID: { status: 400, description: "A rule group is malformed; the message names the field (e.g. rules[0].expr)." },
  ALERT_RULE_NOT_FOUND: { status: 404, description: "The rule namespace or group does not exist for this tenant." },
  ALERT_RULE_READONLY: { status: 409, description: "The rule namespace is defined in the config file (alerting.rules) and cannot be changed through the API." },
  ALERT_RECEIVER_INVALID: { status: 400, description: "A receiver definition is malformed; the message names the field." },
  ALERT_RECEIVER_NOT_FOUND: { status: 404, description: "No receiver of this name exists for the tenant." },
  ALERT_INCIDENT_NOT_FOUND: { status: 404, description: "No incident of this id exists for the tenant." },
  ALERT_LIMIT_EXCEEDED: { status: 400, description: "A tenant has too many rule groups, rules or receivers (limits in the message)." },
  ALERT_UNAVAILABLE: { status: 503, description: "The alerting service is not running on this server." },
});
