import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";

export const taskKeys = {
  list: (status: string) => ["tasks", status] as const,
  one: (id: string) => ["task", id] as const,
};

/** The caller's inbox (tasks they may answer), or every task when status is "any". */
export function useTasks(status: "open" | "any") {
  return useQuery({
    queryKey: taskKeys.list(status),
    refetchInterval: 3000, // the badge and the list follow new reviews without a reload
    queryFn: () =>
      ok(
        api.GET("/api/v1/tasks", {
          params: { query: { status, assigned: status === "open" ? "me" : "any", limit: 200 } },
        }),
      ),
  });
}

/** The inbox a page at a time (oldest first), with the API's count of every match. */
export function useTaskList(status: "open" | "any", limit = 100) {
  return useInfiniteQuery({
    queryKey: [...taskKeys.list(status), "pages", limit] as const,
    initialPageParam: undefined as string | undefined,
    refetchInterval: 3000,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET("/api/v1/tasks", {
          params: {
            query: { status, assigned: status === "open" ? "me" : "any", limit, cursor: pageParam },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** How many tasks wait for the signed-in person: the API's total, not the length of one page. */
export function useWaitingCount() {
  return useQuery({
    queryKey: [...taskKeys.list("open"), "count"] as const,
    refetchInterval: 3000,
    queryFn: async () =>
      (
        await ok(
          api.GET("/api/v1/tasks", { params: { query: { status: "open", assigned: "me", limit: 1 } } }),
        )
      ).total,
  });
}

export function useTask(id: string) {
  return useQuery({
    queryKey: taskKeys.one(id),
    queryFn: () => ok(api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } } })),
  });
}

/** A run's tasks in one status, whoever may answer them (what was approved upstream of a task). */
export function useTasksOf(run: string, status: "approved" | "submitted") {
  return useQuery({
    queryKey: ["tasks", "run", run, status] as const,
    queryFn: () =>
      ok(api.GET("/api/v1/tasks", { params: { query: { run, status, assigned: "any", limit: 100 } } })),
  });
}
