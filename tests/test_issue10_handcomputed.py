"""Issue 10 figures (Kubernetes objects, Karpenter, EKS Auto Mode, Fargate, Terraform, eksctl), computed by
hand from AWS's own sources and checked only through podcap's documented contracts:
``podcap check FILE [FILE...] --format json`` (docs/report-json.md, ``summary.checked``), docs/node-pools.md,
docs/auto-mode.md, docs/spec.md.

Sources (each case names the one it uses):

* [KARP-PODS] aws/karpenter-provider-aws ``pkg/providers/instancetype/types.go`` (commit
  1d927085dd81a9df9301e613f371dac5b4d16bfe): ``pods()`` = kubelet maxPods when set, else for families with
  ENI-limited pod density ``ENILimitedPods`` = (MaximumNetworkInterfaces of the default card - reservedENIs -
  EFA-only NICs on card 0) x (Ipv4AddressesPerInterface - 1) + 2, else 110; then min(podsPerCore x
  DefaultVCpus, count) when podsPerCore > 0 and the family's ``PodsPerCoreEnabled``.
* [KARP-FAMILY] same commit, ``pkg/providers/amifamily/bottlerocket.go`` (``PodsPerCoreEnabled: false``) and
  ``resolver.go`` (default feature flags ``PodsPerCoreEnabled: true``; the resolved ``maxPods`` is written into
  the node's kubelet configuration).
* [KARP-OPTS] same commit, ``pkg/operator/options/options.go``: ``--reserved-enis`` / ``RESERVED_ENIS``
  (default 0) "are not included in the calculations for max-pods".
* [KARP-LIMITS] Karpenter docs "NodePools" ``spec.limits``: Karpenter launches no node that would take the
  pool's total over a limit; with ``cpu: 20`` and 2-vCPU nodes that is floor(20 / 2) = 10 nodes.
* [EKSCTL-VPC] eksctl-io/eksctl ``pkg/vpc/vpc.go`` (commit 99984adb6164ece593c0728523b7f497ea61d60e):
  ``SetSubnets`` / ``getSubnetNetworkSize`` / ``SplitInto``: 2 x Z subnets of mask + 3 bits (<= 8 subnets),
  public zone i = block i, private zone i = block Z + i; ``DefaultCIDR`` 192.168.0.0/16.
* [EKSCTL-SIZES] same commit, ``pkg/apis/eksctl.io/v1alpha5/validation.go`` ``ValidateManagedNodeGroup`` and
  ``pkg/cfn/builder/nodegroup.go``: minSize = desiredCapacity else ``DefaultNodeCount`` 2; maxSize =
  desiredCapacity else minSize; desired = minSize; ``DefaultNodeType`` m5.large (types.go).
* [IPAMD] aws/amazon-vpc-cni-k8s ``pkg/ipamd/ipamd.go``: secondary-IP mode with WARM_ENI_TARGET=1 attaches
  ENIs until a whole ENI of addresses is free, stopping once the pool reaches max pods; with prefix
  delegation (WARM_PREFIX_TARGET=1) /28 prefixes on the primary ENI until the pool reaches max pods.
* [EKS-FARGATE] EKS user guide fargate-pod-configuration / fargate.html: every Fargate pod runs in its own
  micro-VM with its own ENI: one VPC address per pod, no warm pool.
* [EKS-AUTO] EKS user guide auto-networking.html ("Network Resource Management": /28 prefixes on the primary
  ENI, fall back to secondary IPs) and create-node-class.html ("EKS limits the maximum number of pods on a
  node to 110 ... after the existing max pods calculation"); set-builtin-node-pools.html.
* [MNG] EKS user guide create-managed-node-group: a managed node group without an AMI ID gets the max-pods
  calculator's value, capped at 110 below 30 vCPUs.

Instance facts (the EC2 DescribeInstanceTypes values that the VPC CNI's vpc_ip_resource_limit.go also has):
m5.large 2 vCPUs, 3 ENIs x 10 IPv4; m5.xlarge 4 vCPUs, 4 ENIs x 15 IPv4.

Per-node addresses used below (hand-computed from [IPAMD]):
* m5.large, secondary IPs, max pods 29 (27 address-taking pods): 3 ENIs are attached before the pool holds
  29, so 3 x 10 = 30 addresses.
* m5.large, secondary IPs, max pods 12: ENI 1 holds 9 pod IPs < 12; the first pod leaves 8 < 9 free, so ENI 2
  (18 >= 12, stop): 2 x 10 = 20 addresses.
* m5.large, secondary IPs, max pods 8: ENI 1 holds 9 >= 8, the pool never grows: 10 addresses.
* m5.large, prefix delegation, max pods 29: 2 prefixes = 32 >= 29: 1 primary + 2 x 16 = 33 addresses, 2 /28s.
* m5.large, prefix delegation, max pods 110 (108 pods): 7 prefixes = 112 >= 110: 1 + 7 x 16 = 113, 7 /28s.
* m5.large, prefix delegation, max pods 50 (48 pods): 3 prefixes = 48 < 50 and none free, a 4th: 64 >= 50:
  1 + 4 x 16 = 65 addresses, 4 /28s.

Subnet arithmetic: usable = 2^(32 - prefix) - 5 (AWS reserves 5 per subnet). Where the EKS control plane
would add its ENIs to a subnet under test, the tests put the cluster in separate /28 subnets instead, so
each figure below is the consumer's alone.
"""
from __future__ import annotations

import codecs
import copy
import json
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

DATA = Path(__file__).resolve().parent / "data"
EKSCTL_EXAMPLES = DATA / "eksctl"


# --------------------------------------------------------------------------------------------- helpers


def check(*paths: Path, extra: tuple[str, ...] = ()) -> dict:
    run = cli(["check", *map(str, paths), "--format", "json", *extra]).assert_promise()
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def text(*paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, str]:
    run = cli(["check", *map(str, paths), *extra]).assert_promise()
    assert run.code in (0, 1), run.err
    return run.code, run.out


def findings(report: dict, rule: str | None = None, resource: str | None = None) -> list[dict]:
    return [f for f in report["findings"]
            if (rule is None or f["rule_id"] == rule) and (resource is None or resource in f["resource"])]


def ng(report: dict, name: str) -> dict:
    (g,) = [g for g in report["nodegroups"] if g["name"] == name]
    return g


def subnet(report: dict, name: str) -> dict:
    (s,) = [s for s in report["subnets"] if s["subnet"] == name]
    return s


def write(tmp_path: Path, name: str, body: str) -> Path:
    p = tmp_path / name
    p.write_text(body)
    return p


# A spec whose cluster ENIs live in two /28s, and two /24 node subnets tagged for Karpenter discovery
# (251 usable each = 256 - 5), plus a /24 in a third AZ with another tag that no pool may select.
SPEC = """\
version: 1
name: demo
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: cp-a, az: us-east-1a, cidr: 10.0.100.0/28}
  - {name: cp-b, az: us-east-1b, cidr: 10.0.100.16/28}
  - {name: nodes-a, az: us-east-1a, cidr: 10.0.0.0/24, tags: {karpenter.sh/discovery: demo}}
  - {name: nodes-b, az: us-east-1b, cidr: 10.0.1.0/24, tags: {karpenter.sh/discovery: demo}}
  - {name: other-c, az: us-east-1c, cidr: 10.0.2.0/24, tags: {karpenter.sh/discovery: elsewhere}}
cluster:
  subnets: [cp-a, cp-b]
"""

NODECLASS_V1 = """\
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {{name: default}}
spec:
  amiSelectorTerms: [{{alias: {alias}}}]
  role: KarpenterNodeRole-demo
  subnetSelectorTerms:
    - tags: {{karpenter.sh/discovery: demo}}
  securityGroupSelectorTerms:
    - tags: {{karpenter.sh/discovery: demo}}
{kubelet}"""


def nodepool_v1(requirements: str, limits: str = 'cpu: "20"', annotations: str = "") -> str:
    return f"""\
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
{annotations}spec:
  template:
    spec:
      requirements:
{requirements}
      nodeClassRef: {{group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}}
  limits:
    {limits}
"""


M5_LARGE = "        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}"


def karpenter(tmp_path: Path, requirements: str = M5_LARGE, *, limits: str = 'cpu: "20"', alias: str =
              "al2023@latest", kubelet: str = "", annotations: str = "", spec: str = SPEC) -> dict:
    s = write(tmp_path, "spec.yaml", spec)
    m = write(tmp_path, "nodepool.yaml", nodepool_v1(requirements, limits, annotations) + "---\n"
              + NODECLASS_V1.format(alias=alias, kubelet=kubelet))
    return check(s, m)


# ------------------------------------------------------------------------- Karpenter (spec + manifests)


