// Durations and instants as people read them.

/** ISO 8601 durations as pydantic writes timedelta ("PT3.44S", "P1DT2H") → seconds. */
export function seconds(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const m =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m) return null;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
}

export function humanSeconds(total: number | null): string {
  if (total === null || Number.isNaN(total)) return "—";
  if (total < 1) return `${Math.round(total * 1000)}ms`;
  if (total < 60) return `${total.toFixed(total < 10 ? 2 : 1)}s`;
  const m = Math.floor(total / 60);
  const s = Math.round(total % 60);
  if (m < 60) return `${m}m ${s}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** A duration as the API sends it: seconds (a number), or ISO 8601 text. */
export function duration(value: string | number | null | undefined): string {
  return humanSeconds(typeof value === "number" ? value : seconds(value));
}

export function between(
  start: string | null | undefined,
  end: string | null | undefined,
  now = Date.now(),
): string {
  if (!start) return "—";
  const to = end ? Date.parse(end) : now;
  return humanSeconds((to - Date.parse(start)) / 1000);
}

export function when(at: string | null | undefined): string {
  if (!at) return "—";
  const d = new Date(at);
  const diff = (Date.now() - d.getTime()) / 1000;
  if (diff >= 0 && diff < 60) return "just now";
  if (diff >= 0 && diff < 3600) return `${Math.floor(diff / 60)} min ago`;
  if (diff < 0 && diff > -86400) return `in ${humanSeconds(-diff)}`;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function json(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}
