"""How many nodes of a Karpenter / EKS Auto Mode node pool are replaced at once: its disruption budgets.

A node pool is not updated like an Auto Scaling group. Karpenter replaces its nodes (drift: a new AMI, a changed
NodeClass; consolidation) one disruption decision at a time, pre-spinning the replacements and waiting for them to
be ready before it drains the old nodes (aws/karpenter-provider-aws website docs/concepts/disruption.md, "the
standard disruption process"). How many nodes it disrupts at once is capped by the NodePool's
``spec.disruption.budgets``, modelled on kubernetes-sigs/karpenter ``pkg/apis/v1/nodepool.go``:

* ``GetAllowedDisruptionsByReason``: the minimum over the budgets that list the reason or list none;
  ``math.MaxInt32`` (no cap) when none applies;
* ``Budget.GetAllowedDisruptions``: a budget outside its ``schedule`` + ``duration`` window is inactive (no cap);
  ``nodes`` is a count, or a percentage scaled by the pool's nodes and rounded **up**
  (``intstr.GetScaledValueFromIntOrPercent(..., numNodes, true)``: 10% of 2 nodes allows 1);
* the field defaults: no ``budgets`` gives one budget ``nodes: 10%`` (``+kubebuilder:default``), a budget without
  ``nodes`` has ``10%``. EKS Auto Mode does the same, built-in pools included ("By default, EKS Auto Mode ... sets
  a single disruption budget of 10% of nodes", EKS user guide create-node-pool.html, "Disruption").

``pkg/controllers/disruption/helpers.go`` ``BuildDisruptionBudgetMapping`` counts the pool's initialized nodes
(replacements still starting are not counted), and ``SimulateScheduling`` leaves the nodes being replaced out of
the NodePool's limits, so at its most nodes a pool briefly holds them plus one replacement per disrupted node.

The reasons that launch replacements are ``Drifted`` and ``Underutilized``; ``Empty`` only deletes. A budget with
a schedule restricts only inside its window, so the worst case ignores it. Expiration (``expireAfter``) is a
forceful method budgets do not limit; it is not modelled here.
"""
from __future__ import annotations

import re

from podcap.model.records import record
from podcap.model.unknown import Unknown

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_BUDGET_NODES = "10%"  # karpenter.sh/v1 NodePool: +kubebuilder:default:="10%"
REPLACING_REASONS = ("Drifted", "Underutilized")  # Empty nodes are deleted, not replaced
REASONS = ("Drifted", "Underutilized", "Empty")
# the CRD's validation pattern for budgets[].nodes; its text: re compiles it at its first use
_NODES = r"^((100|[0-9]{1,2})%|[0-9]+)$"


@record(frozen=True)
class Budget:
    """One ``spec.disruption.budgets`` entry."""

    nodes: str = DEFAULT_BUDGET_NODES
    reasons: tuple[str, ...] | None = None  # None: every reason
    scheduled: bool = False  # has schedule + duration: active only inside its window

    def allowed(self, num_nodes: int) -> int:
        """Budget.GetAllowedDisruptions while active: a count, or a percentage of the nodes rounded up."""
        if self.nodes.endswith("%"):
            return -(-int(self.nodes[:-1]) * num_nodes // 100)  # rounded up
        return int(self.nodes)

    def describe(self) -> str:
        return f"nodes {self.nodes}" + (f" ({', '.join(self.reasons)})" if self.reasons else "")


DEFAULT_BUDGETS = (Budget(),)


def read_budgets(disruption: Any, where: str) -> tuple[Budget, ...] | Unknown:
    """A NodePool's ``spec.disruption`` budgets, with the CRD's defaults. An entry the Kubernetes API would reject
    (``nodes`` outside the CRD's pattern, an unknown reason) makes the budgets Unknown."""
    if disruption is None:
        return DEFAULT_BUDGETS
    if not isinstance(disruption, dict):
        return Unknown("invalid spec.disruption: not an object", where)
    raw = disruption.get("budgets")
    if raw is None:
        return DEFAULT_BUDGETS
    if not isinstance(raw, list):
        return Unknown("invalid spec.disruption.budgets: not a list", where)
    out: list[Budget] = []
    for i, b in enumerate(raw):
        at = f"spec.disruption.budgets[{i}]"
        if not isinstance(b, dict):
            return Unknown(f"invalid {at}: not an object", where)
        nodes = b.get("nodes", DEFAULT_BUDGET_NODES)
        text = str(nodes).strip() if isinstance(nodes, (str, int)) and not isinstance(nodes, bool) else ""
        if not re.match(_NODES, text):
            return Unknown(f"invalid {at}.nodes {nodes!r}: a count or a percentage from 0% to 100%", where)
        reasons = b.get("reasons")
        if reasons is not None:
            if not isinstance(reasons, list) or any(r not in REASONS for r in reasons):
                return Unknown(f"invalid {at}.reasons {reasons!r}: {', '.join(REASONS)}", where)
            reasons = tuple(reasons)
        scheduled = b.get("schedule") is not None or b.get("duration") is not None
        out.append(Budget(text, reasons, scheduled))
    return tuple(out)


def allowed_disruptions(budgets: tuple[Budget, ...], num_nodes: int, reason: str) -> int | None:
    """NodePool.GetAllowedDisruptionsByReason at the worst moment (scheduled budgets inactive); None: no cap."""
    values = [b.allowed(num_nodes) for b in budgets
              if not b.scheduled and (b.reasons is None or reason in b.reasons)]
    return min(values) if values else None


def replacement_surge(budgets: tuple[Budget, ...], num_nodes: int) -> tuple[int, str]:
    """The most replacement nodes a pool of ``num_nodes`` nodes launches at once, and how that follows from its
    budgets: the larger figure of the replacing reasons, never more than the pool's nodes."""
    best, how = 0, ""
    for reason in REPLACING_REASONS:
        allowed = allowed_disruptions(budgets, num_nodes, reason)
        n = num_nodes if allowed is None else min(allowed, num_nodes)
        if n > best or not how:
            applying = [b.describe() for b in budgets
                        if not b.scheduled and (b.reasons is None or reason in b.reasons)]
            how = (f"disruption budget {' / '.join(applying)} of {num_nodes} nodes, for {reason} replacements"
                   if applying else f"no disruption budget limits {reason} replacements")
            best = max(best, n)
    return best, how


__all__ = ["DEFAULT_BUDGETS", "Budget", "allowed_disruptions", "read_budgets", "replacement_surge"]
