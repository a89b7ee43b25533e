// The shell: sign-in gate, navigation, global shortcuts, and the routes of every feature.
import { useState } from "react";
import { createBrowserRouter, Navigate, NavLink, Outlet, RouterProvider, useNavigate } from "react-router";
import { InboxPage } from "./features/approvals/InboxPage";
import { useWaitingCount } from "./features/approvals/queries";
import { TaskPage } from "./features/approvals/TaskPage";
import { SignIn } from "./features/auth/SignIn";
import { DiffPage } from "./features/pipelines/DiffPage";
import { EditorPage } from "./features/pipelines/EditorPage";
import { PipelinePage } from "./features/pipelines/PipelinePage";
import { PipelinesPage } from "./features/pipelines/PipelinesPage";
import { ComparePage } from "./features/runs/ComparePage";
import { RunPage } from "./features/runs/RunPage";
import { RunsPage } from "./features/runs/RunsPage";
import { SettingsPage } from "./features/settings/SettingsPage";
import { Button, Dialog, Loading } from "./lib/controls";
import { useHotkeys } from "./lib/hotkeys";
import { useSession } from "./lib/session";
import { setTheme, useTheme } from "./lib/theme";

const SHORTCUTS: [string, string][] = [
  ["g p", "Pipelines"],
  ["g r", "Runs"],
  ["g s", "Settings"],
  ["g a", "Approvals"],
  ["Approvals: ↑ ↓ (or j k), Enter", "Move in the inbox, open a task"],
  ["/", "Search pipelines"],
  ["n", "New pipeline (on Pipelines)"],
  ["?", "This help"],
  ["Editor: Delete", "Delete the selection"],
  ["Editor: Ctrl+Z / Ctrl+Shift+Z", "Undo / redo"],
  ["Editor: Ctrl+C / Ctrl+V / Ctrl+D", "Copy / paste / duplicate"],
  ["Editor: Ctrl+S", "Save a new version"],
  ["Editor: L / F", "Auto-layout / fit the view"],
  ["Editor: Enter on a palette item", "Add that node"],
];

function Shell() {
  const { me, signOut, can } = useSession();
  const navigate = useNavigate();
  const [help, setHelp] = useState(false);
  useHotkeys({
    "g p": () => navigate("/pipelines"),
    "g r": () => navigate("/runs"),
    "g s": () => navigate("/settings"),
    "g a": () => navigate("/approvals"),
    "?": () => setHelp(true),
  });
  return (
    <div className="app">
      <a href="#content" className="skip">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/pipelines" className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{" "}
          Lockgate
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/pipelines">Pipelines</NavLink>
          <NavLink to="/runs">Runs</NavLink>
          <ApprovalsLink />
          {can("viewer") && <NavLink to="/settings">Settings</NavLink>}
        </nav>
        <div className="topbar-right">
          <a href="/docs" target="_blank" rel="noreferrer" title="The HTTP API reference (opens a new tab)">
            API docs
          </a>
          <ThemeToggle />
          <Button variant="ghost" onClick={() => setHelp(true)} aria-label="Keyboard shortcuts">
            ?
          </Button>
          <span className="who" data-role={me?.role}>
            {me?.user} <span className="badge">{me?.role}</span>
          </span>
          <Button variant="ghost" onClick={signOut}>
            Sign out
          </Button>
        </div>
      </header>
      <div id="content" className="content">
        <Outlet />
      </div>
      <Dialog title="Keyboard shortcuts" open={help} onClose={() => setHelp(false)}>
        <dl className="shortcuts-list">
          {SHORTCUTS.map(([k, what]) => (
            <div key={k}>
              <dt>
                <kbd>{k}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
      </Dialog>
    </div>
  );
}

/** Light or dark, remembered in this browser; without a choice the system setting decides. */
function ThemeToggle() {
  const theme = useTheme();
  const next = theme === "dark" ? "light" : "dark";
  return (
    <Button
      variant="ghost"
      className="theme-toggle"
      onClick={() => setTheme(next)}
      aria-label={`Use the ${next} theme`}
      title={`Use the ${next} theme`}
    >
      <span aria-hidden="true">{theme === "dark" ? "☀ Light" : "☾ Dark"}</span>
    </Button>
  );
}

/** The inbox in the navigation, with the count of what waits for the signed-in person (polled). */
function ApprovalsLink() {
  const count = useWaitingCount().data ?? 0;
  return (
    <NavLink to="/approvals" aria-label={count ? `Approvals, ${count} waiting` : "Approvals"}>
      Approvals{" "}
      {count > 0 && (
        <span className="count-badge" data-testid="approvals-count">
          {count}
        </span>
      )}
    </NavLink>
  );
}

function NotFound() {
  return (
    <main className="page">
      <h1>Nothing here</h1>
      <p>
        This address is not a page of Lockgate. <NavLink to="/pipelines">Go to the pipelines</NavLink>.
      </p>
    </main>
  );
}

const router = createBrowserRouter([
  {
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="/pipelines" replace /> },
      { path: "pipelines", element: <PipelinesPage /> },
      { path: "pipelines/new", element: <EditorPage /> },
      { path: "pipelines/:name", element: <PipelinePage /> },
      { path: "pipelines/:name/edit", element: <EditorPage /> },
      { path: "pipelines/:name/diff", element: <DiffPage /> },
      { path: "runs", element: <RunsPage /> },
      { path: "runs/compare", element: <ComparePage /> },
      { path: "runs/:id", element: <RunPage /> },
      { path: "runs/:pipeline/:number", element: <RunPage /> },
      { path: "approvals", element: <InboxPage /> },
      { path: "approvals/:id", element: <TaskPage /> },
      { path: "settings", element: <SettingsPage /> },
      { path: "settings/:tab", element: <SettingsPage /> },
      { path: "*", element: <NotFound /> },
    ],
  },
]);

export function App() {
  const { me, ready } = useSession();
  if (!ready) return <Loading />;
  if (!me) return <SignIn />;
  return <RouterProvider router={router} />;
}
