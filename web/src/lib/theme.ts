// Light or dark: the person's choice (remembered in localStorage), else the system's prefers-color-scheme.
import { useEffect, useSyncExternalStore } from "react";

export type Theme = "light" | "dark";

const KEY = "lockgate.theme";
const DARK = "(prefers-color-scheme: dark)";
const listeners = new Set<() => void>();

function stored(): Theme | null {
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null; // storage refused (privacy mode): follow the system
  }
}

function system(): Theme {
  return typeof matchMedia === "function" && matchMedia(DARK).matches ? "dark" : "light";
}

/** The theme in use now. */
export function currentTheme(): Theme {
  return stored() ?? system();
}

/** Put the theme on <html> (theme.css keys off `data-theme`); called before the first render too. */
export function applyTheme(): void {
  document.documentElement.dataset.theme = currentTheme();
  for (const listener of listeners) listener();
}

export function setTheme(theme: Theme): void {
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // not remembered, still applied
  }
  document.documentElement.dataset.theme = theme;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The theme in use, following the toggle and (without a choice) the system setting as it changes. */
export function useTheme(): Theme {
  useEffect(() => {
    if (typeof matchMedia !== "function") return;
    const media = matchMedia(DARK);
    media.addEventListener("change", applyTheme);
    return () => media.removeEventListener("change", applyTheme);
  }, []);
  return useSyncExternalStore(subscribe, () => (document.documentElement.dataset.theme as Theme) ?? "light");
}
