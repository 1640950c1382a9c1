// Sign-in with an API token; the server turns it into an HttpOnly session cookie.

import { useState } from "react";
import type { WhoAmI } from "@meshlog/api";
import { errorText, signIn } from "../../api.js";

export function SignInPage({ onSignedIn }: { onSignedIn(who: WhoAmI): void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(token.trim()));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="signin panel">
      <h2>Sign in to meshlog</h2>
      <p className="muted">
        Paste an API token. The admin token was printed at the server's first start and saved to <code>data/admin.token</code>; create others with{" "}
        <code>meshlog token create</code>.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <input
          type="password"
          autoComplete="current-password"
          aria-label="API token"
          placeholder="mlg_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        <button className="primary" type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
