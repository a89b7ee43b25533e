// Tasks (the inbox, one task, a run's tasks) and answering them: every task query and command of the UI.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { keys } from "../../lib/queryKeys";

/** The caller's inbox (tasks they may answer), or every task when status is "any". */
export function useTasks(status: "open" | "any") {
  return useQuery({
    queryKey: keys.tasks.list(status),
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
    queryKey: keys.tasks.pages(status, limit),
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
    queryKey: keys.tasks.waiting,
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
    queryKey: keys.tasks.one(id),
    queryFn: () => ok(api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } } })),
  });
}

/** A run's tasks in one status, whoever may answer them (what was approved upstream of a task). */
export function useTasksOf(run: string, status: "approved" | "submitted") {
  return useQuery({
    queryKey: keys.tasks.ofRun(run, status),
    queryFn: () =>
      ok(api.GET("/api/v1/tasks", { params: { query: { run, status, assigned: "any", limit: 100 } } })),
  });
}

/** A step followed after its task was answered: read again until what follows is known. */
export function useFollowedStep(run: string, step: string) {
  return useQuery({
    queryKey: keys.runs.stepFollowed(run, step),
    refetchInterval: 2000,
    queryFn: () => ok(api.GET("/api/v1/runs/{run}/steps/{step}", { params: { path: { run, step } } })),
  });
}

/** What waits for the signed-in person next in a run. */
export function useNextTasks(run: string) {
  return useQuery({
    queryKey: keys.tasks.next(run),
    refetchInterval: 2000,
    queryFn: () =>
      ok(api.GET("/api/v1/tasks", { params: { query: { run, status: "open", assigned: "me", limit: 20 } } })),
  });
}

export type TaskAnswer =
  | { action: "approve"; comment: string | null }
  | { action: "revise"; feedback: string }
  | { action: "reject"; reason: string | null }
  | { action: "submit"; values: { [field: string]: unknown }; comment: string | null };

export function answerTask(id: string, answer: TaskAnswer) {
  const path = { params: { path: { task_id: id } } };
  switch (answer.action) {
    case "approve":
      return ok(api.POST("/api/v1/tasks/{task_id}/approve", { ...path, body: { comment: answer.comment } }));
    case "revise":
      return ok(api.POST("/api/v1/tasks/{task_id}/revise", { ...path, body: { feedback: answer.feedback } }));
    case "reject":
      return ok(api.POST("/api/v1/tasks/{task_id}/reject", { ...path, body: { reason: answer.reason } }));
    case "submit":
      return ok(
        api.POST("/api/v1/tasks/{task_id}/submit", {
          ...path,
          body: { values: answer.values as Record<string, never>, comment: answer.comment },
        }),
      );
  }
}
