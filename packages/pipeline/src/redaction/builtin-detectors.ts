// The built-in redaction rules, in the order they run (credential forms before the generic PII ones).

import { creditCardDetector } from "./detect-card.js";
import { emailDetector, ipv4Detector, ipv6Detector, ssnDetector } from "./detect-pii.js";
import {
  awsAccessKeyDetector,
  awsSecretKeyDetector,
  bearerTokenDetector,
  githubTokenDetector,
  jwtDetector,
  passwordDetector,
  slackTokenDetector,
  urlPasswordDetector,
} from "./detect-secrets.js";
import type { Detector } from "./detector.js";

/** Built-in detectors in application order. A value is rewritten by each in turn. */
export const BUILTIN_DETECTORS: readonly Detector[] = [
  urlPasswordDetector,
  bearerTokenDetector,
  jwtDetector,
  githubTokenDetector,
  slackTokenDetector,
  awsAccessKeyDetector,
  awsSecretKeyDetector,
  passwordDetector,
  creditCardDetector,
  ssnDetector,
  emailDetector,
  ipv4Detector,
  ipv6Detector,
];

export const BUILTIN_RULE_NAMES = [
  "url_password",
  "bearer_token",
  "jwt",
  "github_token",
  "slack_token",
  "aws_access_key",
  "aws_secret_key",
  "password",
  "credit_card",
  "ssn",
  "email",
  "ipv4",
  "ipv6",
] as const;

export type BuiltinRuleName = (typeof BUILTIN_RULE_NAMES)[number];

/** Rules off unless enabled: IP addresses (kept by default, as Datadog and Fluent Bit users expect). */
export const RULES_OFF_BY_DEFAULT: ReadonlySet<string> = new Set(["ipv4", "ipv6"]);
