"""PC105: a managed node group whose max pods depends on whether the vpc-cni add-on is configured first."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_MAXPODS

DOCS_MNG_CREATE = "https://docs.aws.amazon.com/eks/latest/userguide/create-managed-node-group.html"


def _ordering_fix(kind: str, ng: str, addon: str) -> str:
    """The ordering advice in the words of the source the node group comes from (``Plan.kind``)."""
    if kind == "cloudformation":
        return f"add DependsOn: {addon} to {ng} (or a reference from {ng} to the add-on)"
    if kind == "cdk-assembly":
        return (f"make {ng} depend on the add-on in the CDK app (nodegroup.node.addDependency(addon)), so the "
                f"synthesized template has DependsOn: {addon}")
    if kind.startswith("terraform"):
        return (f"add depends_on = [{addon}] to {ng} (terraform-aws-eks: before_compute = true on the "
                "vpc-cni add-on)")
    return f"create {ng} only once the vpc-cni add-on ({addon}) is configured"


@rule(
    "PC105",
    Severity.WARNING,
    "Managed node group's max pods depends on the vpc-cni add-on being configured first",
    description="""
For a managed node group without a custom AMI, EKS computes the max pods it writes when it creates
the node group, from the VPC CNI configuration in force at that moment (prefix delegation, custom
networking, MAX_ENI), capped at 110 (30 vCPUs or fewer) or 250. When nothing orders the node group
after the vpc-cni add-on's configuration (CloudFormation `DependsOn` or a reference chain, Terraform
`depends_on` or a reference chain such as terraform-aws-eks's `before_compute`), the node group may be
created first and get the figure for the CNI's defaults, and keeps it until its nodes are replaced.
podcap then judges pod capacity with the smaller figure and the subnets with the larger address demand.
""",
    help_uri=DOCS_MNG_CREATE,
    fix="Order the node group after the vpc-cni add-on (DependsOn / depends_on), so EKS sees its configuration.",
)
def check(a: Analysis):
    r = REGISTRY["PC105"]
    for na in a.nodegroups:
        if not na.ordering_figures:
            continue
        figures = set(na.ordering_figures.values())
        if len(na.ordering_figures) > 1 and len(figures) == 1:
            # a managed node group of several types: EKS writes the smallest across them on every node
            with_cfg, without = next(iter(figures))
            parts = [(f"{with_cfg} if the add-on is configured first, {without} otherwise, on every node (the "
                     f"smallest across {', '.join(na.ordering_figures)})")]
        else:
            parts = [f"{name}: {with_cfg} if the add-on is configured first, {without} otherwise"
                     for name, (with_cfg, without) in na.ordering_figures.items()]
        cl = na.cluster
        addon = cl.cni_resource if cl is not None and cl.cni_resource else "the vpc-cni add-on"
        first = next(iter(na.ordering_figures.values()))
        yield r.finding(
            na.ng.name,
            f"managed node group {na.ng.name}: nothing orders it after {addon}, and the max pods EKS writes "
            f"depends on that ({'; '.join(parts)})",
            resource_type="nodegroup",
            location=na.ng.location,
            fix=(f"{_ordering_fix(a.plan.kind, na.ng.name, addon)}, so EKS writes {first[0]} and not "
                 f"{first[1]}; podcap judges pod capacity at the smaller figure and the subnets at the larger "
                 "address demand meanwhile"),
            data={"figures": {k: {"configured_first": v[0], "otherwise": v[1]}
                              for k, v in na.ordering_figures.items()},
                  "addon": addon, "docs": DOCS_MAXPODS},
            source=a.plan.source,
        )
