"""Karpenter NodePools that select by CPU architecture and memory, end to end with a podcap spec's subnets.

The snapshot's ``architectures`` and ``memory_mib`` come from DescribeInstanceTypes (ProcessorInfo.
SupportedArchitectures mapped as karpenter-provider-aws's AWSToKubeArchitectures does, MemoryInfo.SizeInMiB).
Figures used below, all from the shipped snapshot (``podcap limits show TYPE``):
  m6g.medium, m7g.medium ... (m6 to m8 Graviton): arm64, 4096 MiB, 2 ENIs x 4 IPv4
  m6g.large, m7g.large ... (m6 to m8 Graviton):   arm64, 8192 MiB, 3 ENIs x 10 IPv4
  m9g.medium, m9gd.medium:                        arm64, 4096 MiB, 2 ENIs x 20 IPv4
  m9g.large, m9gd.large:                          arm64, 8192 MiB, 3 ENIs x 20 IPv4
  m9g.24xlarge (and the other 24-ENI m9g/m9gd sizes): arm64, 24 ENIs x 64 IPv4
A /22 subnet has 1024 - 5 (AWS-reserved) = 1019 usable addresses.
"""
from __future__ import annotations

import copy

import pytest
from podcap.check import CheckOptions, check_plan, one_plan
from podcap.engine.auto_mode import builtin_requirements
from podcap.engine.auto_mode import supported as auto_mode_supported
from podcap.engine.karpenter import select_types
from podcap.limits import load_snapshot
from podcap.sources.manifests import load_manifests
from podcap.sources.objects.kubernetes import resolve_kubernetes_objects
from podcap.sources.spec import plan_from_spec_dict

SNAP = load_snapshot()
pytestmark = pytest.mark.skipif(SNAP.get("m6g.large").architectures is None,
                                reason="the snapshot has no CPU architectures")

