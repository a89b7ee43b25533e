"""Graph checks and orderings over node ids: cycles, topological order, levels, ancestors."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["ancestors", "find_cycle", "levels", "reachable_ancestors", "topological_order"]


def find_cycle(ids: Sequence[str], successors: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One cycle as ``[a, b, …, a]``, or None; iterative so deep graphs do not hit recursion limits."""
    color: dict[str, int] = dict.fromkeys(ids, 0)  # 0 new, 1 on the stack, 2 done
    for start in ids:
        if color[start]:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        color[start] = 1
        while stack:
            node, index = stack[-1]
            succ = successors.get(node, ())
            if index < len(succ):
                stack[-1] = (node, index + 1)
                nxt = succ[index]
                if color[nxt] == 1:
                    return [*path[path.index(nxt) :], nxt]
                if color[nxt] == 0:
                    color[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                color[node] = 2
                stack.pop()
                path.pop()
    return None


def topological_order(ids: Sequence[str], predecessors: Mapping[str, Sequence[str]]) -> list[str]:
    """Kahn's order, stable: among ready nodes, definition order first."""
    position = {node: i for i, node in enumerate(ids)}
    remaining = {node: len(set(predecessors.get(node, ()))) for node in ids}
    dependents: dict[str, list[str]] = {node: [] for node in ids}
    for node in ids:
        for pred in set(predecessors.get(node, ())):
            dependents[pred].append(node)
    ready = sorted((n for n in ids if remaining[n] == 0), key=position.__getitem__)
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for dep in dependents[node]:
            remaining[dep] -= 1
            if remaining[dep] == 0:
                ready.append(dep)
        ready.sort(key=position.__getitem__)
    return order


def levels(order: Sequence[str], predecessors: Mapping[str, Sequence[str]]) -> dict[str, int]:
    level: dict[str, int] = {}
    for node in order:
        level[node] = max((level[p] + 1 for p in predecessors.get(node, ())), default=0)
    return level


def ancestors(order: Sequence[str], predecessors: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    result: dict[str, frozenset[str]] = {}
    for node in order:
        acc: set[str] = set()
        for pred in predecessors.get(node, ()):
            acc.add(pred)
            acc |= result[pred]
        result[node] = frozenset(acc)
    return result


def reachable_ancestors(ids: Sequence[str], predecessors: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """Ancestors by walking back along the edges: defined on a graph with a cycle too (a node is not its own)."""
    result: dict[str, frozenset[str]] = {}
    for node in ids:
        seen: set[str] = set()
        stack = list(predecessors.get(node, ()))
        while stack:
            pred = stack.pop()
            if pred not in seen:
                seen.add(pred)
                stack.extend(predecessors.get(pred, ()))
        seen.discard(node)
        result[node] = frozenset(seen)
    return result