def test_karpenter_node_bound_from_cpu_limit_and_every_az_judged_for_all_nodes(tmp_path):
    r = karpenter(tmp_path)
    assert r["summary"]["checked"] == {"clusters": 1, "nodegroups": 0, "node_pools": 1, "fargate_profiles": 0,
                                       "subnets": 5}
    g = ng(r, "default")
    # [KARP-LIMITS] limits.cpu 20 / 2 vCPUs (m5.large) = 10 nodes
    assert g["max_size"] == 10
    # [KARP-PODS] AL2023, no kubelet.maxPods: 3 x (10 - 1) + 2 = 29
    assert g["max_pods"] == 29 and g["network_max_pods"] == 29
    # [IPAMD] 3 ENIs x 10 addresses = 30 per node
    assert g["addresses_per_node"] == 30
    # Karpenter does not balance zones: each AZ's single selected subnet is judged for all 10 nodes:
    # 10 x 30 = 300 > 251 usable (256 - 5) -> PC201 in both AZs
    for name in ("nodes-a", "nodes-b"):
        s = subnet(r, name)
        assert (s["usable"], s["at_max"]) == (251, 300)
        assert s["nodegroups"] == ["default"]
    assert sorted(f["resource"] for f in findings(r, "PC201")) == ["nodes-a", "nodes-b"]
    # the third subnet's tag value differs: not selected, nothing there
    assert subnet(r, "other-c")["at_max"] == 0 and subnet(r, "other-c")["nodegroups"] == []
    assert any("does not balance" in n for n in r["notes"])


def test_karpenter_zone_balanced_annotation_spreads_ceil_n_over_azs(tmp_path):
    r = karpenter(tmp_path, annotations='  annotations: {podcap/zone-balanced: "true"}\n')
    # ceil(10 nodes / 2 AZs) = 5 per AZ; 5 x 30 = 150 <= 251: no PC201
    for name in ("nodes-a", "nodes-b"):
        assert subnet(r, name)["at_max"] == 150
    assert not findings(r, "PC201")


def test_karpenter_zone_requirement_keeps_one_az(tmp_path):
    req = M5_LARGE + "\n        - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}"
    r = karpenter(tmp_path, req)
    # only us-east-1a: all 10 nodes there, 10 x 30 = 300; nothing in us-east-1b
    assert subnet(r, "nodes-a")["at_max"] == 300
    assert subnet(r, "nodes-b")["at_max"] == 0


def test_karpenter_kubelet_max_pods(tmp_path):
    r = karpenter(tmp_path, kubelet="  kubelet: {maxPods: 12}\n")
    g = ng(r, "default")
    # [KARP-PODS] kubelet.maxPods 12 wins over the ENI-limited 29
    assert g["max_pods"] == 12
    # [IPAMD] max pods 12 on m5.large: 2 ENIs = 20 addresses; 10 nodes x 20 = 200 per AZ <= 251
    assert g["addresses_per_node"] == 20
    assert subnet(r, "nodes-a")["at_max"] == 200
    assert not findings(r, "PC201")


def test_karpenter_pods_per_core_caps_al2023(tmp_path):
    r = karpenter(tmp_path, kubelet="  kubelet: {podsPerCore: 4}\n")
    g = ng(r, "default")
    # [KARP-PODS] min(4 x 2 vCPUs, 29) = 8
    assert g["max_pods"] == 8
    # [IPAMD] max pods 8: ENI 1 (9 pod IPs) suffices: 10 addresses; 10 nodes x 10 = 100
    assert g["addresses_per_node"] == 10
    assert subnet(r, "nodes-b")["at_max"] == 100


def test_karpenter_pods_per_core_ignored_on_bottlerocket(tmp_path):
    r = karpenter(tmp_path, alias="bottlerocket@latest", kubelet="  kubelet: {podsPerCore: 4}\n")
    # [KARP-FAMILY] Bottlerocket: PodsPerCoreEnabled false -> ENI-limited 29 stays
    assert ng(r, "default")["max_pods"] == 29


def test_karpenter_kubelet_max_pods_then_pods_per_core(tmp_path):
    r = karpenter(tmp_path, kubelet="  kubelet: {maxPods: 20, podsPerCore: 3}\n")
    # [KARP-PODS] maxPods 20, then min(3 x 2, 20) = 6 (podsPerCore applies after maxPods)
    assert ng(r, "default")["max_pods"] == 6


def test_karpenter_reserved_enis_annotation(tmp_path):
    r = karpenter(tmp_path, annotations='  annotations: {podcap/reserved-enis: "1"}\n')
    # [KARP-PODS]/[KARP-OPTS] (3 - 1) x (10 - 1) + 2 = 20
    assert ng(r, "default")["max_pods"] == 20


def test_karpenter_reserved_enis_from_controller_deployment(tmp_path):
    s = write(tmp_path, "spec.yaml", SPEC)
    m = write(tmp_path, "nodepool.yaml", nodepool_v1(M5_LARGE) + "---\n"
              + NODECLASS_V1.format(alias="al2023@latest", kubelet=""))
    d = write(tmp_path, "karpenter.yaml", """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: karpenter, namespace: kube-system}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: karpenter}}
  template:
    metadata: {labels: {app.kubernetes.io/name: karpenter}}
    spec:
      containers:
        - name: controller
          image: public.ecr.aws/karpenter/controller:1.6.0
          env:
            - {name: RESERVED_ENIS, value: "2"}
""")
    r = check(s, m, d)
    # [KARP-OPTS] RESERVED_ENIS 2: (3 - 2) x (10 - 1) + 2 = 11
    assert ng(r, "default")["max_pods"] == 11


def test_karpenter_family_and_cpu_requirements_pick_types(tmp_path):
    req = ("        - {key: karpenter.k8s.aws/instance-family, operator: In, values: [m5]}\n"
           "        - {key: karpenter.k8s.aws/instance-cpu, operator: Lt, values: [\"5\"]}")
    r = karpenter(tmp_path, req)
    g = ng(r, "default")
    # m5 with fewer than 5 vCPUs: m5.large (2) and m5.xlarge (4)
    assert sorted(g["instance_types"]) == ["m5.large", "m5.xlarge"]
    # node bound by the smallest type: 20 / 2 = 10; max pods the smallest type's: 29
    assert (g["max_size"], g["max_pods"]) == (10, 29)
    # worst type's addresses: m5.xlarge, ENI-limited 4 x 14 + 2 = 58 (56 pods) -> all 4 ENIs: 4 x 15 = 60
    assert g["addresses_per_node"] == 60
    # per AZ: the nodes hold 20 vCPUs together (Karpenter launches no node past limits.cpu), so 10 x m5.large
    # (10 x 30) or 5 x m5.xlarge (5 x 60): at most 300, not 10 nodes x 60 = 600 (docs/node-pools.md)
    assert subnet(r, "nodes-a")["at_max"] == 300


def test_karpenter_cpu_range_requirement(tmp_path):
    req = ("        - {key: karpenter.k8s.aws/instance-family, operator: In, values: [m5]}\n"
           "        - {key: karpenter.k8s.aws/instance-cpu, operator: Gt, values: [\"3\"]}\n"
           "        - {key: karpenter.k8s.aws/instance-cpu, operator: Lt, values: [\"9\"]}")
    r = karpenter(tmp_path, req, limits='cpu: "40"')
    g = ng(r, "default")
    # m5 with 3 < vCPUs < 9: m5.xlarge (4) and m5.2xlarge (8), both 4 ENIs x 15 IPv4
    assert sorted(g["instance_types"]) == ["m5.2xlarge", "m5.xlarge"]
    # 40 / 4 (smallest) = 10 nodes; 4 x 14 + 2 = 58 max pods; 56 pods -> 4 ENIs x 15 = 60 addresses
    assert (g["max_size"], g["max_pods"], g["addresses_per_node"]) == (10, 58, 60)
    assert subnet(r, "nodes-b")["at_max"] == 600


def test_spec_node_pool_matches_manifest(tmp_path):
    """The spec's node_pools entry stands for the same NodePool + EC2NodeClass (docs/spec.md)."""
    spec = SPEC + """\
node_pools:
  - name: default
    provisioner: karpenter
    subnets: [nodes-a, nodes-b]
    instance_types: [m5.large]
    limits: {cpu: 20}
    kubelet_max_pods: 12
"""
    r = check(write(tmp_path, "spec.yaml", spec))
    g = ng(r, "default")
    # as test_karpenter_kubelet_max_pods: 10 nodes, 12 max pods, 20 addresses, 200 per AZ
    assert (g["max_size"], g["max_pods"], g["addresses_per_node"]) == (10, 12, 20)
    assert subnet(r, "nodes-a")["at_max"] == subnet(r, "nodes-b")["at_max"] == 200