SPEC = {
    "version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
    "subnets": [
        {"name": "a", "cidr": "10.0.0.0/22", "az": "us-east-1a", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "b", "cidr": "10.0.4.0/22", "az": "us-east-1b", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1a"},
    ],
    "cluster": {"subnets": ["cp"]},
}

ARM_POOL = """
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: graviton}
spec:
  template:
    spec:
      requirements:
        - {key: kubernetes.io/arch, operator: In, values: [arm64]}
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: [m]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: graviton}
  limits: {memory: 64Gi}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: graviton}
spec:
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
"""
# the Graviton general-purpose families of the snapshot (the "g" after the generation: AWS Graviton)
GRAVITON_M_FAMILIES = {"m6g", "m6gd", "m7g", "m7gd", "m8g", "m8gb", "m8gd", "m8gn", "m9g", "m9gd"}
MEMORY_REQ = "        - {key: karpenter.k8s.aws/instance-memory, operator: Lt, values: ['8193']}\n"


def _plans(tmp_path, manifest: str):
    f = tmp_path / "pool.yaml"
    f.write_text(manifest)
    plans = one_plan([plan_from_spec_dict(copy.deepcopy(SPEC), str(tmp_path / "spec.yaml")),
                      load_manifests(str(f))])
    assert len(plans) == 1
    return plans[0]


def _candidates(tmp_path, manifest: str) -> list[str]:
    plan = _plans(tmp_path, manifest)
    resolve_kubernetes_objects(plan, SNAP)
    pool = next(ng for ng in plan.nodegroups if ng.provisioner == "karpenter")
    assert isinstance(pool.instance_types, list), pool.instance_types  # decided, not Unknown
    return pool.instance_types


def _check(tmp_path, manifest: str):
    r = check_plan(_plans(tmp_path, manifest), CheckOptions(paths=[]), SNAP)
    return r, next(n for n in r.nodegroups if n.name == "graviton")


def test_arm64_pool_keeps_only_arm64_types(tmp_path):
    types = _candidates(tmp_path, ARM_POOL)
    assert all(SNAP.get(t).architectures == ("arm64",) for t in types)
    assert {t.split(".")[0] for t in types} == GRAVITON_M_FAMILIES
    assert {"m6g.medium", "m6g.large", "m7g.xlarge", "m8g.4xlarge", "m9g.4xlarge"} <= set(types)
    # limits.memory 64Gi (65536 MiB): a type whose one node counts more is never launched (the scheduler
    # starts from the limits): m9g.4xlarge counts 65536 - 64 - ceil(65472 x 0.075) = 60561 MiB and stays,
    # m9g.8xlarge (131072 MiB) and the 24xlarge and 48xlarge sizes go
    assert not {"m9g.8xlarge", "m8g.48xlarge", "m9g.24xlarge"} & set(types)
    # the same pool without the architecture requirement also takes the x86 m types (amd64)
    any_arch = _candidates(tmp_path, ARM_POOL.replace(
        "        - {key: kubernetes.io/arch, operator: In, values: [arm64]}\n", ""))
    amd = {"m5.large", "m6i.large", "m7i.large", "m7a.large", "m8i.large"}
    assert amd <= set(any_arch) and not amd & set(types)
    assert set(types) == {t for t in any_arch if SNAP.get(t).architectures == ("arm64",)}
    # and amd64 In keeps the complement: no Graviton type at all
    amd_only = _candidates(tmp_path, ARM_POOL.replace("values: [arm64]", "values: [amd64]"))
    assert not set(amd_only) & set(types) and "m5.large" in amd_only


def test_arm64_pool_figures_end_to_end(tmp_path):
    r, ng = _check(tmp_path, ARM_POOL)
    # limits.memory 64Gi = 65536 MiB over the smallest candidate's capacity as Karpenter counts it
    # (karpenter-provider-aws types.go memory(): m6g.medium 4096 MiB - 64 MiB arm64 = 4032, less
    # ceil(4032 x 0.075 VM overhead) = 303: 3729 MiB): floor(65536 / 3729) = 17 nodes
    assert ng.max_size == 17
    # max pods, AL2023 ENI-limited: worst of the types that fit the limit, m9g.4xlarge 8 x (50 - 1) + 2 = 394;
    # 392 address pods take all 8 ENIs: 8 x 50 = 400 addresses per node (the smallest, m6g.medium, has
    # 2 x (4 - 1) + 2 = 8)
    assert ng.addresses_per_node == 400
    assert any("max pods 8 (m6g.medium) to 394" in n for n in r.notes)
    assert any("larger than limits.memory 64Gi left out" in n for n in r.notes)
    subnets = {s.subnet: s for s in r.subnets}
    # Karpenter does not balance zones: each AZ's subnet is judged for all the pool's nodes. They hold 65536
    # MiB together, so not 17 x 400: addresses per MiB are best on m9g.medium (2 ENIs x 20 = 40 for 3729 MiB,
    # 0.0107; m9g.large 60 / 7518 = 0.0080, m9g.xlarge 120 / 15096 = 0.0079, m9g.4xlarge 400 / 60561 = 0.0066),
    # and 17 of them (63393 MiB) leave 2143 MiB, less than any type: 17 x 40 = 680
    assert subnets["a"].at_max == subnets["b"].at_max == 680
    assert subnets["a"].usable == 1019  # 1024 - 5
    assert not [f for f in r.findings if f.rule_id == "PC201"]  # 680 <= 1019
    # PC202: drifted nodes are replaced first, as many at once as the default budget (10% of 17, rounded up:
    # 2); nodes marked for disruption no longer count against the limits, so beside the 680 the two old ones
    # hold what two nodes within 65536 MiB can: one m9g.4xlarge (400, 60561 MiB) and one m9g.medium (40,
    # 3729 MiB), 440: 680 + 440 = 1120 > 1019
    surge = [f for f in r.findings if f.rule_id == "PC202"]
    assert {f.resource for f in surge} == {"a", "b"} and all(f.data["need"] == 1120 for f in surge)
    assert not [f for f in r.findings if f.rule_id == "PC001" and f.resource == "graviton"]  # nothing unknown


def test_arm64_pool_with_a_memory_requirement_holds_17_mediums_not_17_larges(tmp_path):
    """instance-memory Lt 8193 keeps the medium (4096 MiB) and large (8192 MiB) sizes of the ten families."""
    pool = ARM_POOL.replace("      nodeClassRef:", MEMORY_REQ + "      nodeClassRef:")
    types = _candidates(tmp_path, pool)
    assert sorted(types) == sorted(f"{f}.{s}" for f in GRAVITON_M_FAMILIES for s in ("medium", "large"))  # 20
    assert all(SNAP.get(t).memory_mib in (4096, 8192) for t in types)
    r, ng = _check(tmp_path, pool)
    # 65536 MiB / 3729 MiB (the medium sizes: 4096 - 64 arm64 - ceil(4032 x 0.075) = 3729, types.go memory())
    assert ng.max_size == 17
    # worst m9g.large / m9gd.large: 3 x (20 - 1) + 2 = 59 max pods; 57 address pods fill the 3 ENIs' 3 x 19
    # secondary IPs: 3 x 20 = 60 addresses per node (m9g.medium: 2 x 19 + 2 = 40 pods, 40 addresses)
    assert ng.addresses_per_node == 60
    # the summary's max_pods is the smallest candidate's: m6g.medium 2 x (4 - 1) + 2 = 8
    assert ng.max_pods == 8 and any("max pods 8 (m6g.medium) to 59" in n for n in r.notes)
    subnets = {s.subnet: s for s in r.subnets}
    # 17 nodes of the worst type would be 17 x 60 = 1020 > 1019, but 17 nodes fit the 65536 MiB only as
    # mediums (17 x 3729 = 63393); a large counts 8192 - 64 - ceil(8128 x 0.075) = 7518 MiB, so 8 larges and
    # a medium (63873 MiB) take 8 x 60 + 40 = 520. The most: 17 x m9g.medium x 40 = 680
    assert subnets["a"].at_max == subnets["b"].at_max == 680
    assert not [f for f in r.findings if f.rule_id == "PC201"]


def test_arm64_pool_memory_limit_counts_every_candidates_memory(tmp_path):
    """limits.memory needs every candidate's memory: a 40Gi limit over the 4096 MiB types' 3729 MiB capacity
    (after Karpenter's arm64 and VM overheads) = floor(40960 / 3729) = 10."""
    pool = ARM_POOL.replace("      nodeClassRef:", MEMORY_REQ + "      nodeClassRef:").replace(
        "limits: {memory: 64Gi}", "limits: {memory: 40Gi, cpu: 100}")
    _, ng = _check(tmp_path, pool)
    # the tightest bound holds: memory 10 nodes, cpu 100 / 1 vCPU (the medium sizes) = 100 nodes
    assert ng.max_size == 10


def test_auto_mode_builtin_pools_by_architecture():
    """set-builtin-node-pools.html: general-purpose is amd64 only, system amd64 and arm64 (C, M, R families,
    generation > 4)."""
    gp = select_types(builtin_requirements("general-purpose"), SNAP, "general-purpose", auto_mode_supported)
    system = select_types(builtin_requirements("system"), SNAP, "system", auto_mode_supported)
    assert gp.unknown is None and system.unknown is None
    # c5a.metal, c5ad.metal and c7i.32xlarge are only in AWS's ENI tables, not in the snapshot's
    # DescribeInstanceTypes copy, which is what Karpenter (and Auto Mode) build candidates from: left out,
    # and said so; every candidate's architecture is then known, and amd64
    assert not {"c5a.metal", "c5ad.metal", "c7i.32xlarge"} & set(gp.types)
    assert any("published ENI tables" in n and "c5a.metal" in n for n in gp.notes)
    assert all(SNAP.get(t).architectures == ("amd64",) for t in gp.types)
    assert "m5.large" in gp.types and "m6g.large" not in gp.types and "c7g.xlarge" not in gp.types
    assert "m6g.large" in system.types and "m5.large" in system.types
    arm = {t for t in system.types if SNAP.get(t).architectures == ("arm64",)}
    assert set(system.types) - set(gp.types) == arm
    # In [amd64, arm64] is every EC2 type's: no architecture needed to decide it (the only note is the
    # table-only types left out)
    assert all("published ENI tables" in n for n in system.notes)
