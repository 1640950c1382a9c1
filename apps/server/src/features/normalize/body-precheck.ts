// Cheap test run before body parsing: rejects lines no body parser could structure, by their first bytes.

/**
 * True when `body` might be one of the formats `parseBody` recognizes (docs/specs/fields.md): a JSON object
 * (`{`), syslog (`<digit`), an Envoy/Istio access log (`[`), a CRI line or a CLF/Linkerd access log starting
 * with a timestamp or an address (a digit), a CLF line with a host name before ` [`, or logfmt (two `=`).
 * False means parsing would certainly give `plain`; true does not promise a match. Reads at most the first
 * bytes plus two native substring scans, so plain prose costs next to nothing.
 */
export function mightBeStructured(body: string): boolean {
  let i = 0;
  const n = body.length;
  while (i < n && i < 64 && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
  const c = body.charCodeAt(i);
  if (c === 123 /* { */ || c === 91 /* [ */) return true;
  if (c === 60 /* < */) {
    const d = body.charCodeAt(i + 1);
    if (d >= 48 && d <= 57) return true;
  } else if (c >= 48 && c <= 57) return true;
  const bracket = body.indexOf(" [");
  if (bracket > 0 && bracket < 512) return true;
  // logfmt needs at least two key=value pairs.
  const eq = body.indexOf("=");
  return eq > 0 && body.indexOf("=", eq + 1) > 0;
}