def test_karpenter_v1beta1_kubelet_on_nodepool(tmp_path):
    s = write(tmp_path, "spec.yaml", SPEC)
    m = write(tmp_path, "nodepool.yaml", """\
apiVersion: karpenter.sh/v1beta1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}
      nodeClassRef: {apiVersion: karpenter.k8s.aws/v1beta1, kind: EC2NodeClass, name: default}
      kubelet: {maxPods: 12}
  limits: {cpu: "8"}
---
apiVersion: karpenter.k8s.aws/v1beta1
kind: EC2NodeClass
metadata: {name: default}
spec:
  amiFamily: AL2
  role: KarpenterNodeRole-demo
  subnetSelectorTerms:
    - tags: {karpenter.sh/discovery: demo}
  securityGroupSelectorTerms:
    - tags: {karpenter.sh/discovery: demo}
""")
    r = check(s, m)
    g = ng(r, "default")
    # v1beta1 keeps kubelet on the NodePool: 12; limits.cpu 8 / 2 = 4 nodes; 4 x 20 = 80 per AZ
    assert (g["max_pods"], g["max_size"]) == (12, 4)
    assert subnet(r, "nodes-a")["at_max"] == 80


def test_karpenter_without_limits_is_pc001(tmp_path):
    s = write(tmp_path, "spec.yaml", SPEC)
    body = nodepool_v1(M5_LARGE).replace('  limits:\n    cpu: "20"\n', "")
    m = write(tmp_path, "nodepool.yaml", body + "---\n" + NODECLASS_V1.format(alias="al2023@latest", kubelet=""))
    r = check(s, m)
    # nothing bounds the pool: PC001 naming it, never a pass
    assert findings(r, "PC001", "default")
    assert subnet(r, "nodes-a")["at_max"] is None


def test_karpenter_subnet_ids_selector(tmp_path):
    s = write(tmp_path, "spec.yaml", SPEC)
    nc = NODECLASS_V1.format(alias="al2023@latest", kubelet="").replace(
        "    - tags: {karpenter.sh/discovery: demo}\n  securityGroupSelectorTerms",
        "    - id: other-c\n  securityGroupSelectorTerms")
    m = write(tmp_path, "nodepool.yaml", nodepool_v1(M5_LARGE) + "---\n" + nc)
    r = check(s, m)
    # subnetSelectorTerms by id: only other-c, 10 x 30 = 300 there
    assert subnet(r, "other-c")["at_max"] == 300
    assert subnet(r, "nodes-a")["at_max"] == 0


def test_karpenter_selector_matching_nothing_is_unknown(tmp_path):
    s = write(tmp_path, "spec.yaml", SPEC)
    nc = NODECLASS_V1.format(alias="al2023@latest", kubelet="").replace(
        "    - tags: {karpenter.sh/discovery: demo}\n  securityGroupSelectorTerms",
        "    - tags: {karpenter.sh/discovery: nowhere}\n  securityGroupSelectorTerms")
    m = write(tmp_path, "nodepool.yaml", nodepool_v1(M5_LARGE) + "---\n" + nc)
    r = check(s, m)
    assert findings(r, "PC001", "default")


@pytest.mark.parametrize("limits, nodes", [
    ('cpu: "20000m"', 10),  # 20000m = 20 CPUs; floor(20 / 2) = 10
    ("cpu: 21", 10),  # floor(21 / 2) = 10: an 11th 2-vCPU node would take the pool to 22 > 21
    ("nodes: 3", 3),  # limits.nodes bounds the count directly (Karpenter docs, NodePools "spec.limits")
    ('{cpu: "20", nodes: 4}', 4),  # the tighter of floor(20 / 2) = 10 and 4
])
def test_karpenter_limit_forms(tmp_path, limits, nodes):
    lim = f"{limits}" if not limits.startswith("{") else limits[1:-1].replace(", ", "\n    ")
    r = karpenter(tmp_path, limits=lim)
    assert ng(r, "default")["max_size"] == nodes
    # all nodes in each AZ: nodes x 30 (m5.large, secondary IPs)
    assert subnet(r, "nodes-a")["at_max"] == nodes * 30


def test_karpenter_memory_limit_uses_capacity_after_vm_overhead(tmp_path):
    """Karpenter counts a node's memory as its capacity after VM overhead (karpenter-provider-aws
    pkg/providers/instancetype/types.go memory(): SizeInMiB - ceil(SizeInMiB x VM_MEMORY_OVERHEAD_PERCENT),
    options.go default 0.075) and holds that capacity against spec.limits (kubernetes-sigs/karpenter
    scheduler.go filterByRemainingResources / subtractMax use the instance type's Capacity): m5.large
    8192 - 615 = 7577 MiB, so limits.memory 60Gi (61440 MiB) admits floor(61440 / 7577) = 8 nodes, not the
    floor(61440 / 8192) = 7 of the raw memory size."""
    r = karpenter(tmp_path, limits="memory: 60Gi")
    # 8192 MiB x 0.075 = 614.4 -> 615; 8192 - 615 = 7577; 61440 // 7577 = 8
    assert 61440 // (8192 - math.ceil(8192 * 0.075)) == 8
    assert ng(r, "default")["max_size"] == 8
    assert subnet(r, "nodes-a")["at_max"] == 8 * 30


def test_karpenter_memory_limit_same_either_way(tmp_path):
    r = karpenter(tmp_path, limits="memory: 16Gi")
    # 16384 / 7577 = 2.16 -> 2 (and 16384 / 8192 = 2): 2 nodes x 30 = 60 per AZ
    assert ng(r, "default")["max_size"] == 2
    assert subnet(r, "nodes-a")["at_max"] == 60


def test_karpenter_limit_below_one_node_takes_no_address(tmp_path):
    """limits.cpu 1 with only 2-vCPU candidates: Karpenter launches no node (filterByRemainingResources drops
    every type whose capacity exceeds what the limits leave), so the pool takes no address: a known 0, not
    the EKS managed-node-group rule "invalid scaling config ... max >= 1", which does not apply to a NodePool."""
    r = karpenter(tmp_path, limits='cpu: "1"')
    assert not [f for f in findings(r, "PC001") if "EKS needs" in f["message"]]
    assert subnet(r, "nodes-a")["at_max"] == 0


def test_karpenter_windows_family(tmp_path):
    r = karpenter(tmp_path, alias="windows2022@latest")
    g = ng(r, "default")
    # [KARP-PODS] Windows families have no ENI-limited density: 110; the Windows node's network holds
    # IPv4 per ENI - 1 = 9 pods (EKS windows-support, primary ENI only), 10 addresses per node. No PC102:
    # the resource controller advertises those 9 as vpc.amazonaws.com/PrivateIPv4Address and every Windows
    # pod requests one, so the 10th pod stays Pending (tests/test_windows_scheduling_handcomputed.py)
    assert (g["max_pods"], g["network_max_pods"], g["addresses_per_node"]) == (110, 9, 10)
    assert not findings(r, "PC102", "default")
    assert subnet(r, "nodes-a")["at_max"] == 10 * 10


def test_manifest_alone_selector_by_tags_is_pc001(tmp_path):
    m = write(tmp_path, "nodepool.yaml", nodepool_v1(M5_LARGE) + "---\n"
              + NODECLASS_V1.format(alias="al2023@latest", kubelet=""))
    r = check(m)
    assert r["summary"]["checked"] == {"clusters": 0, "nodegroups": 0, "node_pools": 1, "fargate_profiles": 0,
                                       "subnets": 0}
    # no subnet in the input carries tags: Unknown, use --live
    (f,) = findings(r, "PC001", "default")
    assert "--live" in f["message"] + (f["fix"] or "")


UNEQUAL_SPEC = """\
version: 1
name: demo
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: cp-a, az: us-east-1a, cidr: 10.0.100.0/28}
  - {name: cp-b, az: us-east-1b, cidr: 10.0.100.16/28}
  - {name: small-a, az: us-east-1a, cidr: 10.0.0.0/24, tags: {karpenter.sh/discovery: demo}}
  - {name: large-a, az: us-east-1a, cidr: 10.0.4.0/22, tags: {karpenter.sh/discovery: demo}}
cluster:
  subnets: [cp-a, cp-b]
"""


