import { useState } from "react";
import { Link } from "react-router";
import { Button, Loading } from "../../lib/controls";
import { when } from "../../lib/format";
import { useVersions } from "./queries";

export function VersionsPanel({ name }: { name: string }) {
  const versions = useVersions(name);
  const [picked, setPicked] = useState<number[]>([]);
  if (!versions.data) return <Loading />;
  const toggle = (n: number) =>
    setPicked((p) => (p.includes(n) ? p.filter((x) => x !== n) : [...p, n].slice(-2)));
  const [a, b] = [...picked].sort((x, y) => x - y);
  return (
    <div>
      <div className="actions">
        <p className="muted">Pick two versions to compare them.</p>
        {a !== undefined && b !== undefined ? (
          <Link className="btn btn-primary" to={`/pipelines/${name}/diff?from=${a}&to=${b}`}>
            Compare v{a} → v{b}
          </Link>
        ) : (
          <Button disabled>Compare</Button>
        )}
      </div>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">Pick</span>
            </th>
            <th scope="col">Version</th>
            <th scope="col">Saved</th>
            <th scope="col">Hash</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.data.map((v, i) => (
            <tr key={v.number}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Pick v${v.number}`}
                  checked={picked.includes(v.number)}
                  onChange={() => toggle(v.number)}
                />
              </td>
              <td>v{v.number}</td>
              <td>{when(v.created_at)}</td>
              <td>
                <code>{v.hash.slice(0, 12)}</code>
              </td>
              <td className="actions">
                <Link to={`/pipelines/${name}/edit?version=${v.number}`}>open in editor</Link>
                {versions.data[i + 1] && (
                  <Link to={`/pipelines/${name}/diff?from=${versions.data[i + 1]?.number}&to=${v.number}`}>
                    changes from v{versions.data[i + 1]?.number}
                  </Link>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
