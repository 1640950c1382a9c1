// Renders a signed report as one self-contained printable HTML page: inline CSS, no scripts, every value escaped.

import type { ReportSection, Soc2Report } from "./report-model.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const STATUS = new Set(["pass", "attention", "fail"]);
const badge = (status: string): string => `<span class="badge ${STATUS.has(status) ? status : "fail"}">${escapeHtml(status)}</span>`;
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const label = (k: string): string => escapeHtml(k.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase());

/** Scalar or small nested value as text. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return `<span class="muted">—</span>`;
  if (typeof v === "string") return escapeHtml(v);
  if (typeof v === "number" || typeof v === "boolean") return escapeHtml(String(v));
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) return escapeHtml(v.map((x) => String(x)).join(", "));
  if (isObj(v) && Object.values(v).every((x) => typeof x !== "object" || x === null))
    return escapeHtml(
      Object.entries(v)
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(", "),
    );
  return `<code>${escapeHtml(JSON.stringify(v))}</code>`;
}

function table(rows: readonly Record<string, unknown>[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const head = cols.map((c) => `<th>${label(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Renders any JSON value: objects as definition lists, lists of objects as tables. */
function value(v: unknown, depth: number): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return `<span class="muted">none</span>`;
    if (v.every(isObj)) return table(v);
    return cell(v);
  }
  if (isObj(v) && depth < 3) {
    const items = Object.entries(v).map(([k, x]) => `<dt>${label(k)}</dt><dd>${value(x, depth + 1)}</dd>`);
    return `<dl>${items.join("")}</dl>`;
  }
  return cell(v);
}

function sectionHtml(s: ReportSection): string {
  const findings =
    s.findings.length === 0
      ? `<p class="muted">No findings.</p>`
      : `<ul class="findings">${s.findings.map((f) => `<li>${badge(f.status)} ${escapeHtml(f.message)}</li>`).join("")}</ul>`;
  return `<section id="${escapeHtml(s.id)}">
<h2>${escapeHtml(s.title)} ${badge(s.status)}</h2>
<p class="criteria">Criteria: ${escapeHtml(s.criteria.join(", "))}</p>
${findings}
${value(s.data, 0)}
</section>`;
}

const CSS = `
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.15rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0;font-size:12px}th,td{border:1px solid #d0d7de;padding:2px 5px;text-align:left;vertical-align:top;word-break:break-word}
th{background:#f3f4f6}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:.4rem 0}dt{font-weight:600;color:#57606a}dd{margin:0}
code,pre{font:11px ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all}
.badge{display:inline-block;border-radius:3px;padding:0 6px;font-size:11px;font-weight:600;text-transform:uppercase;vertical-align:middle}
.pass{background:#dafbe1;color:#116329}.attention{background:#fff8c5;color:#7d4e00}.fail{background:#ffebe9;color:#a40e26}
.muted{color:#6e7781}.criteria{color:#57606a;margin:.2rem 0}.findings{padding-left:1.2rem}
section,table,tr{break-inside:avoid-page}@media print{body{margin:0;max-width:none}a{color:inherit}}
`;

/** The report as HTML. Contains no script, no external resource and no unescaped report value. */
export function renderReportHtml(r: Soc2Report): string {
  const summary = `<table><tbody>
<tr><th>Overall</th><td>${badge(r.summary.status)}</td></tr>
<tr><th>Sections</th><td>${r.summary.pass} pass, ${r.summary.attention} attention, ${r.summary.fail} fail</td></tr>
</tbody></table>
${r.summary.findings.length === 0 ? "" : `<ul class="findings">${r.summary.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>`}`;
  const toc = r.sections.map(
    (s) =>
      `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a> ${badge(s.status)} <span class="muted">${escapeHtml(s.criteria.join(", "))}</span></li>`,
  );
  const a = r.anchor;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>SOC 2 evidence report ${escapeHtml(r.reportId)}</title>
<style>${CSS}</style></head>
<body>
<h1>SOC 2 evidence report</h1>
<dl>
<dt>report id</dt><dd><code>${escapeHtml(r.reportId)}</code></dd>
<dt>period</dt><dd>${escapeHtml(r.period.start)} — ${escapeHtml(r.period.end)}</dd>
<dt>tenants</dt><dd>${escapeHtml(r.tenants.join(", ") || "(none)")}</dd>
<dt>generated</dt><dd>${escapeHtml(r.generatedAt)} by ${escapeHtml(r.generatedBy)}</dd>
</dl>
<h2>Summary</h2>
${summary}
<ol>${toc.join("\n")}</ol>
${r.sections.map(sectionHtml).join("\n")}
<section id="signature">
<h2>Signature and ledger anchor</h2>
<p>The JSON form of this report is signed with the server's ledger Ed25519 key (canonical JSON without the signature) and its
content hash is recorded in the ledger of tenant <code>${escapeHtml(a.tenant)}</code>. Check it with
<code>meshlog report verify FILE.json</code> or <code>POST /api/v1/reports/verify</code>.</p>
<dl>
<dt>content sha-256</dt><dd><code>${escapeHtml(a.contentHash)}</code></dd>
<dt>ledger entry</dt><dd>${escapeHtml(a.tenant)} #${escapeHtml(String(a.leafIndex))} (leaf hash <code>${escapeHtml(a.leafHash)}</code>)</dd>
<dt>checkpoint</dt><dd>seq ${escapeHtml(String(a.checkpoint.seq))}, tree size ${escapeHtml(String(a.checkpoint.treeSize))}, ${escapeHtml(a.checkpoint.time)}</dd>
<dt>checkpoint root</dt><dd><code>${escapeHtml(a.checkpoint.rootHash)}</code></dd>
<dt>checkpoint signature</dt><dd><code>${escapeHtml(a.checkpoint.signature)}</code></dd>
<dt>algorithm</dt><dd>${escapeHtml(r.signature.alg)}, key id <code>${escapeHtml(r.signature.keyId)}</code></dd>
<dt>public key</dt><dd><pre>${escapeHtml(r.signature.publicKey)}</pre></dd>
<dt>signature</dt><dd><code>${escapeHtml(r.signature.value)}</code></dd>
</dl>
</section>
</body></html>
`;
}
