"""The most a node pool's nodes take together when its NodePool ``spec.limits`` bound them, however they mix.

Karpenter launches no node whose capacity would take the pool over a limit: the scheduler starts from the
limits less what the pool's nodes already hold and drops every instance type whose capacity exceeds what
remains (kubernetes-sigs/karpenter ``pkg/controllers/provisioning/scheduling/scheduler.go``
``filterByRemainingResources``), and the provisioner checks ``Limits.ExceededBy`` again before it creates a
NodeClaim. So whichever candidate types Karpenter picks, the pool's nodes hold at most ``limits.cpu`` vCPUs
and ``limits.memory`` of memory between them, and at most ``limits.nodes`` nodes. The most addresses they
can take is then an unbounded knapsack: each candidate type is an item that weighs its capacity and is
worth one node's addresses (or /28 prefixes), and Karpenter may launch any number of each.

Judging the pool at (its most nodes) x (its largest type's addresses), as if every node could be the largest
type, is safe but far off: a pool of ``limits.cpu: 1000`` over c, m and r types holds 500 nodes of 2 vCPUs,
or 10 of 96, never 500 of 96.

* ``cpu``: vCPU counts are small whole numbers, so the knapsack is solved exactly by dynamic programming.
  Only a bounded remainder needs the table: some optimal mix has fewer than ``w_b`` nodes of types other
  than the best (most value per vCPU) type ``b`` (pigeonhole: among ``w_b`` such nodes a non-empty subset
  weighs a multiple of ``w_b`` and is worth no more than that many ``b`` nodes), so the table runs to
  ``(w_b - 1) x`` the heaviest type's vCPUs and ``b`` fills the rest.
* ``memory``: weights are MiB, too many for a table: depth-first branch and bound over the types in order
  of value per MiB (Martello and Toth's MTU1), each branch cut by the linear-relaxation bound. A search
  that would take too long ends at that bound instead, which is still an upper bound.
* ``nodes``: the count times the most any one type's node takes.

Each limit alone bounds the pool, so the least of those bounds holds for all of them. When a mix of nodes
reaches it and keeps every other limit too, it is the pool's exact worst case (``exact``). Otherwise (cpu
and memory both, or a count of nodes beside them: PC202's nodes marked for disruption) a branch and bound
over the types that no other type matches in every limit searches the mixes that keep them all, up to the
linear relaxation of the limits two at a time; a search past its budget ends at that relaxation, an upper
bound said to be one (``exact`` False), never below what the pool can take.
"""
from __future__ import annotations

from collections.abc import Sequence

from podcap.model.records import record

# table cells (capacity x types) the cpu knapsack may fill before it falls back to its relaxation bound;
# a pool of the usual types needs under 20,000
_TABLE_BUDGET = 3_000_000
# branches the memory search may visit before it does the same
_SEARCH_BUDGET = 200_000
# branches the search over several limits at once may visit (about 20 ms) before it gives the relaxation
# bound, said to be a bound: a count of nodes beside cpu over hundreds of types can take longer
_JOINT_BUDGET = 5_000


@record(frozen=True)
class Item:
    """One candidate instance type: its capacity as Karpenter counts it, and what one node of it takes."""

    name: str
    value: int
    vcpus: int | None = None
    memory_mib: int | None = None


@record(frozen=True)
class Bound:
    """The most the pool's nodes take together, the limit that sets it, and a mix of nodes that reaches it."""

    value: int
    limit: str  # "cpu", "memory" or "nodes"
    mix: tuple[tuple[str, int], ...] = ()  # (type, nodes), largest count first; () when no mix is known
    exact: bool = True  # the mix keeps every limit: no mix of nodes takes more

    def describe_mix(self, most: int = 3) -> str:
        parts = [f"{n} x {name}" for name, n in self.mix[:most]]
        if len(self.mix) > most:
            parts.append(f"+{len(self.mix) - most} more types")
        return ", ".join(parts)


