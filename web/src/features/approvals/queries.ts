import { useQuery } from "@tanstack/react-query";
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
