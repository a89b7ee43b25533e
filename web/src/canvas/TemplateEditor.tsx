// A template field in CodeMirror 6: Jinja highlighting, one line where the field is one line, and the completion
// of references ExpressionInput offers (an ARIA combobox over the editable text). Loaded with the code editor.
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderText } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { useEffect, useRef } from "react";
import { CompletionList, useCompletions } from "./Completions";
import type { ExpressionInputProps } from "./ExpressionInput";
import { applyCompletion } from "./model";
import { jinja } from "./model/jinja";

const language = StreamLanguage.define(jinja);
// classes, not colours: styles.css and theme.css colour them for the light and the dark theme
const highlight = HighlightStyle.define([
  { tag: tags.meta, class: "tok-delim" },
  { tag: tags.keyword, class: "tok-keyword" },
  { tag: tags.string, class: "tok-string" },
  { tag: tags.number, class: "tok-number" },
  { tag: tags.comment, class: "tok-comment" },
  { tag: tags.propertyName, class: "tok-property" },
  { tag: tags.variableName, class: "tok-name" },
  { tag: tags.function(tags.variableName), class: "tok-filter" },
]);
const oneLine = EditorState.transactionFilter.of((tr) => (tr.newDoc.lines > 1 ? [] : tr));

export default function TemplateEditor({
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
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const aria = useRef(new Compartment());
  const { result, options, open, active, setActive, setCaret, setDismissed, listId } = useCompletions(
    draft,
    place,
    value,
  );

  const accept = (index: number) => {
    const option = options[index];
    const v = view.current;
    if (!result || !option || !v) return;
    const [text, at] = applyCompletion(value, result, option);
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text }, selection: { anchor: at } });
    setActive(0);
  };
  // the keymap is made once: it reads the list as it is now
  const keys = useRef({ open, count: options.length, active, accept });
  keys.current = { open, count: options.length, active, accept };
  const changed = useRef(onChange);
  changed.current = onChange;

  // biome-ignore lint/correctness/useExhaustiveDependencies: built once per field; value and aria follow below
  useEffect(() => {
    if (!host.current) return;
    const list = (fn: (k: typeof keys.current) => void) => () => {
      if (!keys.current.open) return false;
      fn(keys.current);
      return true;
    };
    view.current = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          Prec.highest(
            keymap.of([
              { key: "ArrowDown", run: list((k) => setActive((k.active + 1) % k.count)) },
              { key: "ArrowUp", run: list((k) => setActive((k.active - 1 + k.count) % k.count)) },
              { key: "Enter", run: list((k) => k.accept(k.active)) },
              { key: "Tab", run: list((k) => k.accept(k.active)) },
              { key: "Escape", run: list(() => setDismissed(true)) },
            ]),
          ),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          language,
          syntaxHighlighting(highlight),
          multiline ? EditorView.lineWrapping : oneLine,
          placeholder ? placeholderText(placeholder) : [],
          aria.current.of([]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) {
              changed.current(u.state.doc.toString());
              setDismissed(false);
              setActive(0);
            }
            if (u.docChanged || u.selectionSet || u.focusChanged)
              setCaret(u.view.hasFocus ? u.state.selection.main.head : null);
          }),
        ],
      }),
    });
    return () => view.current?.destroy();
  }, []);

  // the field's label names it (its <label for> points at no input here), and the list state is announced
  useEffect(() => {
    const label = document.querySelector<HTMLLabelElement>(`label[for="${CSS.escape(id)}"]`);
    if (label && !label.id) label.id = `${id}-label`;
    const attributes: { [name: string]: string } = {
      id,
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": String(open),
      "aria-controls": listId,
    };
    if (label) attributes["aria-labelledby"] = label.id;
    if (describedBy) attributes["aria-describedby"] = describedBy;
    if (invalid) attributes["aria-invalid"] = "true";
    if (open) attributes["aria-activedescendant"] = `${listId}-${active}`;
    const v = view.current;
    v?.dispatch({ effects: aria.current.reconfigure(EditorView.contentAttributes.of(attributes)) });
    // CodeMirror marks its text aria-multiline and aria-placeholder, a textbox's attributes a combobox may not
    // have (the facet overrides an attribute, never removes it); each is set once, not again while it is the same
    v?.contentDOM.removeAttribute("aria-multiline");
    v?.contentDOM.removeAttribute("aria-placeholder");
  }, [id, open, active, listId, describedBy, invalid]);

  // a change from outside (undo in the editor, another node selected) replaces the text
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  return (
    <div className="expr-wrap">
      <div
        ref={host}
        className={`template-editor ${multiline ? "multiline" : "single"} ${invalid ? "invalid" : ""}`}
      />
      <CompletionList listId={listId} options={options} active={active} onPick={accept} />
    </div>
  );
}