def most_within(items: Sequence[Item], *, cpu: float | None = None, memory_mib: float | None = None,
                nodes: int | None = None) -> Bound | None:
    """The most ``value`` a pool of these candidate types holds within the limits given (None: no limit).

    None when no limit is given, or a limit needs a weight some item lacks (its vCPUs or memory)."""
    if cpu is None and memory_mib is None and nodes is None:
        return None
    if cpu is not None and any(i.vcpus is None or i.vcpus < 1 for i in items):
        return None
    if memory_mib is not None and any(i.memory_mib is None or i.memory_mib < 1 for i in items):
        return None
    cpu_cap = None if cpu is None else int(cpu)  # capacities are whole vCPUs: sum <= 1.5 means sum <= 1
    mem_cap = None if memory_mib is None else int(memory_mib)
    fit = [i for i in items if (cpu_cap is None or i.vcpus <= cpu_cap)  # type: ignore[operator]
           and (mem_cap is None or i.memory_mib <= mem_cap)]  # type: ignore[operator]
    first = "cpu" if cpu is not None else "memory" if memory_mib is not None else "nodes"
    if not fit or nodes == 0 or max(i.value for i in fit) <= 0:
        return Bound(0, first)
    bounds: list[Bound] = []
    if nodes is not None:
        top = max(fit, key=lambda i: i.value)
        bounds.append(Bound(nodes * top.value, "nodes", ((top.name, nodes),)))
    if cpu_cap is not None:
        bounds.append(_by_table(fit, cpu_cap))
    if mem_cap is not None:
        kept = _useful(fit, lambda i: i.memory_mib)
        relaxed = _relaxation(kept, mem_cap, "memory")
        found = _search([i for _, _, i in kept], None, mem_cap, None, relaxed.value, _SEARCH_BUDGET)
        bounds.append(relaxed if found is None else found)
    best = min(bounds, key=lambda b: (b.value, not b.exact))
    if len(bounds) == 1 or (best.exact and _keeps(fit, best.mix, cpu_cap, mem_cap, nodes)):
        return best
    # each limit alone allows a mix the others do not: search the mixes that keep them all, up to the
    # relaxation of the limits taken two at a time (no mix passes it)
    front = _pareto(fit, cpu_cap, mem_cap, nodes)
    upper = min(best.value, _pairs_relaxation(front, cpu_cap, mem_cap, nodes))
    joint = _search(front, cpu_cap, mem_cap, nodes, upper, _JOINT_BUDGET)
    return joint if joint is not None else Bound(upper, best.limit if upper == best.value else "limits", (),
                                                 exact=False)


def _keeps(items: Sequence[Item], mix: tuple[tuple[str, int], ...], cpu: int | None, memory: int | None,
           nodes: int | None) -> bool:
    counts = dict(mix)
    by_name = {i.name: i for i in items if i.name in counts}
    return ((cpu is None or sum(by_name[n].vcpus * k for n, k in counts.items()) <= cpu)  # type: ignore[misc]
            and (memory is None or sum(by_name[n].memory_mib * k for n, k in counts.items()) <= memory)  # type: ignore[misc]
            and (nodes is None or sum(counts.values()) <= nodes))


