// Markdown as people read it, sanitised: raw HTML is dropped (no rehype-raw), links keep to safe schemes
// (react-markdown's default URL filter), and images are shown as links so a review page loads nothing foreign.
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ),
  img: ({ src, alt }) =>
    typeof src === "string" && src ? (
      <a href={src} target="_blank" rel="noopener noreferrer">
        {alt || src}
      </a>
    ) : (
      <span>{alt}</span>
    ),
};

export default function MarkdownView({ text, label }: { text: string; label: string }) {
  return (
    <section className="markdown" aria-label={label}>
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml components={components}>
        {text}
      </ReactMarkdown>
    </section>
  );
}
