// The completion of references both template fields offer, the plain one and CodeMirror's: what is offered at
// the caret, which option is active, and the listbox that shows them (an ARIA combobox's popup).
import { useId, useMemo, useState } from "react";
import { type Completion, type CompletionResult, complete, type Draft, type ExpressionPlace } from "./model";

export function useCompletions(draft: Draft, place: ExpressionPlace, value: string) {
  const [caret, setCaret] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const listId = useId();
  const result: CompletionResult | null = useMemo(
    () => (caret === null || dismissed ? null : complete(draft, place, value, caret)),
    [draft, place, value, caret, dismissed],
  );
  const options = result?.options ?? [];
  return { result, options, open: options.length > 0, active, setActive, setCaret, setDismissed, listId };
}

export function CompletionList({
  listId,
  options,
  active,
  onPick,
}: {
  listId: string;
  options: readonly Completion[];
  active: number;
  onPick: (index: number) => void;
}) {
  if (options.length === 0) return null;
  return (
    <div className="completions" id={listId} role="listbox" aria-label="Completions">
      {options.map((o, i) => (
        <div
          key={o.label}
          id={`${listId}-${i}`}
          role="option"
          tabIndex={-1}
          aria-selected={i === active}
          className={i === active ? "active" : ""}
          onMouseDown={(e) => {
            e.preventDefault(); // the field keeps the focus
            onPick(i);
          }}
        >
          <span className="completion-label">{o.label}</span>
          <span className="completion-detail">{o.detail}</span>
        </div>
      ))}
    </div>
  );
}
