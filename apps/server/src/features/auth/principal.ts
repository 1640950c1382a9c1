// Who is calling: principals, roles and the authenticator contract used by the HTTP edge and TCP receivers.

export type Role = "admin" | "auditor" | "analyst" | "ingest";
export const ROLES: readonly Role[] = ["admin", "auditor", "analyst", "ingest"];

/** An authenticated caller. */
export interface Principal {
  /** Stable id of the principal (user or service account). */
  readonly id: string;
  readonly name: string;
  readonly kind: "user" | "service" | "bootstrap";
  /** Home tenant; data is read and written here unless X-Scope-OrgID is allowed and given. */
  readonly tenant: string;
  readonly roles: readonly Role[];
  /** LogQL stream selector limiting what this principal may read, e.g. {namespace="team-a"}. */
  readonly scope?: string;
  /** Tenants this principal may select with X-Scope-OrgID ("*" = any). */
  readonly tenants: readonly string[] | "*";
  /** Id of the token used, when authenticated by token. */
  readonly tokenId?: string;
}

/** Where a credential came from, so audit events can say how a caller authenticated. */
export type CredentialKind = "bearer" | "basic" | "apikey" | "dd-api-key" | "shared-key" | "client-cert";

/** Resolves a presented secret to a principal. Implementations must compare in constant time and never log secrets. */
export interface Authenticator {
  authenticate(secret: string, kind: CredentialKind): Promise<Principal | undefined>;
}

export function hasRole(p: Principal, ...roles: Role[]): boolean {
  return p.roles.includes("admin") || roles.some((r) => p.roles.includes(r));
}
