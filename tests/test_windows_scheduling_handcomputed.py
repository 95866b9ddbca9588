"""Windows nodes whose kubelet max-pods is above their address capacity: no pod sticks in ContainerCreating.

aws/amazon-vpc-resource-controller-k8s advertises a Windows node's addresses as the extended resource
``vpc.amazonaws.com/PrivateIPv4Address`` (pkg/provider/ip/provider.go getCapacity: IPv4 per interface - 1
on the primary ENI; pkg/provider/prefix: that times 16) and webhooks/core/pod_webhook.go adds a request of
one to every Windows pod, so the scheduler places at most that many pods; Karpenter models the same
resource (karpenter-provider-aws types.go privateIPv4Address) while writing max-pods 110 for Windows
families (pods(): no ENI-limited density). Pods beyond it stay Pending and Karpenter launches another node:
PC102 (pods stuck in ContainerCreating) does not apply.

m5.large: 10 IPv4 per ENI -> 9 pods per Windows node, each node 1 + 9 = 10 addresses.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

SPEC = """version: 1
name: w
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/24, tags: {k: v}}
  - {name: b, az: us-east-1b, cidr: 10.0.1.0/24, tags: {k: v}}
nodegroups:
  - {name: mng, instance_types: [m5.large], subnets: [a, b], min: 1, max: 3, os: windows, kubelet_max_pods: 110}
  - {name: lin, instance_types: [m5.large], subnets: [a, b], min: 1, max: 3, kubelet_max_pods: 110}
node_pools:
  - {name: kp, provisioner: karpenter, subnets: [a, b], instance_types: [m5.large], max_nodes: 3,
     ami_family: Windows2022}
"""


def test_windows_max_pods_above_capacity_is_no_error(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    r = json.loads(run.out)
    pc102 = sorted(f["resource"] for f in r["findings"] if f["rule_id"] == "PC102")
    # the Linux group still: 110 > 3 x 9 + 2 = 29, its 81 extra pods stick in ContainerCreating
    assert pc102 == ["lin"]
    groups = {g["name"]: g for g in r["nodegroups"]}
    # Karpenter writes 110 on Windows2022; the node runs 9 pods on 10 addresses
    assert groups["kp"]["max_pods"] == 110 and groups["kp"]["addresses_per_node"] == 10
    assert groups["mng"]["addresses_per_node"] == 10
