// Markdown, loaded when first shown: the parser (remark, micromark) stays out of the main bundle.
import { lazy, Suspense } from "react";

const MarkdownView = lazy(() => import("./MarkdownView"));

export function Markdown({ text, label }: { text: string; label: string }) {
  return (
    <Suspense
      fallback={
        <section className="markdown" aria-label={label} aria-busy="true">
          <p>{text}</p>
        </section>
      }
    >
      <MarkdownView text={text} label={label} />
    </Suspense>
  );
}