def test_karpenter_fills_the_zone_subnet_with_most_free_addresses(tmp_path):
    """Karpenter launches each node into the subnet of its zone with the most available IPv4 addresses
    (karpenter-provider-aws pkg/providers/subnet/subnet.go ZonalSubnetsForLaunch, commit 1d927085: one subnet
    per zone, 'if currentZonalSubnetIPAddressCount >= newZonalSubnetIPAddressCount { continue }'), not an even
    split: with a /24 (251 free) and a /22 (1019 free) in one AZ, 20 m5.large nodes (600 addresses) all go to
    the /22 (1019 - 600 = 419 still > 251), so no PC201 on the /24 (an even 10/10 split would claim 300 > 251)."""
    r = karpenter(tmp_path, limits='cpu: "40"', spec=UNEQUAL_SPEC)
    # 40 / 2 = 20 nodes, all in us-east-1a; x 30 = 600 addresses
    assert ng(r, "default")["max_size"] == 20
    # the /22 holds them all while it has more free than the /24: 1019 - 30 x 20 = 419 > 251
    assert subnet(r, "large-a")["at_max"] == 600
    assert subnet(r, "small-a")["at_max"] == 0
    assert not findings(r, "PC201")


# ------------------------------------------------------------------------------------------- Fargate


FARGATE_SPEC = """\
version: 1
name: fg
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: cp-a, az: us-east-1a, cidr: 10.0.100.0/28}
  - {name: cp-b, az: us-east-1b, cidr: 10.0.100.16/28}
  - {name: fg-a, az: us-east-1a, cidr: 10.0.0.0/25}
  - {name: fg-b, az: us-east-1b, cidr: 10.0.0.128/25}
  - {name: fg-c, az: us-east-1c, cidr: 10.0.1.0/25}
cluster:
  subnets: [cp-a, cp-b]
fargate_profiles:
  - {name: jobs, subnets: [fg-a, fg-b, fg-c]PODS}
"""


def test_fargate_pods_spread_evenly_one_address_each(tmp_path):
    r = check(write(tmp_path, "fg.yaml", FARGATE_SPEC.replace("PODS", ", pods: 250")))
    assert r["summary"]["checked"]["fargate_profiles"] == 1
    for name in ("fg-a", "fg-b", "fg-c"):
        s = subnet(r, name)
        # [EKS-FARGATE] ceil(250 / 3) = 84 addresses per subnet, no warm pool; /25: 128 - 5 = 123 usable
        assert (s["usable"], s["at_max"]) == (123, math.ceil(250 / 3)) == (123, 84)
        # no /28 prefixes for Fargate
        assert s["prefix_blocks_at_max"] == 0
    assert not findings(r, "PC201")


def test_fargate_over_capacity(tmp_path):
    r = check(write(tmp_path, "fg.yaml", FARGATE_SPEC.replace("PODS", ", pods: 400")))
    # ceil(400 / 3) = 134 > 123 usable -> PC201 in each of the three subnets
    assert {subnet(r, n)["at_max"] for n in ("fg-a", "fg-b", "fg-c")} == {134}
    assert sorted(f["resource"] for f in findings(r, "PC201")) == ["fg-a", "fg-b", "fg-c"]


def test_fargate_without_pods_is_pc001(tmp_path):
    r = check(write(tmp_path, "fg.yaml", FARGATE_SPEC.replace("PODS", "")))
    assert findings(r, "PC001", "jobs")
    assert subnet(r, "fg-a")["at_max"] is None


# --------------------------------------------------------------------------------- EKS Auto Mode (spec)


AUTO_SPEC = """\
version: 1
name: auto
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: cp-a, az: us-east-1a, cidr: 10.0.100.0/28}
  - {name: cp-b, az: us-east-1b, cidr: 10.0.100.16/28}
  - {name: nodes-a, az: us-east-1a, cidr: 10.0.0.0/24}
cluster:
  subnets: [cp-a, cp-b]
node_pools:
  - name: auto
    provisioner: auto-mode
    subnets: [nodes-a]
    instance_types: [m5.large]
    max_nodes: 5
"""


def test_auto_mode_pool_prefix_delegation_and_max_pods(tmp_path):
    r = check(write(tmp_path, "auto.yaml", AUTO_SPEC))
    g = ng(r, "auto")
    # [EKS-AUTO] max pods: the ENI-limited figure 3 x 9 + 2 = 29, then capped at 110 -> 29
    assert g["max_pods"] == 29
    # prefix delegation: 2 /28s (32 >= 29) + the primary: 33 addresses per node
    assert g["addresses_per_node"] == 33
    s = subnet(r, "nodes-a")
    # 5 nodes x 33 = 165; 5 x 2 = 10 /28s; /24 has 16 /28 blocks, the first holds .0-.3 and the last .255
    # (AWS-reserved): 14 free
    assert (s["at_max"], s["prefix_blocks_at_max"], s["free_prefix_blocks"]) == (165, 10, 14)


def test_auto_mode_ipv4_prefix_size_32_is_secondary_ips(tmp_path):
    r = check(write(tmp_path, "auto.yaml", AUTO_SPEC.replace("max_nodes: 5", "max_nodes: 5\n    "
                                                              "ipv4_prefix_size: \"32\"")))
    # create-node-class.html: ipv4PrefixSize "32" = secondary IPs: 30 per node (see header), 5 x 30 = 150
    assert ng(r, "auto")["addresses_per_node"] == 30
    assert subnet(r, "nodes-a")["at_max"] == 150
    assert subnet(r, "nodes-a")["prefix_blocks_at_max"] == 0


def test_auto_mode_max_pods_capped_at_110(tmp_path):
    r = check(write(tmp_path, "auto.yaml", AUTO_SPEC.replace("[m5.large]", "[m5.4xlarge]")))
    # m5.4xlarge 8 ENIs x 30 IPv4: 8 x 29 + 2 = 234, Auto Mode caps at 110
    assert ng(r, "auto")["max_pods"] == 110


AUTO_MANIFESTS = """\
apiVersion: eks.amazonaws.com/v1
kind: NodeClass
metadata: {name: private}
spec:
  role: AutoNodeRole
  subnetSelectorTerms:
    - tags: {karpenter.sh/discovery: demo}
  securityGroupSelectorTerms:
    - tags: {karpenter.sh/discovery: demo}
ADVANCED---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: web}
spec:
  template:
    spec:
      nodeClassRef: {group: eks.amazonaws.com, kind: NodeClass, name: private}
      requirements:
        - {key: eks.amazonaws.com/instance-family, operator: In, values: [m5]}
        - {key: eks.amazonaws.com/instance-size, operator: In, values: [large]}
  limits:
    cpu: "10"
"""


def test_auto_mode_custom_nodeclass_and_nodepool_manifests(tmp_path):
    s = write(tmp_path, "spec.yaml", SPEC)
    m = write(tmp_path, "auto.yaml", AUTO_MANIFESTS.replace("ADVANCED", ""))
    r = check(s, m)
    assert r["summary"]["checked"]["node_pools"] == 1
    (g,) = r["nodegroups"]
    # eks.amazonaws.com/instance-family m5 + instance-size large: m5.large; limits.cpu 10 / 2 = 5 nodes
    assert (g["instance_types"], g["max_size"]) == (["m5.large"], 5)
    # [EKS-AUTO] max pods min(29, 110) = 29; prefix delegation: 33 addresses, 2 /28s per node
    assert (g["max_pods"], g["addresses_per_node"]) == (29, 33)
    for name in ("nodes-a", "nodes-b"):
        # not balanced over AZs: each AZ for all 5 nodes: 5 x 33 = 165; 5 x 2 = 10 /28s
        assert (subnet(r, name)["at_max"], subnet(r, name)["prefix_blocks_at_max"]) == (165, 10)
    assert subnet(r, "other-c")["at_max"] == 0


def test_auto_mode_nodeclass_ipv4_prefix_size_32(tmp_path):
    s = write(tmp_path, "spec.yaml", SPEC)
    m = write(tmp_path, "auto.yaml", AUTO_MANIFESTS.replace(
        "ADVANCED", "  advancedNetworking:\n    ipv4PrefixSize: \"32\"\n"))
    r = check(s, m)
    # create-node-class.html ipv4PrefixSize "32": secondary IPs: 30 addresses per node; 5 x 30 = 150
    assert r["nodegroups"][0]["addresses_per_node"] == 30
    assert (subnet(r, "nodes-a")["at_max"], subnet(r, "nodes-a")["prefix_blocks_at_max"]) == (150, 0)


# -------------------------------------------------------------------------------------------- eksctl


EKSCTL_CREATED_VPC = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: ek1, region: eu-west-1}
availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]
vpc:
  cidr: 10.10.0.0/20
nodeGroups:
  - name: ng-unmanaged
    instanceType: m5.large
    privateNetworking: true
managedNodeGroups:
  - name: mng-default
    privateNetworking: true
    maxSize: 6
  - name: mng-public
    instanceType: m5.large
    desiredCapacity: 3
