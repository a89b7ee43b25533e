import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { type Column, ResourceTable, type ResourceTableProps } from "./ResourceTable";

interface Row {
  name: string;
  role: string;
}

const columns: Column<Row>[] = [
  { header: "Name", cell: (r) => r.name },
  { header: "Role", cell: (r) => r.role, label: "role hidden" },
];

const html = (props: Partial<ResourceTableProps<Row>>) =>
  renderToStaticMarkup(
    <ResourceTable<Row>
      title="People"
      rows={undefined}
      rowKey={(r) => r.name}
      columns={columns}
      {...props}
    />,
  );

describe("a settings list", () => {
  it("draws one row per item, with its actions in a last column named for screen readers", () => {
    const out = html({
      rows: [
        { name: "ada", role: "admin" },
        { name: "bob", role: "viewer" },
      ],
      actions: (r) => <button type="button">Delete {r.name}</button>,
      current: (r) => r.name === "bob",
    });
    expect(out).toContain('<th scope="col">Name</th>');
    expect(out).toContain('<span class="sr-only">Actions</span>');
    expect(out.match(/<tr/g)).toHaveLength(3);
    expect(out).toContain('<td class="row-actions"><button type="button">Delete ada</button></td>');
    expect(out).toContain('<tr aria-current="true"><td>bob</td>');
    expect(out).toContain('aria-label="role hidden"');
  });

  it("says it is loading, says the page's words when empty, and an error replaces the loading line", () => {
    expect(html({})).toContain("Loading…");
    expect(html({ rows: [], empty: "Nobody yet." })).toContain("Nobody yet.");
    expect(html({ rows: [] })).toContain("<tbody></tbody>"); // no empty text: an empty table
    const failed = html({ error: new ApiError(403, "forbidden", "admins only") });
    expect(failed).toContain("admins only");
    expect(failed).not.toContain("Loading…");
  });

  it("shows a failed row action with the list, and the create form and dialogs in their slots", () => {
    const out = html({
      rows: [],
      actionErrors: [null, new Error("could not delete")],
      create: <form aria-label="New person" />,
      after: <dialog />,
    });
    expect(out).toContain("could not delete");
    expect(out.indexOf("New person")).toBeLessThan(out.indexOf("<dialog>"));
  });
});
