// An error as a person reads it: its kind, its message, the script's stderr as preformatted text.
import { errorParts } from "./outcome";
import "./outcome.css";

export function ErrorDetails({ error, label = "error" }: { error: unknown; label?: string }) {
  const e = errorParts(error);
  if (!e) return null;
  return (
    <div className="error-details" data-testid="error-details">
      <p>
        {e.kind && (
          <span className="badge badge-failed" data-testid="error-kind">
            {e.kind.replace(/_/g, " ")}
          </span>
        )}{" "}
        <span className="error-message">{e.message}</span>
        {e.field && <span className="muted small"> (field {e.field})</span>}
        {e.retryable && <span className="muted small"> · a retry may help</span>}
      </p>
      {e.stderr !== null && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section className="stderr" tabIndex={0} aria-label={`stderr of the ${label}`}>
          <pre>{e.stderr || "(empty)"}</pre>
        </section>
      )}
    </div>
  );
}
