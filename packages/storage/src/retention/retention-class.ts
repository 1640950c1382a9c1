// Retention durations ("90d", "4w", "1y") and the block retention class names that encode them ("r90d").

import { MeshlogError } from "@meshlog/core";
import { RetentionErrors } from "./errors.js";

export const NS_PER_DAY = 86_400n * 1_000_000_000n;
/** Longest retention accepted (100 years). */
export const MAX_RETENTION_DAYS = 36_500;

const DURATION = /^([1-9]\d{0,5})([dwy])$/;
const CLASS = /^r([1-9]\d{0,5})d$/;

/** Days of a retention duration: "90d", "4w" (28 days), "1y" (365 days). Throws RETENTION_POLICY_INVALID naming `where`. */
export function parseRetentionDays(text: unknown, where: string): number {
  const m = typeof text === "string" ? DURATION.exec(text) : null;
  if (m === null)
    throw new MeshlogError(
      RetentionErrors.RETENTION_POLICY_INVALID,
      `${where}: retention ${JSON.stringify(text)} must be a number of days, weeks or years such as "90d", "4w" or "1y"`,
    );
  const n = Number(m[1]);
  const days = m[2] === "d" ? n : m[2] === "w" ? n * 7 : n * 365;
  if (days > MAX_RETENTION_DAYS)
    throw new MeshlogError(RetentionErrors.RETENTION_POLICY_INVALID, `${where}: retention ${text} is longer than ${MAX_RETENTION_DAYS} days`);
  return days;
}

/** "90d" for 90 days (the canonical form stored in policies). */
export function formatRetentionDays(days: number): string {
  return `${days}d`;
}

/**
 * The retention class of blocks kept `days` days: "r<days>d". Blocks of the same class share KEKs per
 * (tenant, class, month), so a month of one class expires, and is shredded, as a whole.
 */
export function retentionClassName(days: number): string {
  return `r${days}d`;
}

/** Days encoded in a class name, or undefined for classes that do not encode one (e.g. "default"). */
export function retentionDaysOfClass(cls: string): number | undefined {
  const m = CLASS.exec(cls);
  return m === null ? undefined : Number(m[1]);
}

/** Nanosecond time of the first instant after the UTC month "yyyy-mm". */
export function periodEndNs(period: string): bigint {
  const [y, m] = period.split("-").map(Number) as [number, number];
  return BigInt(Date.UTC(y, m, 1)) * 1_000_000n;
}
