// Validation of token and principal requests (admin API and stores); errors name the offending field.

import { z } from "zod";
import { isValidTenant, MeshlogError, parseDurationNs } from "@meshlog/core";
import { SecurityErrors } from "./errors.js";
import { ROLES, type Role } from "./principal.js";
import { normalizeScope } from "./scope-selector.js";

const tenant = z.string().refine(isValidTenant, "must be a tenant id (letters, digits, _ . -; at most 64 characters)");
const role = z.enum(ROLES as unknown as [Role, ...Role[]]);
const roles = z.array(role).min(1, "needs at least one role").max(4);
const tenants = z.union([z.literal("*"), z.array(tenant).max(256)]);
const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");
const principalId = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.@-]{0,127}$/, "must be 1-128 characters: letters, digits, _ . @ -");

export const tokenCreateSchema = z
  .object({
    tenant,
    roles,
    scope: z.string().optional(),
    expiresIn: z.string().optional(),
    name: name.optional(),
    principal: principalId.optional(),
    tenants: tenants.optional(),
  })
  .strict();

export const principalCreateSchema = z
  .object({
    id: principalId.refine((id) => !id.startsWith("svc-"), 'must not start with "svc-" (reserved for token service identities)'),
    name: name.optional(),
    kind: z.enum(["user", "service"]).default("user"),
    tenant,
    roles,
    scope: z.string().optional(),
    tenants: tenants.optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

export const principalUpdateSchema = z
  .object({
    name: name.optional(),
    tenant: tenant.optional(),
    roles: roles.optional(),
    scope: z.string().nullable().optional(),
    tenants: tenants.optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

export type TokenCreateInput = z.infer<typeof tokenCreateSchema>;
export type PrincipalCreateInput = z.infer<typeof principalCreateSchema>;
export type PrincipalUpdateInput = z.infer<typeof principalUpdateSchema>;

/** Parses a request body with a schema; throws SECURITY_FIELD_INVALID naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new MeshlogError(SecurityErrors.SECURITY_FIELD_INVALID, `${what}: the body must be a JSON object`);
  }
  const r = schema.safeParse(body);
  if (r.success) {
    const v = r.data as Record<string, unknown>;
    if (typeof v.scope === "string") v.scope = normalizeScope(v.scope);
    if (typeof v.expiresIn === "string") expiresInNs(v.expiresIn);
    return r.data;
  }
  const issue = r.error.issues[0];
  const path = issue?.path.join(".") ?? "";
  const msg =
    issue?.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : `${path === "" ? "body" : path}: ${issue?.message ?? "invalid"}`;
  throw new MeshlogError(SecurityErrors.SECURITY_FIELD_INVALID, `${what}: ${msg}`, { details: { field: path } });
}

/** Parses `expiresIn` ("30d", "12h"); must be positive and at most 10 years. */
export function expiresInNs(text: string): bigint {
  let ns: bigint;
  try {
    ns = parseDurationNs(text, "expiresIn");
  } catch (err) {
    throw new MeshlogError(SecurityErrors.SECURITY_FIELD_INVALID, (err as Error).message, { details: { field: "expiresIn" } });
  }
  if (ns <= 0n || ns > 10n * 365n * 86_400n * 1_000_000_000n) {
    throw new MeshlogError(SecurityErrors.SECURITY_FIELD_INVALID, `expiresIn: ${JSON.stringify(text)} must be more than 0 and at most 10y`, {
      details: { field: "expiresIn" },
    });
  }
  return ns;
}
