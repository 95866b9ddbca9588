"""What one `podcap check` produced: findings plus the capacity tables the text/markdown reports show."""
from __future__ import annotations

from podcap.model.findings import Finding, Severity
from podcap.model.records import field, record

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any


@record
class SubnetUsage:
    """One subnet's row of a report: usable addresses and the demand at each scale."""

    subnet: str
    cidr: str | None
    az: str | None
    role: str
    usable: int | None  # addresses AWS lets you use: size - 5 - already used - reserved ranges
    at_min: int | None  # addresses taken with every node group at min size
    at_desired: int | None
    at_max: int | None
    nodegroups: list[str] = field(default_factory=list)
    note: str = ""
    free_prefix_blocks: int | None = None  # free aligned /28s, prefix reservations included
    prefix_blocks_at_max: int | None = None  # /28 prefixes held here at max size

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@record
class NodegroupSummary:
    """One node group's row of a report: its types, sizes, max pods and addresses per node."""

    name: str
    instance_types: list[str]
    min_size: int | None
    desired_size: int | None
    max_size: int | None
    max_pods: int | None  # what kubelet runs with (set, else the AMI default); smallest type wins
    network_max_pods: int | None  # address capacity in the CNI mode; smallest type wins
    pods_per_node: int | None  # address-taking pods assumed per node
    addresses_per_node: int | None  # addresses a node takes at that demand (growth path), largest type
    note: str = ""
    # a node pool whose cpu or memory limits hold its nodes below max size x addresses per node: the most they
    # take together (JSON "limit_bound"; podcap.check._limit_bound); None otherwise
    limit_bound: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@record
class CheckResult:
    """Everything one `podcap check` run found: what every reporter formats."""

    inputs: list[str]
    findings: list[Finding] = field(default_factory=list)
    subnets: list[SubnetUsage] = field(default_factory=list)
    nodegroups: list[NodegroupSummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # defaults podcap applied, facts read from AWS
    # what was checked: counts of clusters, nodegroups, node_pools, fargate_profiles, subnets (JSON summary.checked)
    checked: dict[str, int] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)  # what the inputs hold besides, for "nothing to check"
    baseline: Any = None  # podcap.baseline.BaselineComparison with `check --baseline FILE`, else None

    def nothing_to_check(self) -> bool:
        """No EKS cluster, node group, node pool or Fargate profile in any input."""
        return bool(self.checked) and not any(
            self.checked.get(k) for k in ("clusters", "nodegroups", "node_pools", "fargate_profiles"))

    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]

    def exit_code(self, strict: bool = False) -> int:
        """0: nothing blocking; 1: an unsuppressed error (or, with strict, a warning)."""
        worst = Severity.WARNING.rank if strict else Severity.ERROR.rank
        return 1 if any(f.severity.rank >= worst for f in self.active()) else 0

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0, "suppressed": 0}
        for f in self.findings:
            if f.suppressed is not None:
                out["suppressed"] += 1
            else:
                out[f.severity.value] += 1
        return out
