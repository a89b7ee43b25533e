import { StringStream } from "@codemirror/language";
import { describe, expect, it } from "vitest";
import { jinja } from "./jinja";

function tokens(line: string): [string, string | null][] {
  const state = jinja.startState();
  const stream = new StringStream(line, 2, 2);
  const out: [string, string | null][] = [];
  while (!stream.eol()) {
    const style = jinja.token(stream, state);
    out.push([stream.current(), style]);
    stream.start = stream.pos;
  }
  return out.filter(([text]) => text.trim() !== "");
}

describe("jinja tokens", () => {
  it("marks the delimiters, names, attributes, filters, strings and keywords of an expression", () => {
    expect(tokens("Hi {{ nodes.fetch.output | upper if x else 'none' }}!")).toEqual([
      ["Hi ", null],
      ["{{", "meta"],
      ["nodes", "variableName"],
      [".", "operator"],
      ["fetch", "propertyName"],
      [".", "operator"],
      ["output", "propertyName"],
      ["|", "operator"],
      ["upper", "variableName.function"],
      ["if", "keyword"],
      ["x", "variableName"],
      ["else", "keyword"],
      ["'none'", "string"],
      ["}}", "meta"],
      ["!", null],
    ]);
  });

  it("reads a statement and a comment, and text with a lone brace", () => {
    expect(tokens("{# note #}a{b{% if 1 %}")).toEqual([
      ["{#", "comment"],
      [" note #}", "comment"],
      ["a{", null],
      ["b", null],
      ["{%", "meta"],
      ["if", "keyword"],
      ["1", "number"],
      ["%}", "meta"],
    ]);
  });
});
