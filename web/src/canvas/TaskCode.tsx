// A code task's configuration comes from Python (the SDK), not from the editor: shown read-only.
import type { NodeConfig } from "../api/types";

/** The function a task node names and the code hash it pins (read by the server's field names). */
export function taskCode(config: Record<string, unknown> | undefined): { ref: string; hash: string } {
  const c: { [field in keyof NodeConfig<"task">]?: unknown } = config ?? {};
  return {
    ref: typeof c.ref === "string" ? c.ref : "",
    hash: typeof c.code_hash === "string" ? c.code_hash : "",
  };
}

export function TaskCode({ config }: { config: Record<string, unknown> | undefined }) {
  const { ref, hash } = taskCode(config);
  return (
    <div className="task-code">
      <dl>
        <dt>Function</dt>
        <dd>
          <code>{ref || "—"}</code>
        </dd>
        <dt>Code hash</dt>
        <dd>
          <code title={hash}>{hash ? hash.slice(0, 12) : "—"}</code>
        </dd>
      </dl>
      <p className="hint">
        Defined in Python and applied from code. A worker runs it only if it was started with --tasks naming
        its module and has the same code.
      </p>
    </div>
  );
}
