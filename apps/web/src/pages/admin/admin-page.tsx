// Admin: tokens (create shows the secret once, list, revoke) and principals with their roles and scopes.

import { useEffect, useState } from "react";
import type { Role, TokenInfo } from "@meshlog/api";
import { api, errorText } from "../../api.js";
import { GridTable } from "../../components/grid-table.js";

const ROLES: Role[] = ["admin", "auditor", "analyst", "ingest"];

export function AdminPage() {
  const [tokens, setTokens] = useState<TokenInfo[]>();
  const [principals, setPrincipals] = useState<Record<string, unknown>[]>();
  const [error, setError] = useState<string>();
  const [tenant, setTenant] = useState("default");
  const [roles, setRoles] = useState<Role[]>(["analyst"]);
  const [scope, setScope] = useState("");
  const [expires, setExpires] = useState("30d");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ id: string; token: string }>();

  const load = async () => {
    try {
      const t = await api.listTokens();
      setTokens(Array.isArray(t) ? t : t.tokens);
      const p = await api.request<Record<string, unknown>[] | { principals: Record<string, unknown>[] }>("GET", "/api/v1/principals").catch(() => []);
      setPrincipals(Array.isArray(p) ? p : p.principals);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const create = async () => {
    setError(undefined);
    try {
      const res = await api.createToken({
        tenant,
        roles,
        ...(scope.trim() ? { scope: scope.trim() } : {}),
        ...(expires ? { expiresIn: expires } : {}),
        ...(name ? { name } : {}),
      });
      setCreated(res);
      void load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <>
      <div className="toolbar">
        <h1>Admin</h1>
      </div>
      <div className="content">
        {error && <div className="error">{error}</div>}
        <div className="panel">
          <h2>Create a token</h2>
          <div className="row">
            <input aria-label="Token name" placeholder="name (e.g. grafana)" value={name} onChange={(e) => setName(e.target.value)} />
            <input aria-label="Tenant" placeholder="tenant" value={tenant} onChange={(e) => setTenant(e.target.value)} />
            {ROLES.map((r) => (
              <label key={r}>
                <input
                  type="checkbox"
                  checked={roles.includes(r)}
                  onChange={(e) => setRoles(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))}
                />{" "}
                {r}
              </label>
            ))}
            <input
              aria-label="Scope"
              placeholder='scope, e.g. {namespace="team-a"}'
              value={scope}
              onChange={(e) => setScope(e.target.value)}
              style={{ fontFamily: "monospace" }}
            />
            <input aria-label="Expires in" placeholder="expires in (30d)" value={expires} onChange={(e) => setExpires(e.target.value)} size={8} />
            <button className="primary" onClick={() => void create()} disabled={roles.length === 0}>
              Create
            </button>
          </div>
          {created && (
            <div style={{ marginTop: 10 }} data-testid="created-token">
              <div>Copy this token now: it is shown once and stored only as a hash.</div>
              <pre className="code">{created.token}</pre>
              <button onClick={() => void navigator.clipboard?.writeText(created.token)}>Copy</button>{" "}
              <button onClick={() => setCreated(undefined)}>Done</button>
            </div>
          )}
        </div>
        <div className="panel">
          <h2>Tokens</h2>
          {tokens === undefined ? (
            <div className="muted">Loading…</div>
          ) : (
            <GridTable headers={["Id", "Name", "Tenant", "Roles", "Scope", "Expires", "Last used", ""]} testId="tokens-table">
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td style={{ fontFamily: "monospace" }}>{t.id}</td>
                  <td>{t.name ?? ""}</td>
                  <td>{t.tenant}</td>
                  <td>{t.roles.join(", ")}</td>
                  <td style={{ fontFamily: "monospace" }}>{t.scope ?? ""}</td>
                  <td>{t.expiresAt ? new Date(t.expiresAt).toLocaleDateString() : "never"}</td>
                  <td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "never"}</td>
                  <td>
                    {t.revokedAt ? (
                      <span className="badge fail">revoked</span>
                    ) : (
                      <button className="danger" onClick={() => void api.revokeToken(t.id).then(load, (e: unknown) => setError(errorText(e)))}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </GridTable>
          )}
        </div>
        <div className="panel">
          <h2>Principals</h2>
          {principals === undefined || principals.length === 0 ? (
            <div className="muted">No principals besides token holders.</div>
          ) : (
            <pre className="code">{JSON.stringify(principals, null, 2)}</pre>
          )}
        </div>
      </div>
    </>
  );
}
