import { QueryClient, type QueryKey } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { keys } from "./queryKeys";

/** A client holding `held`, then the keys left stale by invalidating `by`. */
async function invalidated(held: QueryKey[], by: QueryKey): Promise<QueryKey[]> {
  const client = new QueryClient();
  for (const key of held) client.setQueryData(key, 1);
  await client.invalidateQueries({ queryKey: by, refetchType: "none" });
  return client
    .getQueryCache()
    .getAll()
    .filter((q) => q.state.isInvalidated)
    .map((q) => q.queryKey);
}

describe("query keys", () => {
  it("refreshes everything read of one run, and nothing of another", async () => {
    const mine = [
      keys.runs.detail("r1"),
      keys.runs.progress("r1"),
      keys.runs.steps("r1", "", "", 0),
      keys.runs.step("r1", "fetch"),
      keys.runs.logs("r1", "fetch", 1),
      keys.runs.events("r1"),
      keys.runs.costs("r1"),
    ];
    const other = [keys.runs.detail("r10"), keys.runs.progress("r2")];
    expect(await invalidated([...mine, ...other], keys.runs.one("r1"))).toEqual(mine);
  });

  it("refreshes every run list, whatever its filter, and no run", async () => {
    const lists = [
      keys.runs.list({ pipeline: "hello", status: "failed" }, 50),
      keys.runs.list({}, 50),
      keys.runs.of("hello", "succeeded"),
      keys.runs.drafts("hello"),
    ];
    expect(await invalidated([...lists, keys.runs.detail("r1")], keys.runs.all)).toEqual(lists);
  });

  it("keeps lists apart when their arguments differ, even for a pipeline named like a key's part", () => {
    const made = [
      keys.runs.list({ pipeline: "a" }, 50),
      keys.runs.list({ pipeline: "b" }, 50),
      keys.runs.of("list", ""),
      keys.runs.of("drafts", ""),
      keys.runs.drafts("list"),
      keys.pipelines.search("pages"),
      keys.pipelines.pages("", 100),
      keys.tasks.list("run"),
      keys.tasks.ofRun("open", "approved"),
    ].map((k) => JSON.stringify(k));
    expect(new Set(made).size).toBe(made.length);
  });

  it("refreshes the inbox, its pages and the badge's count together, and one version's family", async () => {
    const inbox = [keys.tasks.list("open"), keys.tasks.pages("open", 100), keys.tasks.waiting];
    expect(await invalidated([...inbox, keys.tasks.one("t1")], keys.tasks.list("open"))).toEqual(inbox);
    const versions = [keys.pipelines.version("hello", 1), keys.pipelines.version("hello", "latest")];
    expect(
      await invalidated(
        [...versions, keys.pipelines.version("hello-2", 1)],
        keys.pipelines.versionsOf("hello"),
      ),
    ).toEqual(versions);
  });
});
