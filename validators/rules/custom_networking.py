"""PC301-PC302: custom networking needs an ENIConfig (pod subnet) in every AZ with nodes, big enough."""
from __future__ import annotations

from podcap.analysis import Analysis, NodegroupAnalysis
from podcap.model.findings import Severity
from podcap.model.unknown import Unknown
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_CUSTOM
from podcap.rules.subnet_capacity import exhaustion_findings


@rule(
    "PC301",
    Severity.ERROR,
    "Custom networking: an AZ with nodes but no ENIConfig",
    description="""
With AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true, ipamd creates every pod ENI in the subnet of the node's
ENIConfig (chosen by AZ). A node in an AZ without an ENIConfig gets no pod ENI: ipamd fails its
init ("Failed to attach any ENIs for custom networking") and the node never becomes Ready.

EKS Auto Mode pools are not judged here: Auto Mode does not use ENIConfig custom networking (EKS user
guide auto-networking.html, "Considerations"); a NodeClass's `podSubnetSelectorTerms` names the pods'
subnets itself. An AZ where such a pool has nodes but its pod subnets have none is reported as PC001:
the user guide does not say where those pods' addresses would come from.
""",
    help_uri=DOCS_CUSTOM,
    fix="Add an ENIConfig (the add-on's eniConfig block) for the AZ, with a pod subnet in that AZ.",
)
def check_missing(a: Analysis):
    r = REGISTRY["PC301"]
    for na in a.nodegroups:
        if na.ng.provisioner == "auto-mode" or na.ng.pod_subnets is not None:
            yield from _auto_mode_pod_subnets(a, na)
            continue
        if not na.settings.custom_networking or na.cluster is None:
            continue
        for az in na.az_groups:
            if az.startswith("?"):
                continue  # unknown AZ: PC001 reports it
            target = na.cluster.eni_configs.get(az)
            if target is None:
                yield r.finding(
                    na.ng.name,
                    f"node group {na.ng.name} has nodes in {az} (subnets {', '.join(na.az_groups[az])}) but custom "
                    f"networking has no ENIConfig for {az} (ENIConfigs: {', '.join(sorted(na.cluster.eni_configs)) or 'none'})",
                    resource_type="nodegroup",
                    location=na.ng.location,
                    data={"az": az, "eni_configs": sorted(na.cluster.eni_configs)},
                    source=a.plan.source,
                )
            elif isinstance(target, str):
                pod_sub = a.plan.subnets.get(target)
                if pod_sub is not None and isinstance(pod_sub.az, str) and pod_sub.az != az:
                    yield r.finding(
                        na.ng.name,
                        f"the ENIConfig for {az} names subnet {target}, which is in {pod_sub.az}: ENIs cannot be "
                        f"created in another AZ's subnet",
                        resource_type="nodegroup",
                        location=na.ng.location,
                        data={"az": az, "pod_subnet": target, "pod_subnet_az": pod_sub.az},
                        source=a.plan.source,
                    )
            elif isinstance(target, Unknown):
                continue


def _auto_mode_pod_subnets(a: Analysis, na: NodegroupAnalysis):
    """An EKS Auto Mode pool's own pod subnets (NodeClass ``podSubnetSelectorTerms``) in every AZ it has
    nodes in. The user guide documents no ENIConfig here and no fallback to the node's subnet, so an AZ
    without one is an unknown (PC001: the pods' addresses are not counted anywhere), never a pass."""
    pods = na.ng.pod_subnets
    if not isinstance(pods, list) or not na.settings.custom_networking:
        return  # no pod subnets (pods in the node's subnet), or unknown ones (PC001 already)
    azs = {s.az for s in (a.plan.subnets.get(x) for x in pods if isinstance(x, str))
           if s is not None and isinstance(s.az, str)}
    for az, node_subnets in na.az_groups.items():
        if az.startswith("?") or az in azs:
            continue
        reason = (f"pod subnets in {az}: the pool has nodes there (subnets {', '.join(node_subnets)}) but its "
                  f"podSubnetSelectorTerms select no subnet in {az} (pod subnets in: "
                  f"{', '.join(sorted(azs)) or 'none'}); where those nodes' pods take addresses is not known")
        yield REGISTRY["PC001"].finding(
            na.ng.name,
            f"{na.ng.name}: {reason}",
            resource_type="nodegroup",
            location=na.ng.location,
            fix="Give the NodeClass's podSubnetSelectorTerms a subnet in every AZ its subnetSelectorTerms "
                "put nodes in.",
            data={"reason": reason, "where": na.ng.name, "az": az, "pod_subnet_azs": sorted(azs)},
            source=a.plan.source,
        )


@rule(
    "PC302",
    Severity.ERROR,
    "Custom networking: pod subnet exhausted at max size",
    description="""
Under custom networking the pods' addresses (and every pod ENI's primary address) come from the
ENIConfig subnet of the node's AZ. At max size the nodes of that AZ need more addresses than the pod
subnet has. Pod subnets are usually carved from a secondary CIDR such as 100.64.0.0/16, so they can be
made large.
""",
    help_uri=DOCS_CUSTOM,
    fix="Use a larger pod subnet (from a secondary VPC CIDR such as 100.64.0.0/16).",
)
def check_pod_subnet(a: Analysis):
    yield from exhaustion_findings(a, REGISTRY["PC302"], pods_subnets=True)