def _useful(items: Sequence[Item], weight) -> list[tuple[int, int, Item]]:
    """(weight, value, item), without the items another one (or copies of it) matches at no more weight: the
    most valuable of each weight, then none that a lighter item's copies outweigh in value."""
    heaviest: dict[int, Item] = {}
    for i in items:
        w = weight(i)
        if i.value > 0 and (w not in heaviest or i.value > heaviest[w].value):
            heaviest[w] = i
    kept: list[tuple[int, int, Item]] = []
    for w in sorted(heaviest):
        i = heaviest[w]
        # q copies of a kept, lighter item weigh no more than this one: it must be worth more than them
        if all((w // kw) * kv < i.value for kw, kv, _ in kept):
            kept.append((w, i.value, i))
    return kept


def _best_ratio(kept: list[tuple[int, int, Item]]) -> int:
    """Index of the item worth most per unit of weight (the lighter one of a tie)."""
    b = 0
    for k, (w, v, _) in enumerate(kept):
        bw, bv, _ = kept[b]
        if v * bw > bv * w or (v * bw == bv * w and w < bw):
            b = k
    return b


def _relaxation(kept: list[tuple[int, int, Item]], cap: int, limit: str) -> Bound:
    """The linear-relaxation bound: cap x the best value per unit, rounded down; an upper bound."""
    return Bound(max(cap * v // w for w, v, _ in kept), limit, (), exact=False)


def _mix(kept: list[tuple[int, int, Item]], counts: dict[int, int]) -> tuple[tuple[str, int], ...]:
    named = [(kept[k][2].name, n) for k, n in counts.items() if n > 0]
    return tuple(sorted(named, key=lambda x: (-x[1], x[0])))


def _by_table(items: Sequence[Item], cap: int) -> Bound:
    """cpu: exact unbounded knapsack by a table over vCPUs up to the pigeonhole remainder."""
    kept = _useful(items, lambda i: i.vcpus)
    b = _best_ratio(kept)
    wb, vb, _ = kept[b]
    wmax = max(w for w, _, _ in kept)
    top = min(cap, (wb - 1) * wmax)
    if top * len(kept) > _TABLE_BUDGET:
        return _relaxation(kept, cap, "cpu")
    best = [0] * (top + 1)  # the most value within c vCPUs
    took = [-1] * (top + 1)  # the item that reached it (-1: as within c - 1)
    for c in range(1, top + 1):
        value, pick = best[c - 1], -1
        for k, (w, v, _) in enumerate(kept):
            if w <= c and best[c - w] + v > value:
                value, pick = best[c - w] + v, k
        best[c], took[c] = value, pick
    total, at = -1, 0
    for c in range(top + 1):
        x = best[c] + vb * ((cap - c) // wb)
        if x > total:
            total, at = x, c
    counts: dict[int, int] = {}
    c = at
    while c > 0:
        k = took[c]
        if k < 0:
            c -= 1
            continue
        counts[k] = counts.get(k, 0) + 1
        c -= kept[k][0]
    counts[b] = counts.get(b, 0) + (cap - at) // wb
    return Bound(total, "cpu", _mix(kept, counts))


class _OutOfBudget(Exception):
    pass


def _search(items: Sequence[Item], cpu: int | None, memory: int | None, nodes: int | None, upper: int,
            budget: int) -> Bound | None:
    """Depth-first branch and bound over the types (Martello and Toth's MTU1, with one relaxation per limit):
    each branch is cut by the least of the limits' relaxation bounds over the types left (each limit alone
    bounds the rest of the mix), and the search ends as soon as a mix reaches ``upper``, which none can pass.
    None past ``budget`` branches."""
    dims = [d for d, c in (("cpu", cpu), ("memory", memory), ("nodes", nodes)) if c is not None]
    kept = [(tuple(w for w, _ in _weights(i, cpu, memory, nodes)), i.value, i) for i in items]
    caps = [c for _, c in _weights(items[0], cpu, memory, nodes)]
    # value per share of the limits it takes, highest first (the lighter one of a tie): good mixes are found
    # early, so more is cut; with one limit this is value per unit of it
    kept.sort(key=lambda t: (-t[1] / sum(w / max(c, 1) for w, c in zip(t[0], caps)), sum(t[0])))
    m, n_dims = len(kept), len(dims)
    # per level and limit, the best value per unit of that limit among the types from that level on
    best_ratio: list[list[tuple[int, int]]] = [[(0, 1)] * n_dims for _ in range(m + 1)]
    for k in range(m - 1, -1, -1):
        for d in range(n_dims):
            v, w = kept[k][1], kept[k][0][d]
            bv, bw = best_ratio[k + 1][d]
            best_ratio[k][d] = (v, w) if v * bw > bv * w else (bv, bw)
    found = {"value": 0, "counts": [0] * m, "visits": 0}
    counts = [0] * m

    def search(k: int, room: list[int], value: int) -> None:
        found["visits"] += 1
        if found["visits"] > budget:
            raise _OutOfBudget
        if value > found["value"]:
            found["value"], found["counts"] = value, list(counts)
        if k == m or found["value"] >= upper:
            return
        w, v, _ = kept[k]
        for x in range(min(r // a for r, a in zip(room, w)), -1, -1):
            left = [r - x * a for r, a in zip(room, w)]
            if value + x * v + min(r * bv // bw for r, (bv, bw) in zip(left, best_ratio[k + 1])) <= found["value"]:
                if n_dims == 1:
                    break  # this type is worth the most per unit: fewer of it only lowers the bound
                continue
            counts[k] = x
            search(k + 1, left, value + x * v)
            if found["value"] >= upper:
                break
        counts[k] = 0

    try:
        search(0, caps, 0)  # one level per type kept: a few dozen deep
    except _OutOfBudget:
        return None
    mix = tuple(sorted(((kept[k][2].name, n) for k, n in enumerate(found["counts"]) if n > 0),
                       key=lambda x: (-x[1], x[0])))
    return Bound(found["value"], "+".join(dims), mix)


def _pareto(items: Sequence[Item], cpu: int | None, memory: int | None, nodes: int | None) -> list[Item]:
    """The types no other one matches: worth as much and weighing no more in every limit given."""
    kept: list[tuple[list[int], Item]] = []
    for i in sorted(items, key=lambda i: -i.value):
        w = [a for a, _ in _weights(i, cpu, memory, nodes)]
        if i.value > 0 and not any(k.value >= i.value and all(a <= b for a, b in zip(kw, w)) for kw, k in kept):
            kept.append((w, i))
    return [i for _, i in kept]


def _weights(i: Item, cpu: int | None, memory: int | None, nodes: int | None) -> list[tuple[int, int]]:
    """(weight, cap) of the item in each limit given."""
    out = []
    if cpu is not None:
        out.append((i.vcpus, cpu))  # type: ignore[arg-type]
    if memory is not None:
        out.append((i.memory_mib, memory))  # type: ignore[arg-type]
    if nodes is not None:
        out.append((1, nodes))
    return out


def _pairs_relaxation(items: Sequence[Item], cpu: int | None, memory: int | None, nodes: int | None) -> int:
    """The linear-relaxation bound of every two limits together, the least of them; an upper bound.

    For limits A and B (weights a_i, b_i) the relaxation's dual is min over prices l, m >= 0 of A l + B m with
    a_i l + b_i m >= v_i for every type; for a given l the least m is max(0, max_i (v_i - a_i l) / b_i), so the
    dual is a convex, piecewise-linear function of l alone, least at l = 0 or where two of its pieces meet."""
    rows = [(i.value, _weights(i, cpu, memory, nodes)) for i in items if i.value > 0]
    if not rows:
        return 0
    n_dims = len(rows[0][1])
    least = None
    for da in range(n_dims):
        for db in range(da + 1, n_dims):
            cap_a, cap_b = rows[0][1][da][1], rows[0][1][db][1]
            lines = [(v / w[db][0], w[da][0] / w[db][0]) for v, w in rows]  # m >= c - s * l

            def dual(price: float, lines=lines, cap_a=cap_a, cap_b=cap_b) -> float:
                return cap_a * price + cap_b * max(0.0, max(c - s * price for c, s in lines))

            prices = {0.0} | {c / s for c, s in lines}
            prices |= {(c1 - c2) / (s1 - s2) for c1, s1 in lines for c2, s2 in lines if s1 != s2}
            value = min(dual(p) for p in prices if p >= 0)
            least = value if least is None else min(least, value)
    return int(least * (1 + 1e-12) + 1e-6) if least is not None else 0  # rounded down, never below the bound