"""


def test_eksctl_created_vpc_carving_and_default_sizes(tmp_path):
    r = check(write(tmp_path, "cluster.yaml", EKSCTL_CREATED_VPC))
    assert r["summary"]["checked"] == {"clusters": 1, "nodegroups": 3, "node_pools": 0, "fargate_profiles": 0,
                                       "subnets": 6}
    # [EKSCTL-VPC] 3 zones -> 6 subnets <= 8 -> /20 + 3 = /23 blocks: public 0-2, private 3-5
    cidrs = {(s["az"], s["cidr"]) for s in r["subnets"]}
    assert cidrs == {("eu-west-1a", "10.10.0.0/23"), ("eu-west-1b", "10.10.2.0/23"),
                     ("eu-west-1c", "10.10.4.0/23"), ("eu-west-1a", "10.10.6.0/23"),
                     ("eu-west-1b", "10.10.8.0/23"), ("eu-west-1c", "10.10.10.0/23")}
    # [EKSCTL-SIZES] no sizes: 2/2/2; only maxSize 6: min 2, desired 2, max 6; desired 3 only: 3/3/3
    u, m, p = ng(r, "nodeGroups.ng-unmanaged"), ng(r, "managedNodeGroups.mng-default"), \
        ng(r, "managedNodeGroups.mng-public")
    assert (u["min_size"], u["desired_size"], u["max_size"]) == (2, 2, 2)
    assert (m["min_size"], m["desired_size"], m["max_size"]) == (2, 2, 6)
    assert (p["min_size"], p["desired_size"], p["max_size"]) == (3, 3, 3)
    # no instance type: DefaultNodeType m5.large; [MNG] 3 x 9 + 2 = 29
    assert m["instance_types"] == ["m5.large"] and m["max_pods"] == 29
    # privateNetworking true -> the private /23s; false -> the public ones
    priv = [s for s in r["subnets"] if s["cidr"] in ("10.10.6.0/23", "10.10.8.0/23", "10.10.10.0/23")]
    pub = [s for s in r["subnets"] if s["cidr"] in ("10.10.0.0/23", "10.10.2.0/23", "10.10.4.0/23")]
    for s in priv:
        assert sorted(s["nodegroups"]) == ["managedNodeGroups.mng-default", "nodeGroups.ng-unmanaged"]
        assert s["usable"] == 507  # 512 - 5
    for s in pub:
        assert s["nodegroups"] == ["managedNodeGroups.mng-public"]
    # at max, per private subnet (nodes spread over 3 AZs): unmanaged ceil(2/3)=1 x 30 + managed ceil(6/3)=2
    # x 30 = 90; per public subnet: ceil(3/3)=1 x 30 = 30. eksctl gives the cluster all six subnets, so the
    # control plane adds the same few addresses to each: private - public = 90 - 30 = 60.
    priv_max = {s["at_max"] for s in priv}
    pub_max = {s["at_max"] for s in pub}
    assert len(priv_max) == 1 and len(pub_max) == 1
    assert priv_max.pop() - pub_max.pop() == 60


def test_eksctl_default_cidr_two_zones_prefix_delegation_and_max_pods_per_node(tmp_path):
    r = check(write(tmp_path, "cluster.yaml", """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: ek3, region: us-west-2}
availabilityZones: [us-west-2a, us-west-2b]
addons:
  - name: vpc-cni
    configurationValues: '{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}'
managedNodeGroups:
  - name: pd
    instanceType: m5.large
    privateNetworking: true
    minSize: 1
    maxSize: 4
    maxPodsPerNode: 50
  - name: pd-default
    instanceType: m5.large
    privateNetworking: true
    desiredCapacity: 3
"""))
    # [EKSCTL-VPC] 192.168.0.0/16, 2 zones -> 4 subnets <= 8 -> /19: public .0.0, .32.0; private .64.0, .96.0
    assert sorted(s["cidr"] for s in r["subnets"]) == ["192.168.0.0/19", "192.168.32.0/19",
                                                       "192.168.64.0/19", "192.168.96.0/19"]
    pd, dflt = ng(r, "managedNodeGroups.pd"), ng(r, "managedNodeGroups.pd-default")
    # maxPodsPerNode 50 (below EKS's 110 cap) -> 50; 65 addresses per node (header)
    assert (pd["max_pods"], pd["addresses_per_node"]) == (50, 65)
    # [MNG] prefix delegation: min(110, 3 x (9 x 16) + 2 = 434) = 110 -> 113 addresses per node
    assert (dflt["max_pods"], dflt["network_max_pods"], dflt["addresses_per_node"]) == (110, 434, 113)
    a, b = subnet(r, "vpc.subnets.private.us-west-2a"), subnet(r, "vpc.subnets.private.us-west-2b")
    pub = subnet(r, "vpc.subnets.public.us-west-2a")
    cp = pub["at_max"]  # the control plane's share (no node group in the public subnets)
    for s in (a, b):
        # /19: 8192 - 5 = 8187 usable; 512 /28 blocks, the first and last hold AWS-reserved addresses: 510
        assert (s["usable"], s["free_prefix_blocks"]) == (8187, 510)
        # at max: pd 4 nodes over 2 AZs = 2 x 65 = 130; pd-default ceil(3/2) = 2 x 113 = 226 -> 356
        assert s["at_max"] - cp == 130 + 226
        # /28s at max: 2 x 4 + 2 x 7 = 22
        assert s["prefix_blocks_at_max"] == 22
        # at min: pd ceil(1/2) = 1 x 65 + pd-default 226 = 291
        assert s["at_min"] - cp == 65 + 226


EKSCTL_FARGATE = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: fg, region: eu-west-1}
availabilityZones: [eu-west-1a, eu-west-1b]
vpc:
  cidr: 10.20.0.0/22
  subnets:
    private:
      priv-a: {id: subnet-0aaaaaaaaaaaaaaa1, az: eu-west-1a, cidr: 10.20.0.0/24}
      priv-b: {id: subnet-0aaaaaaaaaaaaaaa2, az: eu-west-1b, cidr: 10.20.1.0/24}
    public:
      pub-a: {id: subnet-0aaaaaaaaaaaaaaa3, az: eu-west-1a, cidr: 10.20.2.0/24}
      pub-b: {id: subnet-0aaaaaaaaaaaaaaa4, az: eu-west-1b, cidr: 10.20.3.0/24}
fargateProfiles:
  - name: fp-jobs
    selectors: [{namespace: jobs}]
    subnets: [priv-a, priv-b]
"""


def test_eksctl_fargate_profile_with_demand(tmp_path):
    cfg = write(tmp_path, "cluster.yaml", EKSCTL_FARGATE)
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: fargateProfiles.fp-jobs, pods: 301}\n")
    r = check(cfg, extra=("--config", str(demand)))
    assert r["summary"]["checked"]["fargate_profiles"] == 1
    priv = [s for s in r["subnets"] if s["cidr"] in ("10.20.0.0/24", "10.20.1.0/24")]
    pub = [s for s in r["subnets"] if s["cidr"] in ("10.20.2.0/24", "10.20.3.0/24")]
    assert len(priv) == 2 and len(pub) == 2
    (cp,) = {s["at_max"] for s in pub}  # the control plane's share: the cluster has all four subnets
    for s in priv:
        # [EKS-FARGATE] ceil(301 / 2) = 151 per private subnet, on top of the same control-plane share
        assert s["at_max"] - cp == math.ceil(301 / 2) == 151
    # without demand: PC001 naming the key to set
    r2 = check(cfg)
    (f,) = [f for f in findings(r2, "PC001", "fp-jobs") if "pod" in f["message"]]
    assert "pods" in f["message"]


def test_eksctl_fargate_profile_without_subnets_uses_cluster_private_subnets(tmp_path):
    """eksctl passes a profile's own subnets, none here (pkg/fargate/create.go), and EKS then places its pods
    in the private subnets the cluster was created with (EKS's CreateFargateProfile error 'No subnets were
    given, and the subnets provided during cluster creation are all public', eksctl-io/eksctl#2746; eksctl
    userdocs fargate-support.md: a profile created without subnets lists the cluster's three private ones).
    For a VPC eksctl creates those are its private subnets, known offline."""
    cfg = write(tmp_path, "cluster.yaml", """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: fg2, region: eu-west-1}
availabilityZones: [eu-west-1a, eu-west-1b]
vpc: {cidr: 10.30.0.0/20}
fargateProfiles:
  - name: fp-default
    selectors: [{namespace: default}]
""")
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: fargateProfiles.fp-default, pods: 100}\n")
    r = check(cfg, extra=("--config", str(demand)))
    # /20 + 3 = /23: public 10.30.0.0/23, 10.30.2.0/23; private 10.30.4.0/23, 10.30.6.0/23
    priv = {s["cidr"]: s for s in r["subnets"] if s["cidr"] in ("10.30.4.0/23", "10.30.6.0/23")}
    pub = {s["cidr"]: s for s in r["subnets"] if s["cidr"] in ("10.30.0.0/23", "10.30.2.0/23")}
    assert not [f for f in findings(r, "PC001") if "subnets" in f["message"]]
    for s in pub.values():
        assert s["nodegroups"] == []
    base = next(iter(pub.values()))["at_max"]
    for s in priv.values():
        # ceil(100 / 2) = 50 per private subnet
        assert s["at_max"] - base == 50


