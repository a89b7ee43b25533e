// A text field that completes expressions: type `{{ ` and the names valid at this place are offered
// (an ARIA combobox: arrows pick, Enter or Tab inserts, Escape closes).
import { lazy, Suspense, useLayoutEffect, useRef } from "react";
import { CompletionList, useCompletions } from "./Completions";
import { applyCompletion, type Draft, type ExpressionPlace } from "./model";

export interface ExpressionInputProps {
  id: string;
  value: string;
  onChange: (value: string) => void;
  draft: Draft;
  place: ExpressionPlace;
  multiline?: boolean;
  placeholder?: string;
  describedBy?: string;
  invalid?: boolean;
}

// CodeMirror with template highlighting, in the code editor's lazily loaded chunk; the plain field until it is in
const TemplateEditor = lazy(() => import("./TemplateEditor"));

export function ExpressionInput(props: ExpressionInputProps) {
  return (
    <Suspense fallback={<PlainExpressionInput {...props} />}>
      <TemplateEditor {...props} />
    </Suspense>
  );
}

function PlainExpressionInput({
  id,
  value,
  onChange,
  draft,
  place,
  multiline = false,
  placeholder,
  describedBy,
  invalid,
}: ExpressionInputProps) {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const pendingCaret = useRef<number | null>(null);
  // after a completion is inserted the caret goes right after it, in the same commit as the new value
  useLayoutEffect(() => {
    const at = pendingCaret.current;
    if (at !== null && ref.current && ref.current.value === value) {
      ref.current.setSelectionRange(at, at);
      pendingCaret.current = null;
    }
  }, [value]);
  const { result, options, open, active, setActive, setCaret, setDismissed, listId } = useCompletions(
    draft,
    place,
    value,
  );

  const accept = (index: number) => {
    const option = options[index];
    if (!result || !option) return;
    const [text, at] = applyCompletion(value, result, option);
    pendingCaret.current = at;
    onChange(text);
    setCaret(at);
    setActive(0);
  };

  const props = {
    id,
    ref,
    value,
    placeholder,
    className: `expr ${multiline ? "code" : ""}`,
    role: "combobox",
    "aria-autocomplete": "list" as const,
    "aria-expanded": open,
    "aria-controls": listId,
    "aria-activedescendant": open ? `${listId}-${active}` : undefined,
    "aria-describedby": describedBy,
    "aria-invalid": invalid || undefined,
    spellCheck: false,
    autoComplete: "off",
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      onChange(e.target.value);
      setCaret(e.target.selectionStart);
      setDismissed(false);
      setActive(0);
    },
    onSelect: (e: React.SyntheticEvent<HTMLInputElement | HTMLTextAreaElement>) =>
      setCaret((e.target as HTMLInputElement).selectionStart),
    onBlur: () => setTimeout(() => setCaret(null), 150),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (!open) return;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        setActive((a) => (a + 1) % options.length);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        setActive((a) => (a - 1 + options.length) % options.length);
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        accept(active);
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        setDismissed(true);
      }
    },
  };
  return (
    <div className="expr-wrap">
      {multiline ? <textarea rows={3} {...props} /> : <input type="text" {...props} />}
      <CompletionList listId={listId} options={options} active={active} onPick={accept} />
    </div>
  );
}
