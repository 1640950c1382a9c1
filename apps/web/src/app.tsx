// App shell: session check, navigation between pages (hash routes), theme switch.

import { useEffect, useState } from "react";
import type { WhoAmI } from "@meshlog/api";
import { currentUser, errorText, signOut } from "./api.js";
import { AdminPage } from "./pages/admin/admin-page.js";
import { AlertsPage } from "./pages/alerts/alerts-page.js";
import { AnomaliesPage } from "./pages/anomalies/anomalies-page.js";
import { AuditPage } from "./pages/audit/audit-page.js";
import { CompliancePage } from "./pages/compliance/compliance-page.js";
import { ExplorePage } from "./pages/explore/explore-page.js";
import { SignInPage } from "./pages/sign-in/sign-in-page.js";
import { SourcesPage } from "./pages/sources/sources-page.js";
import { TailPage } from "./pages/tail/tail-page.js";

const PAGES = ["explore", "tail", "sources", "alerts", "anomalies", "compliance", "audit", "admin"] as const;
type Page = (typeof PAGES)[number];
const TITLES: Record<Page, string> = {
  explore: "Explore",
  tail: "Live tail",
  sources: "Sources",
  alerts: "Alerts",
  anomalies: "Anomalies",
  compliance: "Compliance",
  audit: "Audit trail",
  admin: "Admin",
};

const pageFromHash = (): Page => {
  const p = location.hash.replace(/^#\/?/, "").split("?")[0] as Page;
  return PAGES.includes(p) ? p : "explore";
};

export function App() {
  const [who, setWho] = useState<WhoAmI | null>();
  const [page, setPage] = useState<Page>(pageFromHash);
  const [theme, setTheme] = useState(() => localStorage.getItem("meshlog.theme") ?? "dark");
  const [error, setError] = useState<string>();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("meshlog.theme", theme);
  }, [theme]);
  useEffect(() => {
    currentUser().then(
      (w) => setWho(w ?? null),
      (e: unknown) => setError(errorText(e)),
    );
    const onHash = () => setPage(pageFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  if (error) return <div className="signin panel error">The server could not be reached: {error}</div>;
  if (who === undefined) return <div className="empty">Loading…</div>;
  if (who === null) return <SignInPage onSignedIn={setWho} />;
  const roles = who.roles;
  const isAdmin = roles.includes("admin");
  const visible = PAGES.filter((p) =>
    p === "admin"
      ? isAdmin
      : p === "alerts" || p === "anomalies"
        ? isAdmin || roles.includes("analyst") || roles.includes("auditor")
        : p === "audit" || p === "compliance"
          ? isAdmin || roles.includes("auditor")
          : p === "sources"
            ? true
            : isAdmin || roles.includes("analyst"),
  );
  return (
    <div className="app">
      <nav className="nav" aria-label="Main">
        <div className="brand">meshlog</div>
        {visible.map((p) => (
          <a key={p} href={`#/${p}`} className={p === page ? "active" : ""}>
            {TITLES[p]}
          </a>
        ))}
        <span className="spacer" />
        <div className="who">
          {who.name} · {who.tenant}
          <br />
          {roles.join(", ")}
        </div>
        <a href="#" onClick={(e) => (e.preventDefault(), setTheme(theme === "dark" ? "light" : "dark"))}>
          {theme === "dark" ? "☀ Light theme" : "☾ Dark theme"}
        </a>
        <a href="#" onClick={(e) => (e.preventDefault(), void signOut().finally(() => setWho(null)))}>
          Sign out
        </a>
      </nav>
      <main className="main">
        {page === "explore" && <ExplorePage />}
        {page === "tail" && <TailPage />}
        {page === "sources" && <SourcesPage canCreateTokens={isAdmin} />}
        {page === "alerts" && <AlertsPage canAck={isAdmin || roles.includes("analyst")} />}
        {page === "anomalies" && <AnomaliesPage />}
        {page === "compliance" && <CompliancePage canVerify={isAdmin || roles.includes("auditor")} canAdminister={isAdmin} />}
        {page === "audit" && <AuditPage />}
        {page === "admin" && <AdminPage />}
      </main>
    </div>
  );
}
