"""PC101-PC103: can each node run the pods asked of it, and does kubelet's max-pods match the network."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.engine.maxpods import HOST_NETWORK_PODS
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_MAXPODS, DOCS_PREFIX


@rule(
    "PC101",
    Severity.ERROR,
    "Node group cannot host its requested pods per node",
    description="""
The pods a node group must run per node (the stated demand, counted as address-taking pods) exceed
what a node really runs: `min(kubelet max-pods, network max pods) - 2` (aws-node and kube-proxy use
host networking and take no address). With mixed instance types the smallest type decides, since the
Auto Scaling group may launch any of them.
""",
    help_uri=DOCS_MAXPODS,
    fix="Use a larger instance type, enable prefix delegation and raise max-pods, or spread the pods over more nodes.",
)
def check_demand(a: Analysis):
    """With security groups for pods, the pods the plan puts on branch ENIs do not use ipamd's pool (they
    take the branch ENI's address, amazon-vpc-cni-k8s rpc_handler.go AddNetwork): regular pods are limited
    by the pool, those pods by the type's branch ENIs, and all of them by kubelet max-pods
    (``TypeCapacity.sgp_capacity``)."""
    r = REGISTRY["PC101"]
    for na in a.nodegroups:
        want = na.requested_pods
        small = na.smallest()
        if want is None or small is None:
            continue
        if want > small.capacity_pods and na.settings_assumed:
            kubelet, network = na.most_pods_any_settings(small)
            if want <= min(kubelet - HOST_NETWORK_PODS, network - HOST_NETWORK_PODS + small.sgp_capacity):
                continue  # prefix delegation could run them: the PC001 on the settings says what is missing
        if want > small.capacity_pods:
            network = small.maxpods.network_max_pods + small.sgp_capacity
            limit = "kubelet max-pods" if small.kubelet_max_pods < network else "network capacity"
            if small.sgp_capacity and limit == "network capacity":
                limit = (f"ipamd's pool of {small.maxpods.pod_address_capacity} and {small.sgp_capacity} "
                         "pod(s) on branch ENIs")
            better = [t.limits.name for t in na.types if t.capacity_pods >= want]
            fix = (f"{small.limits.name} runs at most {small.capacity_pods} address-taking pods "
                   f"(limited by {limit}); ")
            if small.kubelet_max_pods < network:
                rec = small.maxpods.max_pods if small.maxpods.max_pods is not None else small.maxpods.network_max_pods
                target = min(want + HOST_NETWORK_PODS, rec)
                if small.managed is not None and small.managed.cap is not None and target > small.managed.cap:
                    fix += (f"EKS caps a managed node group's max pods at {small.managed.cap}: a launch template "
                            "with an AMI (custom AMI) and max-pods in its user data lifts it; ")
                else:
                    fix += f"raise kubelet max-pods to {target} or more; "
            alone = [f"{t.limits.name} {t.own_capacity_pods}" for t in na.types
                     if t.own_capacity_pods is not None and t.own_capacity_pods >= want]
            if any(t.own_capacity_pods is not None for t in na.types):
                fix += (f"EKS gives every node of a managed node group the smallest max pods across its instance "
                        f"types ({small.kubelet_max_pods} here): drop the smaller types from the group"
                        + (f" (in a group of its own: {', '.join(alone)} address-taking pods)" if alone else "")
                        + "; ")
            if not na.settings.prefix_delegation and small.limits.nitro:
                fix += "enable prefix delegation (and raise max-pods); "
            fix += "or choose a larger instance type"
            if better:
                fix += f" (in this group {', '.join(better)} would fit)"
            yield r.finding(
                na.ng.name,
                f"node group {na.ng.name} needs {want} address-taking pods per node but {small.limits.name} runs "
                f"at most {small.capacity_pods} (kubelet max-pods {small.kubelet_max_pods}: {small.max_pods_origin}; "
                f"network max pods {small.maxpods.network_max_pods}"
                + (f" + {small.sgp_capacity} on branch ENIs" if small.sgp_capacity else "")
                + f", {na.settings.describe()})",
                resource_type="nodegroup",
                location=na.ng.location,
                fix=fix,
                data={"requested_pods": want, "capacity_pods": small.capacity_pods,
                      "instance_type": small.limits.name, "kubelet_max_pods": small.kubelet_max_pods,
                      "network_max_pods": small.maxpods.network_max_pods},
                source=a.plan.source,
            )


@rule(
    "PC102",
    Severity.ERROR,
    "kubelet max-pods above the node's address capacity",
    description="""
