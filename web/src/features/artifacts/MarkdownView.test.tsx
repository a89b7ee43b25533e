import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import MarkdownView from "./MarkdownView";

const html = (text: string) => renderToStaticMarkup(<MarkdownView text={text} label="x" />);

describe("Markdown as a reviewer sees it", () => {
  it("renders Markdown, tables included", () => {
    const out = html("# Title\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    expect(out).toContain("<h1>Title</h1>");
    expect(out).toContain("<strong>bold</strong>");
    expect(out).toContain("<td>1</td>");
  });
  it("drops raw HTML and script links, and loads no image", () => {
    const out = html(
      '<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n[click](javascript:alert(1)) ![pic](https://tracker.example/p.png)\n',
    );
    expect(out).not.toMatch(/<script|<img|onerror|javascript:/i);
    expect(out).toContain('href="https://tracker.example/p.png"'); // a link to the picture, not the picture
  });
});
