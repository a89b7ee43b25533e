// A search box whose words also live in the address (reload and back keep them).
import { type RefObject, useEffect, useState } from "react";

/**
 * The box keeps its own text: the address updates a beat after each key, and a box that read it back would drop
 * the keys typed meanwhile ("lin" became "ln"). The address wins only while the box is not being typed in (back).
 */
export function useSearchText(
  fromAddress: string,
  box: RefObject<HTMLInputElement | null>,
): [string, (text: string) => void] {
  const [text, setText] = useState(fromAddress);
  useEffect(() => {
    if (document.activeElement !== box.current) setText(fromAddress);
  }, [fromAddress, box]);
  return [text, setText];
}