def test_eksctl_real_example_16_fargate_node_group_sized(tmp_path):
    """eksctl's own examples/16-fargate-profile.yaml: ng-1 desiredCapacity 1 -> min 1, max 1, m5.large."""
    r = check(EKSCTL_EXAMPLES / "16-fargate-profile.yaml")
    g = ng(r, "nodeGroups.ng-1")
    assert (g["min_size"], g["desired_size"], g["max_size"]) == (1, 1, 1)
    assert r["summary"]["checked"]["fargate_profiles"] == 2
    # no pods stated: PC001 for each profile, never a pass
    assert findings(r, "PC001", "fp-default") and findings(r, "PC001", "fp-dev")
    # ap-northeast-1 with no availabilityZones: 3 abstract zones, 192.168.0.0/16 -> 6 x /19
    assert {s["cidr"] for s in r["subnets"]} == {f"192.168.{i * 32}.0/19" for i in range(6)}


def test_eksctl_auto_mode_created_vpc_uses_private_subnets_only(tmp_path):
    """eksctl gives an Auto Mode cluster on a VPC it creates only the private subnets (eksctl
    pkg/cfn/builder/vpc_ipv4.go SubnetDetails.ControlPlaneSubnetRefs: 'if s.autoMode ||
    s.controlPlaneOnPrivateSubnets { return privateSubnetRefs }', commit 99984adb), and the built-in pools'
    default NodeClass uses the cluster's subnets (eksctl userdocs usage/auto-mode.md: 'If the cluster ... uses
    public subnets as cluster subnets, Auto Mode will launch nodes in public subnets'): the public subnets
    carry neither control-plane ENIs nor nodes."""
    cfg = write(tmp_path, "cluster.yaml", """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: auto1, region: us-west-2}
availabilityZones: [us-west-2a, us-west-2b, us-west-2c]
autoModeConfig:
  enabled: true
  nodePools: [system]
""")
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: auto1/system, max_nodes: 3}\n")
    r = check(cfg, extra=("--config", str(demand)))
    # [EKSCTL-VPC] 192.168.0.0/16, 3 zones: public /19s 0-2 (.0, .32, .64), private 3-5 (.96, .128, .160)
    pub = [s for s in r["subnets"] if s["cidr"] in ("192.168.0.0/19", "192.168.32.0/19", "192.168.64.0/19")]
    priv = [s for s in r["subnets"] if s["cidr"] in ("192.168.96.0/19", "192.168.128.0/19", "192.168.160.0/19")]
    for s in pub:
        # neither control-plane ENIs nor Auto Mode nodes in the public subnets
        assert (s["nodegroups"], s["at_max"]) == ([], 0)
    for s in priv:
        assert s["nodegroups"] == ["auto1/system"]


EKSCTL_EXISTING = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: ek5, region: eu-west-1}
availabilityZones: [eu-west-1a, eu-west-1b]
vpc:
  subnets:
    private:
      app-a: {id: subnet-0aaaaaaaaaaaaaaa1, az: eu-west-1a, cidr: 10.20.0.0/24}
      app-b: {id: subnet-0aaaaaaaaaaaaaaa2, az: eu-west-1b, cidr: 10.20.1.0/24}
nodeGroups:
  - name: mixed
    minSize: 1
    maxSize: 6
    privateNetworking: true
    subnets: [app-a]
    instancesDistribution:
      instanceTypes: [m5.xlarge, m5.large]
      onDemandBaseCapacity: 0
  - name: dense
    instanceType: m5.large
    maxPodsPerNode: 50
    privateNetworking: true
