// A tokenizer for templates (Jinja: `{{ expression }}`, `{% statement %}`, `{# comment #}`), in the shape of a
// CodeMirror stream parser but with no CodeMirror import, so it is tested as plain TS.
export interface JinjaState {
  inside: "" | "expr" | "stmt" | "comment";
  afterDot: boolean;
  afterPipe: boolean;
}

/** The subset of CodeMirror's StringStream the tokenizer reads. */
export interface Stream {
  match(pattern: string | RegExp, consume?: boolean): unknown;
  next(): unknown;
  eatSpace(): unknown;
  skipTo(text: string): unknown;
  skipToEnd(): void;
}

const CLOSE = { expr: "}}", stmt: "%}", comment: "#}" } as const;
const KEYWORDS = /^(?:if|else|elif|endif|for|in|endfor|and|or|not|is|set|true|false|none|True|False|None)\b/;

export const jinja = {
  name: "jinja",
  startState: (): JinjaState => ({ inside: "", afterDot: false, afterPipe: false }),
  token(stream: Stream, state: JinjaState): string | null {
    if (state.inside === "") {
      const open = stream.match(/^\{[{%#]-?/) as RegExpMatchArray | null;
      if (open) {
        const mark = open[0][1];
        state.inside = mark === "{" ? "expr" : mark === "%" ? "stmt" : "comment";
        return state.inside === "comment" ? "comment" : "meta";
      }
      // plain text up to the next opening
      if (!stream.skipTo("{")) stream.skipToEnd();
      else if (!stream.match(/^\{[{%#]/, false)) stream.next();
      return null;
    }
    const close = CLOSE[state.inside];
    if (state.inside === "comment") {
      if (stream.skipTo(close)) {
        stream.match(close);
        state.inside = "";
      } else stream.skipToEnd();
      return "comment";
    }
    if (stream.eatSpace()) return null;
    if (stream.match(new RegExp(`^-?${close === "}}" ? "\\}\\}" : "%\\}"}`))) {
      state.inside = "";
      return "meta";
    }
    const wasDot = state.afterDot;
    const wasPipe = state.afterPipe;
    state.afterDot = false;
    state.afterPipe = false;
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^'\\]|\\.)*'?/)) return "string";
    if (stream.match(/^\d+(?:\.\d+)?/)) return "number";
    if (stream.match(KEYWORDS)) return "keyword";
    if (stream.match(/^[A-Za-z_][\w-]*/))
      return wasPipe ? "variableName.function" : wasDot ? "propertyName" : "variableName";
    if (stream.match(".")) {
      state.afterDot = true;
      return "operator";
    }
    if (stream.match("|")) {
      state.afterPipe = true;
      return "operator";
    }
    stream.next();
    return "operator";
  },
};
