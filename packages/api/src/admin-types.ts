// Shapes of the admin and compliance API under /api/v1/.

export type Role = "admin" | "auditor" | "analyst" | "ingest";

export interface CreateTokenRequest {
  tenant: string;
  roles: Role[];
  scope?: string;
  expiresIn?: string;
  name?: string;
}
export interface CreateTokenResponse {
  id: string;
  token: string;
}
export interface TokenInfo {
  id: string;
  name?: string;
  tenant: string;
  roles: Role[];
  scope?: string;
  createdAt: string;
  expiresAt?: string | null;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
  [key: string]: unknown;
}
export interface WhoAmI {
  id: string;
  name: string;
  tenant: string;
  roles: Role[];
  scope?: string;
  tenants: string[] | "*";
  [key: string]: unknown;
}
export interface NativeIngestResponse {
  accepted: number;
  rejected: { line: number; error: string }[];
}
export interface ApiError {
  error: string;
  code: string;
}
