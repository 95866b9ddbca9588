"""PC301-PC302: custom networking needs an ENIConfig (pod subnet) in every AZ with nodes, big enough."""
from __future__ import annotations

from podcap.analysis import Analysis
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
""",
    help_uri=DOCS_CUSTOM,
    fix="Add an ENIConfig (the add-on's eniConfig block) for the AZ, with a pod subnet in that AZ.",
)
def check_missing(a: Analysis):
    r = REGISTRY["PC301"]
    for na in a.nodegroups:
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
