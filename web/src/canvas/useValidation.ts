// The server checks the draft as it changes (debounced; moving nodes does not count): problems by node and field.
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client";
import type { PipelineSpec } from "../api/types";
import { type Draft, type DraftNode, NO_PROBLEMS, type Problems, sortProblems, toSpec } from "./model";

export type Check = { state: "idle" | "checking" | "valid" | "invalid" | "error"; message?: string };

export function useValidation(draft: Draft): [Problems, Check] {
  const [problems, setProblems] = useState<Problems>(NO_PROBLEMS);
  const [check, setCheck] = useState<Check>({ state: "idle" });
  // positions do not change meaning: a drag is not a reason to validate again
  const meaning = useMemo(
    () =>
      JSON.stringify(
        toSpec({ ...draft, nodes: draft.nodes.map(({ position: _p, ...n }) => n as DraftNode) }),
      ),
    [draft],
  );
  const latest = useRef(draft);
  latest.current = draft;
  useEffect(() => {
    if (latest.current.nodes.length === 0) {
      setProblems(NO_PROBLEMS);
      setCheck({ state: "idle" });
      return;
    }
    let cancelled = false;
    setCheck((c) => ({ ...c, state: "checking" }));
    const timer = setTimeout(async () => {
      const body = JSON.parse(meaning) as PipelineSpec;
      const { response, error } = await api.POST("/api/v1/pipelines/validate", { body });
      if (cancelled) return;
      if (response.ok) {
        setProblems(NO_PROBLEMS);
        setCheck({ state: "valid" });
      } else if (response.status === 422) {
        const list = ((error as { errors?: [] } | undefined)?.errors ?? []) as Parameters<
          typeof sortProblems
        >[1];
        setProblems(sortProblems(latest.current, list));
        setCheck({ state: "invalid" });
      } else {
        setCheck({ state: "error", message: `validation failed (${response.status})` });
      }
    }, 350);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [meaning]);
  return [problems, check];
}
