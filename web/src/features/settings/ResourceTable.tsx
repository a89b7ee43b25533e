// The one shape of a settings page: a titled section over a list the server keeps (credentials, keys, users,
// model and agent profiles): its errors, loading and empty states, a table with per-row actions, and slots for
// what each page says before the table (a key shown once), its create form and its dialogs. Each page keeps
// its own columns, forms and wording.
import { type ReactNode, useId } from "react";
import { Empty, ErrorNote, Loading } from "../../lib/controls";
import { PageFoot } from "../../lib/paging";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  className?: string;
  label?: string; // the cell's accessible name when its text says nothing (a hidden value)
}

export interface ResourceTableProps<T> {
  title: string;
  intro?: ReactNode;
  /** The list as read (undefined while loading) and why it could not be read. */
  rows: readonly T[] | undefined;
  error?: unknown;
  /** Errors of the row actions (delete, revoke…), shown with the list's. */
  actionErrors?: readonly unknown[];
  rowKey: (row: T) => string;
  columns: readonly Column<T>[];
  /** Buttons of one row, in a last column headed for screen readers only. */
  actions?: (row: T) => ReactNode;
  /** The row being edited, marked for assistive technology and styles. */
  current?: (row: T) => boolean;
  /** Said instead of an empty table; without it an empty list is an empty table. */
  empty?: string;
  /** Above the table: a value shown once, a notice. */
  before?: ReactNode;
  /** Below the table: the page's create form (it decides who sees it). */
  create?: ReactNode;
  /** After everything: the page's dialogs. */
  after?: ReactNode;
  /** For a list the API pages: the count and the next page. */
  paging?: Parameters<typeof PageFoot>[0];
}

export function ResourceTable<T>({
  title,
  intro,
  rows,
  error,
  actionErrors = [],
  rowKey,
  columns,
  actions,
  current,
  empty,
  before,
  create,
  after,
  paging,
}: ResourceTableProps<T>) {
  const titleId = useId();
  const shownError = [error, ...actionErrors].find(Boolean);
  return (
    <section aria-labelledby={titleId} className="resource">
      <h2 id={titleId}>{title}</h2>
      {intro && <p className="muted">{intro}</p>}
      {before}
      <ErrorNote error={shownError} />
      {!rows ? (
        error ? null : (
          <Loading />
        )
      ) : rows.length === 0 && empty ? (
        <Empty title={empty} />
      ) : (
        <table className="table">
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c.header}>
                  {c.header}
                </th>
              ))}
              {actions && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)} aria-current={current?.(row) || undefined}>
                {columns.map((c) => (
                  <td key={c.header} className={c.className} aria-label={c.label}>
                    {c.cell(row)}
                  </td>
                ))}
                {actions && <td className="row-actions">{actions(row)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {paging && <PageFoot {...paging} />}
      {create}
      {after}
    </section>
  );
}