kubelet schedules up to max-pods pods on a node, but the VPC CNI can give addresses to only
`network max pods - 2` of them. The scheduler places pods the CNI cannot serve, and they stay in
ContainerCreating with "failed to assign an IP address". Typical after switching on custom networking
(the primary ENI no longer carries pods) or security groups for pods (the trunk ENI takes a slot)
without lowering max-pods.

Windows nodes are exempt: the VPC resource controller advertises their address capacity as the node
resource `vpc.amazonaws.com/PrivateIPv4Address` (pkg/provider/ip and pkg/provider/prefix getCapacity) and
its webhook adds a request of one to every Windows pod, so the scheduler never places more pods than
there are addresses; the rest stay Pending, as Karpenter's Windows pools with max-pods 110 expect.
""",
    help_uri=DOCS_MAXPODS,
    fix="Set kubelet max-pods to the network max pods for the mode (see `podcap maxpods`).",
)
def check_above(a: Analysis):
    r = REGISTRY["PC102"]
    for na in a.nodegroups:
        if na.os == "windows":
            continue  # the scheduler stops at the advertised address capacity (see the description)
        for t in na.types:
            if t.kubelet_max_pods > na.most_pods_any_settings(t)[1]:  # beyond the settings it may run
                over = t.kubelet_max_pods - t.maxpods.network_max_pods
                yield r.finding(
                    na.ng.name,
                    f"node group {na.ng.name}: kubelet max-pods {t.kubelet_max_pods} on {t.limits.name} exceeds its "
                    f"network capacity of {t.maxpods.network_max_pods} pods ({t.maxpods.mode}); up to {over} pods "
                    "per node would stick in ContainerCreating",
                    resource_type="nodegroup",
                    location=na.ng.location,
                    fix=(f"set kubelet max-pods to "
                         f"{t.maxpods.max_pods if t.maxpods.max_pods is not None else t.maxpods.network_max_pods} "
                         f"(network capacity {t.maxpods.network_max_pods}); now {t.max_pods_origin}"),
                    data={"instance_type": t.limits.name, "kubelet_max_pods": t.kubelet_max_pods,
                          "network_max_pods": t.maxpods.network_max_pods, "recommended_max_pods": t.maxpods.max_pods},
                    source=a.plan.source,
                )


@rule(
    "PC103",
    Severity.WARNING,
    "kubelet max-pods far below capacity",
    description="""
kubelet max-pods is at most half of what AWS recommends for the instance type in this CNI mode. The
usual cause: prefix delegation was switched on but the nodes kept the EKS AMI default (29 on an
m5.large, 17 on a t3.medium), because max-pods is computed at boot from the default-mode formula
unless it is set. The addresses are there; the nodes refuse the pods.
""",
    help_uri=DOCS_PREFIX,
    fix="Set kubelet max-pods (launch template / nodeadm maxPods) to the recommended value, and create the "
        "vpc-cni add-on before the node group.",
)
def check_below(a: Analysis):
    r = REGISTRY["PC103"]
    for na in a.nodegroups:
        if na.ng.provisioner == "auto-mode":
            continue  # EKS sets an Auto Mode node's max pods (create-node-class.html): nothing a user can set
        for t in na.types:
            if t.maxpods.max_pods is None or t.alt_reason == "ordering":
                continue  # undecidable recommendation (vCPUs unknown), or PC105 names both figures
            if t.kubelet_max_pods * 2 <= t.maxpods.max_pods and t.kubelet_max_pods <= t.maxpods.network_max_pods:
                set_how = t.max_pods_origin or (
                    "set in the plan" if na.ng.kubelet_max_pods is not None else "the EKS AMI default")
                fix = f"set kubelet max-pods to {t.maxpods.max_pods} on {t.limits.name}"
                if t.own_kubelet_max_pods is not None and t.own_kubelet_max_pods > t.kubelet_max_pods:
                    # a managed node group of several types: EKS wrote the smallest type's figure here
                    fix = (f"EKS gives every node of a managed node group the smallest max pods across its "
                           f"instance types ({t.kubelet_max_pods}); put {t.limits.name} in a node group of its "
                           f"own, where EKS writes {t.own_kubelet_max_pods}")
                yield r.finding(
                    na.ng.name,
                    f"node group {na.ng.name}: kubelet max-pods {t.kubelet_max_pods} on {t.limits.name} ({set_how}) "
                    f"is far below the {t.maxpods.max_pods} recommended for {t.maxpods.mode} "
                    f"(network capacity {t.maxpods.network_max_pods})",
                    resource_type="nodegroup",
                    location=na.ng.location,
                    fix=fix,
                    data={"instance_type": t.limits.name, "kubelet_max_pods": t.kubelet_max_pods,
                          "recommended_max_pods": t.maxpods.max_pods,
                          "network_max_pods": t.maxpods.network_max_pods},
                    source=a.plan.source,
                )
                break