"""


def test_eksctl_existing_subnets_mixed_types_and_max_pods_per_node(tmp_path):
    r = check(write(tmp_path, "cluster.yaml", EKSCTL_EXISTING))
    mixed, dense = ng(r, "nodeGroups.mixed"), ng(r, "nodeGroups.dense")
    # [EKSCTL-SIZES] min 1, max 6 -> desired 1; instancesDistribution types: max_pods is the smallest type's
    # (m5.large 29), addresses the largest's (m5.xlarge 4 x 15 = 60 at 56 pods)
    assert (mixed["min_size"], mixed["desired_size"], mixed["max_size"]) == (1, 1, 6)
    assert (mixed["max_pods"], mixed["addresses_per_node"]) == (29, 60)
    # maxPodsPerNode 50 is written into the bootstrap, above m5.large's network 29 -> PC102
    assert (dense["max_pods"], dense["network_max_pods"]) == (50, 29)
    assert findings(r, "PC102", "nodeGroups.dense")
    a, b = subnet(r, "vpc.subnets.private.app-a"), subnet(r, "vpc.subnets.private.app-b")
    # subnets: [app-a] -> mixed only in app-a; dense in both (2 nodes / 2 subnets = 1 each, 30 addresses).
    # The control plane has both subnets: the same share c in each.
    c = b["at_max"] - 30
    # app-a at max: 6 x 60 + 1 x 30 + c = 390 + c > 251 -> PC201
    assert a["at_max"] == 6 * 60 + 30 + c
    assert [f["resource"] for f in findings(r, "PC201")] == ["vpc.subnets.private.app-a"]


def test_eksctl_real_example_04_existing_vpc():
    """eksctl examples/04-existing-vpc.yaml: three existing private /19s, ng-1 m5.xlarge desiredCapacity 2."""
    r = check(EKSCTL_EXAMPLES / "04-existing-vpc.yaml")
    g = ng(r, "nodeGroups.ng-1")
    # [EKSCTL-SIZES] desired 2 -> min 2, max 2; self-managed AMI default 4 x (15 - 1) + 2 = 58
    assert (g["min_size"], g["desired_size"], g["max_size"], g["max_pods"]) == (2, 2, 2, 58)
    # [IPAMD] 56 pods need all 4 ENIs (4 x 14 = 56 < 58): 4 x 15 = 60 addresses
    assert g["addresses_per_node"] == 60
    subs = [s for s in r["subnets"] if s["cidr"] in ("192.168.128.0/19", "192.168.64.0/19", "192.168.0.0/19")]
    assert len(subs) == 3
    for s in subs:
        # /19: 8192 - 5 = 8187; 2 nodes over 3 subnets: at most ceil(2 / 3) = 1 node = 60 addresses, plus the
        # control plane's share (the cluster has these three subnets)
        assert s["usable"] == 8187
        assert s["at_max"] >= 60
    assert len({s["at_max"] for s in subs}) == 1
    # existing subnets: the addresses already in use are not in the file -> PC001, never a silent pass
    assert len([f for f in findings(r, "PC001") if "in use" in f["message"]]) == 3


def test_eksctl_real_example_25_addons_default_managed_group():
    """eksctl examples/25-addons.yaml: ``managedNodeGroups: [{name: mng1}]`` and nothing else."""
    r = check(EKSCTL_EXAMPLES / "25-addons.yaml")
    g = ng(r, "managedNodeGroups.mng1")
    # m5.large, 2/2/2, [MNG] 29; public subnets (privateNetworking false), ceil(2 / 3) = 1 node x 30
    assert (g["instance_types"], g["min_size"], g["max_size"], g["max_pods"]) == (["m5.large"], 2, 2, 29)
    pub = [s for s in r["subnets"] if ".public." in s["subnet"]]
    priv = [s for s in r["subnets"] if ".private." in s["subnet"]]
    assert all(s["nodegroups"] == ["managedNodeGroups.mng1"] for s in pub)
    assert all(s["nodegroups"] == [] for s in priv)
    # the control plane is in all six: public - private = the node's 30
    assert {p["at_max"] - q["at_max"] for p in pub for q in priv} == {30}


# ------------------------------------------------------------------------------------------ Terraform


def _tf_resource(address: str, values: dict, expressions: dict | None = None) -> tuple[dict, dict, dict]:
    """One resource of ``terraform show -json`` (format 1.x): planned value, a create change whose
    ``after_unknown`` marks what references other resources' ids (known only after apply), and its
    configuration block."""
    unknown: dict = {"id": True, "arn": True}
    for key, expr in (expressions or {}).items():
        if isinstance(expr, dict) and "references" in expr and key not in values:
            unknown[key] = True
        if isinstance(expr, list):  # a nested block such as vpc_config
            unknown[key] = [{k: True for k, e in block.items() if "references" in e} for block in expr]
    rtype, name = address.split(".")[0], address.split(".")[1].split("[")[0]
    index = int(address.split("[")[1].rstrip("]")) if "[" in address else None
    pv = {"address": address, "mode": "managed", "type": rtype, "name": name,
          "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": values,
          "sensitive_values": {}}
    rc = {"address": address, "mode": "managed", "type": rtype, "name": name,
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "change": {"actions": ["create"], "before": None, "after": values,
                     "after_unknown": unknown, "before_sensitive": False,
                     "after_sensitive": {}}}
    if index is not None:
        pv["index"] = rc["index"] = index
    conf = {"address": f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name,
            "provider_config_key": "aws", "expressions": expressions or {}, "schema_version": 0}
    return pv, rc, conf


def tf_plan(resources: list[tuple[str, dict, dict | None]]) -> dict:
    pvs, rcs, confs, seen = [], [], [], set()
    for address, values, expressions in resources:
        # fresh copies: the planned value and the change's "after" are separate objects in a real plan, and
        # a test may edit one plan without touching the shared building blocks
        pv, rc, conf = _tf_resource(address, copy.deepcopy(values), copy.deepcopy(expressions))
        rc["change"]["after"] = copy.deepcopy(pv["values"])
        pvs.append(pv)
        rcs.append(rc)
        if conf["address"] not in seen:
            seen.add(conf["address"])
            confs.append(conf)
    return {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {
        "resources": pvs}}, "resource_changes": rcs, "configuration": {"provider_config": {"aws": {
            "name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}}, "root_module": {
            "resources": confs}}, "applyable": True, "complete": True, "errored": False}


def _ref(*addrs: str) -> dict:
    out: list[str] = []
    for a in addrs:
        out += [f"{a}.id", a]
    return {"references": out}


VPC_REF = {"vpc_id": _ref("aws_vpc.main")}
TF_NETWORK = [
    ("aws_vpc.main", {"cidr_block": "10.0.0.0/16"}, {"cidr_block": {"constant_value": "10.0.0.0/16"}}),
    ("aws_subnet.cp[0]", {"availability_zone": "us-east-1a", "cidr_block": "10.0.100.0/28"}, VPC_REF),
    ("aws_subnet.cp[1]", {"availability_zone": "us-east-1b", "cidr_block": "10.0.100.16/28"}, VPC_REF),
    ("aws_subnet.private[0]", {"availability_zone": "us-east-1a", "cidr_block": "10.0.0.0/24",
                               "tags": {"karpenter.sh/discovery": "demo"}}, VPC_REF),
    ("aws_subnet.private[1]", {"availability_zone": "us-east-1b", "cidr_block": "10.0.1.0/24",
                               "tags": {"karpenter.sh/discovery": "demo"}}, VPC_REF),
]


def tf_cluster(compute_config: list | None = None) -> tuple[str, dict, dict]:
    values: dict = {"name": "demo", "vpc_config": [{"endpoint_private_access": True}]}
    if compute_config is not None:
        values["compute_config"] = compute_config
    return ("aws_eks_cluster.this", values, {"name": {"constant_value": "demo"},
                                             "vpc_config": [{"subnet_ids": {"references": ["aws_subnet.cp"]}}]})


CLUSTER_NAME_REF = {"references": ["aws_eks_cluster.this.name", "aws_eks_cluster.this"]}

NODEPOOL_OBJ = {
    "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
    "spec": {"template": {"spec": {
        "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m5.large"]}],
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}}},
        "limits": {"cpu": "8"}}}
NODECLASS_OBJ = {
    "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
    "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}], "role": "KarpenterNodeRole-demo",
             "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}],
             "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}]}}


def karpenter_fargate_plan() -> dict:
    return tf_plan([
        *TF_NETWORK,
        tf_cluster(),
        ("aws_eks_fargate_profile.jobs", {"fargate_profile_name": "jobs", "cluster_name": "demo",
                                          "selector": [{"namespace": "jobs", "labels": None}]},
         {"cluster_name": CLUSTER_NAME_REF,
          "subnet_ids": _ref("aws_subnet.private[0]", "aws_subnet.private[1]")}),
        ("helm_release.vpc_cni", {"name": "aws-vpc-cni", "chart": "aws-vpc-cni", "namespace": "kube-system",
                                  "repository": "https://aws.github.io/eks-charts",
                                  "values": ["env:\n  ENABLE_PREFIX_DELEGATION: \"true\"\n"]},
         {"chart": {"constant_value": "aws-vpc-cni"}}),
        ("kubernetes_manifest.nodepool", {"manifest": NODEPOOL_OBJ}, {"manifest": {"constant_value": NODEPOOL_OBJ}}),
        ("kubernetes_manifest.nodeclass", {"manifest": NODECLASS_OBJ},
         {"manifest": {"constant_value": NODECLASS_OBJ}}),
    ])


def test_terraform_karpenter_manifests_helm_cni_and_fargate(tmp_path):
    plan = write(tmp_path, "plan.json", json.dumps(karpenter_fargate_plan()))
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: aws_eks_fargate_profile.jobs, pods: 100}\n")
    r = check(plan, extra=("--config", str(demand)))
    assert r["summary"]["checked"] == {"clusters": 1, "nodegroups": 0, "node_pools": 1, "fargate_profiles": 1,
                                       "subnets": 4}
    g = ng(r, "kubernetes_manifest.nodepool") if any(
        x["name"] == "kubernetes_manifest.nodepool" for x in r["nodegroups"]) else r["nodegroups"][0]
    # [KARP-LIMITS] cpu 8 / 2 = 4 nodes; [KARP-PODS] Karpenter counts ENI-limited pods even with prefix
    # delegation: 29; the helm chart's ENABLE_PREFIX_DELEGATION: 2 /28s + primary = 33 addresses per node
    assert (g["max_size"], g["max_pods"], g["addresses_per_node"]) == (4, 29, 33)
    for name in ("aws_subnet.private[0]", "aws_subnet.private[1]"):
        s = subnet(r, name)
        # each AZ judged for all 4 nodes: 4 x 33 = 132; Fargate ceil(100 / 2) = 50 -> 182 of 251 usable
        assert (s["usable"], s["at_max"]) == (251, 182)
        # /28s: 4 nodes x 2 = 8 (Fargate takes none)
        assert s["prefix_blocks_at_max"] == 8
    assert not findings(r, "PC201")


def test_terraform_karpenter_selector_matches_default_tags(tmp_path):
    """Karpenter matches the tags the subnet really carries: the AWS provider's ``tags_all`` (the resource's
    tags and the provider's default_tags)."""
    plan = karpenter_fargate_plan()
    for res in [*plan["planned_values"]["root_module"]["resources"], *plan["resource_changes"]]:
        if res["address"].startswith("aws_subnet.private"):
            v = res["values"] if "values" in res else res["change"]["after"]
            # provider default_tags {karpenter.sh/discovery: demo}; the resource's own tags: Name only
            v["tags_all"] = {**v["tags"], "Name": "private"}
            v["tags"] = {"Name": "private"}
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: aws_eks_fargate_profile.jobs, pods: 100}\n")
    r = check(write(tmp_path, "plan.json", json.dumps(plan)), extra=("--config", str(demand)))
    assert not [f for f in findings(r, "PC001") if "tags" in f["message"]]
    assert subnet(r, "aws_subnet.private[0]")["at_max"] == 182  # 4 x 33 + 50, as with tags


def test_terraform_fargate_without_demand_is_pc001(tmp_path):
    r = check(write(tmp_path, "plan.json", json.dumps(karpenter_fargate_plan())))
    assert findings(r, "PC001", "aws_eks_fargate_profile.jobs")
    assert subnet(r, "aws_subnet.private[0]")["at_max"] is None


def test_terraform_utf16_plan_reads_like_utf8(tmp_path):
    plan = karpenter_fargate_plan()
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: aws_eks_fargate_profile.jobs, pods: 100}\n")
    u8 = tmp_path / "plan8.json"
    u8.write_text(json.dumps(plan), encoding="utf-8")
    u16 = tmp_path / "plan16.json"
    # PowerShell 5's `>` writes UTF-16 LE with a BOM
    u16.write_bytes(codecs.BOM_UTF16_LE + json.dumps(plan).encode("utf-16-le"))
    a = check(u8, extra=("--config", str(demand)))
    b = check(u16, extra=("--config", str(demand)))
    assert [s["at_max"] for s in a["subnets"]] == [s["at_max"] for s in b["subnets"]]
    assert subnet(b, "aws_subnet.private[0]")["at_max"] == 182  # as in the UTF-8 case


