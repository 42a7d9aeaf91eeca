"""Deterministic plugin order: dependencies first, then by name."""
import heapq


class DependencyError(Exception):
    pass


def dependency_order(requires: dict[str, tuple[str, ...]]) -> list[str]:
    """Topologically sort plugin names; ties are broken by name. Raises on missing or cyclic needs."""
    for name, needs in requires.items():
        missing = [n for n in needs if n not in requires]
        if missing:
            raise DependencyError(f"plugin {name!r} requires missing plugin(s): {', '.join(missing)}")
    waiting = {name: set(needs) for name, needs in requires.items()}
    ready = [name for name, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    order = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for other, needs in waiting.items():
            if name in needs:
                needs.discard(name)
                if not needs:
                    heapq.heappush(ready, other)
    if len(order) != len(requires):
        cyclic = sorted(set(requires) - set(order))
        raise DependencyError(f"plugins require each other in a cycle: {', '.join(cyclic)}")
    return order
