import { useState } from "react";
import { Button, ErrorNote, Field } from "../../lib/controls";
import { useSession } from "../../lib/session";

export function SignIn() {
  const { signIn } = useSession();
  const [key, setKey] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin" aria-labelledby="signin-title">
      <form
        className="signin-card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await signIn(key.trim());
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1 id="signin-title">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{" "}
          Lockgate
        </h1>
        <p className="muted">
          Sign in with an API key. <code>lockgate serve</code> prints the first admin key when it starts;{" "}
          <code>lockgate keys create</code> makes more.
        </p>
        <Field label="API key" hint="Kept in this tab's session storage only.">
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="off"
              placeholder="lg_…"
              value={key}
              onChange={(e) => setKey(e.target.value)}
            />
          )}
        </Field>
        <ErrorNote error={error} />
        <Button variant="primary" type="submit" disabled={!key.trim() || busy}>
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </main>
  );
}
