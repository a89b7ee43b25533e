// A code task's configuration comes from Python (the SDK), not from the editor: shown read-only.

/** Kinds whose nodes are made in code: the palette does not offer them. */
export const FROM_CODE: ReadonlySet<string> = new Set(["task"]);

/** The function a task node names and the short form of the code hash it pins. */
export function taskCode(config: Record<string, unknown> | undefined): { ref: string; hash: string } {
  const c = config ?? {};
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
