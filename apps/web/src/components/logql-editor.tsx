// LogQL editor: syntax highlighting, completion of labels, values and pipeline stages, error position, Ctrl/Cmd+Enter to run.

import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { api } from "../api.js";
import { completionContext, PIPELINE_STAGES, tokenize, type CompletionContext } from "../logql-tokens.js";

export interface EditorProps {
  value: string;
  onChange(v: string): void;
  onRun(): void;
  /** Error message from the server; a "col N" in it underlines that position. */
  error?: string | undefined;
}

function errorColumn(error: string | undefined): number | undefined {
  const m = error === undefined ? null : /col(?:umn)?\s+(\d+)/i.exec(error);
  return m === null ? undefined : Number(m[1]) - 1;
}

export function LogqlEditor({ value, onChange, onRun, error }: EditorProps) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [ctx, setCtx] = useState<CompletionContext>({ kind: "none" });
  const [items, setItems] = useState<string[]>([]);
  const [sel, setSel] = useState(0);
  const labelCache = useRef(new Map<string, string[]>());
  const errCol = errorColumn(error);

  const highlighted = useMemo(() => {
    const toks = tokenize(value);
    return toks.map((t, i) => {
      const marked = errCol !== undefined && errCol >= t.start && errCol < t.start + t.text.length;
      return (
        <span key={i} className={`tok-${t.kind}${marked ? " err-mark" : ""}`}>
          {t.text}
        </span>
      );
    });
  }, [value, errCol]);

  useEffect(() => {
    let cancelled = false;
    const load = async (key: string, fetcher: () => Promise<string[]>) => {
      const cached = labelCache.current.get(key);
      if (cached) return cached;
      const v = await fetcher().catch(() => []);
      labelCache.current.set(key, v);
      return v;
    };
    void (async () => {
      let list: string[] = [];
      if (ctx.kind === "label-name") list = await load("__names__", async () => (await api.labels()).data ?? []);
      else if (ctx.kind === "label-value") list = await load(`v:${ctx.label}`, async () => (await api.labelValues(ctx.label)).data ?? []);
      else if (ctx.kind === "stage") list = PIPELINE_STAGES;
      if (cancelled) return;
      const prefix = ctx.kind === "none" ? "" : ctx.prefix;
      setItems(ctx.kind === "none" ? [] : list.filter((x) => x.startsWith(prefix) && x !== prefix).slice(0, 50));
      setSel(0);
    })();
    return () => {
      cancelled = true;
    };
  }, [ctx]);

  const updateContext = () => {
    const el = ref.current;
    if (el) setCtx(completionContext(el.value, el.selectionStart));
  };

  const accept = (item: string) => {
    const el = ref.current;
    if (!el || ctx.kind === "none") return;
    const cursor = el.selectionStart;
    const insert = ctx.kind === "label-name" ? item : item;
    const next = value.slice(0, ctx.from) + insert + value.slice(cursor);
    onChange(next);
    setItems([]);
    requestAnimationFrame(() => {
      el.focus();
      const pos = ctx.from + insert.length;
      el.setSelectionRange(pos, pos);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      setItems([]);
      onRun();
      return;
    }
    if (items.length > 0) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        setSel((s) => (s + 1) % items.length);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        setSel((s) => (s - 1 + items.length) % items.length);
      } else if (e.key === "Tab" || e.key === "Enter") {
        e.preventDefault();
        accept(items[sel] as string);
      } else if (e.key === "Escape") setItems([]);
    } else if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      onRun();
    }
  };

  return (
    <div>
      <div className="editor" data-testid="logql-editor">
        <pre aria-hidden="true">
          {highlighted}
          {"\n"}
        </pre>
        <textarea
          ref={ref}
          aria-label="LogQL query"
          spellCheck={false}
          rows={Math.min(8, Math.max(1, value.split("\n").length))}
          value={value}
          onChange={(e) => {
            onChange(e.target.value);
            setCtx(completionContext(e.target.value, e.target.selectionStart));
          }}
          onKeyDown={onKeyDown}
          onClick={updateContext}
          onBlur={() => setTimeout(() => setItems([]), 150)}
          placeholder='{service="checkout"} |= "error"   (Enter or Ctrl+Enter runs, Shift+Enter adds a line)'
        />
        {items.length > 0 && (
          <div className="completions" role="listbox" style={{ top: "100%", left: 0 }}>
            {items.map((it, i) => (
              <div key={it} role="option" aria-selected={i === sel} className={i === sel ? "sel" : ""} onMouseDown={(e) => (e.preventDefault(), accept(it))}>
                {it}
              </div>
            ))}
          </div>
        )}
      </div>
      {error !== undefined && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
