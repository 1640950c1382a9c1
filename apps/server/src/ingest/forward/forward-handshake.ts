// The forward-protocol handshake (HELO / PING / PONG) and meshlog's rules for who a connection is.
//
// Authentication rules (the handshake only ever carries SHA-512 digests of secrets, except the username):
// - forwardSharedKey set: the client proves it knows the shared key; the connection writes as an ingest-only
//   principal of forwardTenant. A client that also sends a username must send a meshlog ingest token there;
//   the token's principal (and tenant) is then used.
// - forwardSharedKey empty: the client sends a meshlog ingest token as the username (sent in the clear inside
//   the connection, like an HTTP bearer token: use TLS off loopback) and uses the same token as shared_key.
// - forwardAllowAnonymous (and no shared key): no handshake; the connection writes as forwardTenant.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Authenticator, Principal } from "../../features/auth/principal.js";
import { hasRole } from "../../features/auth/principal.js";

export interface HandshakePolicy {
  /** Configured shared key ("" = token logins only). */
  readonly sharedKey: string;
  /** Tenant of shared-key and anonymous connections. */
  readonly tenant: string;
  readonly serverHostname: string;
}

/** Per-connection handshake secrets sent in HELO. */
export interface HandshakeState {
  readonly nonce: Buffer;
  readonly authSalt: Buffer;
}

export type PingResult =
  { readonly ok: true; readonly principal: Principal; readonly pong: unknown[] } | { readonly ok: false; readonly reason: string; readonly pong: unknown[] };

/** hex(sha512(salt + hostname + nonce + key)), the digest both PING and PONG carry. */
export function sharedKeyDigest(salt: Uint8Array, hostname: string, nonce: Uint8Array, key: string): string {
  return createHash("sha512").update(salt).update(hostname).update(nonce).update(key).digest("hex");
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The principal of shared-key and anonymous connections: ingest only, one tenant. */
export function forwardServicePrincipal(tenant: string, how: "shared-key" | "anonymous"): Principal {
  return { id: `forward-${how}`, name: `forward ${how}`, kind: "service", tenant, roles: ["ingest"], tenants: [tenant] };
}

export function newHandshake(): HandshakeState {
  return { nonce: randomBytes(16), authSalt: randomBytes(16) };
}

/** ["HELO", {nonce, auth, keepalive}]: nonce and auth salt as bin, so every client hashes the same bytes. */
export function heloMessage(state: HandshakeState): unknown[] {
  return ["HELO", { nonce: state.nonce, auth: state.authSalt, keepalive: true }];
}

/** Verifies a PING and builds the PONG to send (on failure the caller sends it and closes). */
export async function verifyPing(
  ping: { hostname: string; salt: Uint8Array; digest: string; username: string },
  state: HandshakeState,
  policy: HandshakePolicy,
  auth: Authenticator,
): Promise<PingResult> {
  const fail = (reason: string): PingResult => ({ ok: false, reason, pong: ["PONG", false, reason, policy.serverHostname, ""] });
  if (ping.hostname === policy.serverHostname) return fail("same hostname between client and server: invalid configuration");
  let principal: Principal | undefined;
  let key = policy.sharedKey;
  if (ping.username !== "") {
    principal = await auth.authenticate(ping.username, "shared-key");
    if (principal === undefined) return fail("username is not a valid meshlog token");
    if (!hasRole(principal, "ingest")) return fail("the token lacks the ingest role");
    if (key === "") key = ping.username;
  } else if (key === "") {
    return fail("authentication required: send a meshlog ingest token as username and shared key");
  }
  if (!sameHex(sharedKeyDigest(ping.salt, ping.hostname, state.nonce, key), ping.digest)) return fail("shared key mismatch");
  principal ??= forwardServicePrincipal(policy.tenant, "shared-key");
  return { ok: true, principal, pong: ["PONG", true, "", policy.serverHostname, sharedKeyDigest(ping.salt, policy.serverHostname, state.nonce, key)] };
}
