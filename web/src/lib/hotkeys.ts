// Keyboard shortcuts that do not fire while typing in a field.
import { useLayoutEffect, useRef } from "react";

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

/** `keys` maps "mod+z", "shift+mod+z", "?", "g p" (a sequence) … to handlers. */
export function useHotkeys(keys: Record<string, (e: KeyboardEvent) => void>, enabled = true): void {
  const ref = useRef(keys);
  ref.current = keys;
  // attached before the page paints: a key pressed as soon as the page shows is not lost
  useLayoutEffect(() => {
    if (!enabled) return;
    let prefix = "";
    let prefixAt = 0;
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      // saving works from inside a field too; everything else would fight with typing
      if (isTyping(e.target) && !(mod && e.key.toLowerCase() === "s")) return;
      const key = e.key.toLowerCase();
      const combo = `${e.shiftKey && e.key.length !== 1 ? "shift+" : ""}${e.shiftKey && mod ? "shift+" : ""}${mod ? "mod+" : ""}${key}`;
      const sequence = prefix && Date.now() - prefixAt < 1000 ? `${prefix} ${key}` : "";
      const handler = (sequence && ref.current[sequence]) || ref.current[combo];
      if (handler) {
        e.preventDefault();
        handler(e);
        prefix = "";
        return;
      }
      if (!mod && Object.keys(ref.current).some((k) => k.startsWith(`${key} `))) {
        prefix = key;
        prefixAt = Date.now();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
