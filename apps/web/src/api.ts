// The UI's API access: same-origin requests authenticated by the HttpOnly session cookie (the token never sits in JS storage or URLs).

import { ApiRequestError, MeshlogClient, type WhoAmI } from "@meshlog/api";

/** Header the server requires on cookie-authenticated writes (cross-site request forgery guard). */
const UI_HEADER = { "x-meshlog-ui": "1" };

export const api = new MeshlogClient({ baseUrl: "", headers: UI_HEADER });

export async function signIn(token: string): Promise<WhoAmI> {
  return api.request<WhoAmI>("POST", "/api/v1/session", { body: { token } });
}

export async function signOut(): Promise<void> {
  await api.request("DELETE", "/api/v1/session");
}

/** The current principal, or undefined when not signed in. */
export async function currentUser(): Promise<WhoAmI | undefined> {
  try {
    return await api.request<WhoAmI>("GET", "/api/v1/session");
  } catch (err) {
    if (err instanceof ApiRequestError && (err.status === 401 || err.status === 403)) return undefined;
    throw err;
  }
}

export function errorText(err: unknown): string {
  if (err instanceof ApiRequestError) return `${err.message} (HTTP ${err.status}${err.code ? `, ${err.code}` : ""})`;
  return err instanceof Error ? err.message : String(err);
}