def test_terraform_auto_mode_builtin_pools_need_a_bound(tmp_path):
    cc = [{"enabled": True, "node_pools": ["system"], "node_role_arn": "arn:aws:iam::111122223333:role/n"}]
    plan = tf_plan([*TF_NETWORK, tf_cluster(cc)])
    r = check(write(tmp_path, "plan.json", json.dumps(plan)))
    assert r["summary"]["checked"]["node_pools"] == 1
    # set-builtin-node-pools.html: the built-in pools state no limits: PC001 naming the key
    assert [f for f in findings(r, "PC001") if "max_nodes" in (f["message"] + (f["fix"] or ""))]


def test_terraform_unmodelled_aws_eks_resource_is_pc001(tmp_path):
    plan = tf_plan([*TF_NETWORK, tf_cluster(),
                    ("aws_eks_capability.argocd", {"capability_name": "argocd", "cluster_name": "demo",
                                                   "type": "ARGOCD"}, {"cluster_name": CLUSTER_NAME_REF})])
    r = check(write(tmp_path, "plan.json", json.dumps(plan)))
    assert findings(r, "PC001", "aws_eks_capability.argocd")


def test_terraform_kubectl_manifest_and_helm_set_block(tmp_path):
    """The same pool as kubectl_manifest yaml_body, the CNI setting as a helm ``set`` entry."""
    plan = karpenter_fargate_plan()
    for block in ("planned_values", "resource_changes", "configuration"):
        holder = plan[block]["root_module"]["resources"] if block != "resource_changes" else plan[block]
        for res in holder:
            if res["address"] == "kubernetes_manifest.nodepool":
                res.update(type="kubectl_manifest", address="kubectl_manifest.nodepool")
                body = {"yaml_body": yaml.safe_dump(NODEPOOL_OBJ)}
                if block == "planned_values":
                    res["values"] = body
                elif block == "resource_changes":
                    res["change"]["after"] = body
                else:
                    res["expressions"] = {"yaml_body": {"constant_value": body["yaml_body"]}}
            if res["address"] == "helm_release.vpc_cni":
                vals = {"name": "aws-vpc-cni", "chart": "aws-vpc-cni", "namespace": "kube-system",
                        "values": [], "set": [{"name": "env.ENABLE_PREFIX_DELEGATION", "value": "true"}]}
                if block == "planned_values":
                    res["values"] = vals
                elif block == "resource_changes":
                    res["change"]["after"] = vals
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: aws_eks_fargate_profile.jobs, pods: 100}\n")
    r = check(write(tmp_path, "plan.json", json.dumps(plan)), extra=("--config", str(demand)))
    (g,) = r["nodegroups"]
    # as test_terraform_karpenter_manifests_helm_cni_and_fargate: 4 nodes x 33 + 50 Fargate = 182
    assert (g["max_size"], g["addresses_per_node"]) == (4, 33)
    assert subnet(r, "aws_subnet.private[1]")["at_max"] == 182


def test_terraform_node_group_without_instance_types_is_t3_medium(tmp_path):
    plan = tf_plan([*TF_NETWORK, tf_cluster(), (
        "aws_eks_node_group.default",
        {"node_group_name": "default", "ami_type": "AL2023_x86_64_STANDARD",
         "scaling_config": [{"min_size": 1, "desired_size": 2, "max_size": 5}]},
        {"cluster_name": CLUSTER_NAME_REF, "subnet_ids": _ref("aws_subnet.private[0]", "aws_subnet.private[1]")})])
    r = check(write(tmp_path, "plan.json", json.dumps(plan)))
    g = ng(r, "aws_eks_node_group.default")
    # EKS API CreateNodegroup instanceTypes: "If you don't specify an instance type in a launch template or
    # for instanceTypes, then t3.medium is used"; t3.medium 3 ENIs x 6 IPv4: 3 x 5 + 2 = 17 (< 110)
    assert (g["instance_types"], g["max_pods"]) == (["t3.medium"], 17)
    # [IPAMD] 15 pods need all 3 ENIs (5 + 5 + 5 = 15 < 17 so the pool keeps growing): 3 x 6 = 18 addresses
    assert g["addresses_per_node"] == 18
    # max 5 over 2 AZs: ceil(5 / 2) = 3 nodes x 18 = 54 per subnet
    assert subnet(r, "aws_subnet.private[0]")["at_max"] == 54


def test_terraform_demand_pc001_fix_names_the_demand_key(tmp_path):
    """Issue 10 sections 2-3: a PC001 for demand no input can state names the key to set, and its fix fits
    the source and the flags: for a Terraform Fargate profile without pods neither -var nor --live can
    supply a pod count, so the fix names the .podcap.yaml demand key and no flag."""
    r = check(write(tmp_path, "plan.json", json.dumps(karpenter_fargate_plan())))
    (f,) = [f for f in findings(r, "PC001", "aws_eks_fargate_profile.jobs") if "pod count" in f["message"]]
    assert "demand" in (f["fix"] or "") and "--live" not in (f["fix"] or "")


def test_terraform_auto_mode_cluster_with_fargate_in_two_28s(tmp_path):
    """The issue's own case: an Auto Mode cluster and a Fargate profile in two /28 subnets."""
    cc = [{"enabled": True, "node_pools": [], "node_role_arn": None}]
    plan = tf_plan([*TF_NETWORK, tf_cluster(cc), (
        "aws_eks_fargate_profile.jobs", {"fargate_profile_name": "jobs", "cluster_name": "demo",
                                         "selector": [{"namespace": "jobs", "labels": None}]},
        {"cluster_name": CLUSTER_NAME_REF, "subnet_ids": _ref("aws_subnet.cp[0]", "aws_subnet.cp[1]")})])
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: aws_eks_fargate_profile.jobs, pods: 30}\n")
    r = check(write(tmp_path, "plan.json", json.dumps(plan)), extra=("--config", str(demand)))
    assert r["summary"]["checked"]["fargate_profiles"] == 1
    for name in ("aws_subnet.cp[0]", "aws_subnet.cp[1]"):
        s = subnet(r, name)
        # /28: 16 - 5 = 11 usable; Fargate ceil(30 / 2) = 15 (+ the control plane's ENIs) > 11 -> PC201
        assert s["usable"] == 11 and s["at_max"] >= 15
    assert sorted(f["resource"] for f in findings(r, "PC201")) == ["aws_subnet.cp[0]", "aws_subnet.cp[1]"]


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", codecs.BOM_UTF8), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-32-le", codecs.BOM_UTF32_LE)])
def test_other_encodings_with_bom(tmp_path, encoding, bom):
    plan = json.dumps(karpenter_fargate_plan())
    demand = write(tmp_path, "podcap.yaml", "demand:\n  - {resource: aws_eks_fargate_profile.jobs, pods: 100}\n")
    p = tmp_path / "plan.json"
    p.write_bytes(bom + plan.encode(encoding))
    r = check(p, extra=("--config", str(demand)))
    assert subnet(r, "aws_subnet.private[0]")["at_max"] == 182  # 4 x 33 + 50, as in UTF-8
    # a manifest with a BOM reads too
    s = write(tmp_path, "spec.yaml", SPEC)
    m = tmp_path / "nodepool.yaml"
    m.write_bytes(bom + (nodepool_v1(M5_LARGE) + "---\n" + NODECLASS_V1.format(
        alias="al2023@latest", kubelet="")).encode(encoding))
    assert subnet(check(s, m), "nodes-a")["at_max"] == 300  # 10 x 30


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pods=st.integers(min_value=1, max_value=3000))
def test_fargate_property_ceil_split(tmp_path, pods):
    """[EKS-FARGATE] for any pod count: each of the 3 subnets takes ceil(pods / 3), PC201 exactly when that
    exceeds the 123 usable of a /25."""
    r = check(write(tmp_path, "fg.yaml", FARGATE_SPEC.replace("PODS", f", pods: {pods}")))
    per = math.ceil(pods / 3)
    assert {subnet(r, n)["at_max"] for n in ("fg-a", "fg-b", "fg-c")} == {per}
    assert bool(findings(r, "PC201")) == (per > 123)


# -------------------------------------------------------------------------------------- never silent


def test_nothing_to_check(tmp_path):
    p = write(tmp_path, "vpc.yaml", json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "S": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "VPC"}, "CidrBlock": "10.0.0.0/24",
                                                          "AvailabilityZone": "us-east-1a"}}}}))
    r = check(p)
    assert r["summary"]["checked"] == {"clusters": 0, "nodegroups": 0, "node_pools": 0, "fargate_profiles": 0,
                                       "subnets": 1}
    code, out = text(p)
    assert code == 0 and "nothing to check" in out.lower()
