// The node kinds the server knows (from its JSON Schema): drag one onto the canvas, or press Enter to add it.
import type { KindInfo } from "./model";
import { glyph } from "./nodes/NodeBody";
import { FROM_CODE } from "./TaskCode";

export const KIND_MIME = "application/x-lockgate-kind";

export function Palette({ kinds, onAdd }: { kinds: KindInfo[]; onAdd: (kind: string) => void }) {
  return (
    <nav className="palette" aria-label="Node kinds">
      <h2 className="palette-title">Add a node</h2>
      <ul>
        {kinds
          .filter((k) => !FROM_CODE.has(k.kind))
          .map((k) => (
            <li key={k.kind}>
              <button
                type="button"
                className="palette-item"
                draggable
                data-kind={k.kind}
                title={`${k.description}\nDrag onto the canvas, or press Enter to add it.`}
                onDragStart={(e) => {
                  e.dataTransfer.setData(KIND_MIME, k.kind);
                  e.dataTransfer.effectAllowed = "move";
                }}
                onClick={() => onAdd(k.kind)}
              >
                <span className="node-glyph" aria-hidden="true">
                  {glyph(k.kind)}
                </span>
                <span>
                  <span className="palette-kind">{k.title}</span>
                  <span className="palette-desc">{k.description}</span>
                </span>
              </button>
            </li>
          ))}
      </ul>
    </nav>
  );
}
