"""The one reader of Kubernetes objects (ENIConfig, the aws-node DaemonSet, the amazon-vpc-cni ConfigMap,
NodePool / EC2NodeClass / NodeClass), whatever carries them; and two properties of every consumer: adding one
never lowers a subnet's figures, and one nothing bounds always yields PC001."""
from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from podcap.check import CheckOptions, check_plan
from podcap.limits import load_snapshot
from podcap.model.plan import Cluster, Plan, Subnet
from podcap.model.unknown import Unknown
from podcap.sources.objects.kubernetes import apply_kubernetes_objects, resolve_kubernetes_objects
from podcap.sources.spec import plan_from_spec_dict

SNAP = load_snapshot()

AWS_NODE = {
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "aws-node", "namespace": "kube-system"},
    "spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": [
        {"name": "ENABLE_PREFIX_DELEGATION", "value": "true"}, {"name": "WARM_PREFIX_TARGET", "value": "1"}]}]}}},
}


def _plan() -> Plan:
    plan = Plan(source="cdk.template.json", kind="cloudformation")
    plan.subnets["PodA"] = Subnet(id="PodA", cidr="100.64.0.0/20", az="us-east-1a", aws_id="subnet-0aaa")
    plan.subnets["NodeA"] = Subnet(id="NodeA", cidr="10.0.0.0/24", az="us-east-1a")
    plan.clusters["Cluster"] = Cluster(id="Cluster", subnets=["NodeA"])
    return plan


def test_aws_node_daemonset_env_applies_at_once():
    plan = _plan()
    apply_kubernetes_objects(plan, [AWS_NODE], where="Manifest", cluster="Cluster")
    assert plan.clusters["Cluster"].cni_env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    assert plan.clusters["Cluster"].cni_resource == "Manifest"


def test_aws_node_value_from_is_unknown():
    ds = copy.deepcopy(AWS_NODE)
    ds["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "MAX_ENI", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "y"}}})
    plan = _plan()
    apply_kubernetes_objects(plan, [ds], where="Manifest", cluster="Cluster")
    assert isinstance(plan.clusters["Cluster"].cni_env, Unknown)


def test_eni_config_maps_subnet_ids_to_plan_subnets():
    plan = _plan()
    eni = {"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
           "metadata": {"name": "us-east-1a"}, "spec": {"subnet": "subnet-0aaa", "securityGroups": ["sg-1"]}}
    apply_kubernetes_objects(plan, [{"kind": "List", "apiVersion": "v1", "items": [eni]}], where="Manifest")
    resolve_kubernetes_objects(plan, SNAP)
    assert plan.clusters["Cluster"].eni_configs == {"us-east-1a": "PodA"}  # subnet-0aaa is the plan's PodA


def test_objects_without_their_cluster_wait_for_the_whole_plan():
    manifest = Plan(source="eni.yaml", kind="kubernetes")
    apply_kubernetes_objects(manifest, [AWS_NODE], where="eni.yaml")
    assert len(manifest.kubernetes_objects) == 1 and not manifest.unresolved
    plan = _plan()
    plan.merge(manifest)
    resolve_kubernetes_objects(plan, SNAP)
    assert plan.clusters["Cluster"].cni_env["ENABLE_PREFIX_DELEGATION"] == "true"


def test_no_cluster_message_is_true_of_the_plan():
    alone = Plan(source="x.yaml", kind="kubernetes")
    apply_kubernetes_objects(alone, [AWS_NODE], where="x.yaml")
    resolve_kubernetes_objects(alone, SNAP)
    assert any("the cluster is not described by the input" in u.reason for _, u in alone.unresolved)
    two = _plan()
    two.clusters["Other"] = Cluster(id="Other")
    apply_kubernetes_objects(two, [AWS_NODE], where="x.yaml")
    resolve_kubernetes_objects(two, SNAP)
    reasons = [u.reason for _, u in two.unresolved]
    assert any("describes 2 clusters" in r for r in reasons)
    assert not any("not described by the input" in r for r in reasons)


def test_objects_podcap_does_not_model_are_pc001_and_others_are_ignored():
    plan = _plan()
    apply_kubernetes_objects(plan, [
        {"apiVersion": "karpenter.sh/v1alpha5", "kind": "Provisioner", "metadata": {"name": "old"}},
        {"apiVersion": "vpcresources.k8s.aws/v1beta1", "kind": "SecurityGroupPolicy", "metadata": {"name": "s"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "amazon-vpc-cni"},
         "data": {"enable-windows-ipam": "true"}},
    ], where="Manifest")
    reasons = [u.reason for _, u in plan.unresolved]
    assert any("Provisioner old not modelled" in r for r in reasons)
    assert any("SecurityGroupPolicy" in r for r in reasons)
    assert not any("Deployment" in r for r in reasons)
    assert any("enable-windows-ipam=true" in n for _, n in plan.notes)


def test_v1beta1_kubelet_on_the_nodepool():
    plan = _plan()
    pool = {"apiVersion": "karpenter.sh/v1beta1", "kind": "NodePool", "metadata": {"name": "old"},
            "spec": {"template": {"spec": {
                "nodeClassRef": {"apiVersion": "karpenter.k8s.aws/v1beta1", "kind": "EC2NodeClass", "name": "nc"},
                "kubelet": {"maxPods": 20},
                "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                  "values": ["m5.large"]}]}}, "limits": {"cpu": "4"}}}
    nc = {"apiVersion": "karpenter.k8s.aws/v1beta1", "kind": "EC2NodeClass", "metadata": {"name": "nc"},
          "spec": {"amiFamily": "AL2", "subnetSelectorTerms": [{"id": "NodeA"}]}}
    apply_kubernetes_objects(plan, [pool, nc], where="Manifest")
    resolve_kubernetes_objects(plan, SNAP)
    ng = next(n for n in plan.nodegroups if n.name == "old")
    assert (ng.kubelet_max_pods, ng.max_size, ng.subnets, ng.ami_family) == (20, 2, ["NodeA"], "al2")


# -- properties ----------------------------------------------------------------------------------------------

BASE = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
        "subnets": [{"name": "a", "cidr": "10.0.0.0/22", "az": "us-east-1a"},
                    {"name": "b", "cidr": "10.0.4.0/22", "az": "us-east-1b"}],
        "nodegroups": [{"name": "ng", "instance_types": ["m5.large"], "subnets": ["a", "b"], "min": 1, "max": 4}]}

consumers = st.one_of(
    st.builds(lambda pods, subs: {"fargate_profiles": [{"name": "fp", "subnets": subs, "pods": pods}]},
              st.integers(0, 400), st.sampled_from([["a"], ["b"], ["a", "b"]])),
    st.builds(lambda n, t, subs: {"node_pools": [{"name": "pool", "provisioner": "karpenter", "subnets": subs,
                                                 "instance_types": [t], "max_nodes": n}]},
              st.integers(1, 6), st.sampled_from(["m5.large", "c5.xlarge", "t3.medium"]),
              st.sampled_from([["a"], ["a", "b"]])),
    st.builds(lambda n, size: {"node_pools": [{"name": "auto", "provisioner": "auto-mode", "subnets": ["b"],
                                              "instance_types": ["m5.large"], "max_nodes": n,
                                              "ipv4_prefix_size": size}]},
              st.integers(1, 6), st.sampled_from(["Auto", "32"])),
)


def _figures(doc) -> dict[str, tuple]:
    r = check_plan(plan_from_spec_dict(doc, "s.yaml"), CheckOptions(paths=[]), SNAP)
    return {s.subnet: (s.at_min, s.at_desired, s.at_max) for s in r.subnets}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consumers)
def test_adding_a_consumer_never_lowers_a_subnets_figures(extra):
    before = _figures(BASE)
    after = _figures({**BASE, **extra})
    for sid, old in before.items():
        for o, n in zip(old, after[sid]):
            assert o is not None
            assert n is None or n >= o  # None: unknown, never a pass


ONE_AZ_POOL = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
               "subnets": [{"name": "s24", "cidr": "10.0.0.0/24", "az": "us-east-1a"},
                           {"name": "s23", "cidr": "10.0.2.0/23", "az": "us-east-1a"},
                           {"name": "s25", "cidr": "10.0.4.0/25", "az": "us-east-1a"}]}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 40), t=st.sampled_from(["m5.large", "c5.xlarge"]),
       extra=st.one_of(
           st.builds(lambda pods, sub: {"fargate_profiles": [{"name": "fp", "subnets": [sub], "pods": pods}]},
                     st.integers(0, 400), st.sampled_from(["s24", "s23", "s25"])),
           st.builds(lambda m, sub: {"nodegroups": [{"name": "ng", "instance_types": ["m5.large"],
                                                     "subnets": [sub], "min": 0, "max": m}]},
                     st.integers(1, 12), st.sampled_from(["s24", "s23", "s25"]))))
def test_karpenter_most_free_placement_never_lowers_a_figure(n, t, extra):
    """A Karpenter pool over three subnets of one AZ (its nodes go to the subnet with the most free addresses,
    subnet.go ZonalSubnetsForLaunch): adding another user to one of them never lowers any subnet's figure,
    and every node of the pool is counted somewhere (the subnets' shares add up to at least the pool's nodes)."""
    pool = {"node_pools": [{"name": "pool", "provisioner": "karpenter", "subnets": ["s24", "s23", "s25"],
                            "instance_types": [t], "max_nodes": n}]}
    before = _figures({**ONE_AZ_POOL, **pool})
    after = _figures({**ONE_AZ_POOL, **pool, **extra})
    for sid, old in before.items():
        for o, new in zip(old, after[sid]):
            assert o is not None and (new is None or new >= o)
    r = check_plan(plan_from_spec_dict({**ONE_AZ_POOL, **pool}, "s.yaml"), CheckOptions(paths=[]), SNAP)
    (ng,) = [g for g in r.nodegroups if g.name == "pool"]
    total = sum(s.at_max for s in r.subnets)
    assert total >= n * ng.addresses_per_node


unbounded = st.one_of(
    st.builds(lambda subs: ("fp", {"fargate_profiles": [{"name": "fp", "subnets": subs}]}),
              st.sampled_from([["a"], ["a", "b"]])),
    st.builds(lambda prov, t: ("pool", {"node_pools": [{"name": "pool", "provisioner": prov, "subnets": ["a"],
                                                       "instance_types": [t]}]}),
              st.sampled_from(["karpenter", "auto-mode"]), st.sampled_from(["m5.large", "c5.xlarge"])),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unbounded)
def test_an_unbounded_consumer_always_yields_pc001(case):
    name, extra = case
    r = check_plan(plan_from_spec_dict({**BASE, **extra}, "s.yaml"), CheckOptions(paths=[]), SNAP)
    pc001 = [f for f in r.findings if f.rule_id == "PC001" and f.resource == name]
    assert pc001 and any("pods" in f.message or "max_nodes" in f.message for f in pc001)
    assert r.exit_code(strict=True) == 1


# -- carriers: a CloudFormation / CDK template ------------------------------------------------------------------


def _template(tmp_path, resources: dict) -> str:
    import json

    base = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/26", "AvailabilityZone": "us-east-1a"}}}
    f = tmp_path / "template.json"
    f.write_text(json.dumps({"Resources": {**base, **resources}}))
    return str(f)


def test_cdk_manifest_carrier_end_to_end(tmp_path):
    """A Custom::AWSCDK-EKS-KubernetesResource whose Manifest (Fn::Join, as the CDK writes it) holds a Karpenter
    pool of c5.large (3 ENIs x 10 IPv4) on Bottlerocket, limits.cpu 8: 8 / 2 vCPUs = 4 nodes. Max pods
    3 x 9 + 2 = 29, 27 address pods fill the 3 ENIs: 30 addresses a node, 4 x 30 = 120, + 4 control-plane
    ENIs (one cluster subnet) = 124 > 59 usable in the /26."""
    import json

    from podcap.check import run_check

    pool = [{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
             "spec": {"template": {"spec": {
                 "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                   "values": ["c5.large"]}],
                 "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}}},
                 "limits": {"cpu": "8"}}},
            {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
             "spec": {"amiFamily": "Bottlerocket", "subnetSelectorTerms": [{"id": "@SUBNET@"}]}}]
    head, tail = json.dumps(pool).split("@SUBNET@")
    path = _template(tmp_path, {
        "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
            "RoleArn": "arn", "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubnetA"}]}}},
        "Karpenter": {"Type": "Custom::AWSCDK-EKS-KubernetesResource", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "Manifest": {"Fn::Join": ["", [head, {"Ref": "SubnetA"}, tail]]}}}})
    result, _ = run_check(CheckOptions(paths=[path]))
    assert {s.subnet: s.at_max for s in result.subnets} == {"SubnetA": 124}
    assert any(f.rule_id == "PC201" and f.resource == "SubnetA" for f in result.findings)


def test_auto_mode_cluster_metadata_bounds_the_builtin_pools(tmp_path):
    """Metadata podcap max_nodes on an Auto Mode cluster bounds its built-in pools (they state no limits)."""
    from podcap.check import run_check

    path = _template(tmp_path, {"Cluster": {
        "Type": "AWS::EKS::Cluster", "Metadata": {"podcap": {"max_nodes": 2}},
        "Properties": {"RoleArn": "arn", "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubnetA"}]},
                       "ComputeConfig": {"Enabled": True, "NodePools": ["system"]}}}})
    result, _ = run_check(CheckOptions(paths=[path]))
    pool = next(n for n in result.nodegroups if n.name == "Cluster/system")
    assert pool.max_size == 2
    assert not [f for f in result.findings if f.rule_id == "PC001" and "max_nodes" in f.message]


def test_karpenter_controller_reserved_enis():
    """RESERVED_ENIS=1 on the Karpenter controller: m5.large max pods (3 - 1) x (10 - 1) + 2 = 20."""
    plan = _plan()
    controller = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "karpenter"},
                  "spec": {"template": {"spec": {"containers": [{
                      "name": "controller", "image": "public.ecr.aws/karpenter/controller:1.6.0",
                      "env": [{"name": "RESERVED_ENIS", "value": "1"}]}]}}}}
    pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "p"},
            "spec": {"template": {"spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "nc"},
                "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                  "values": ["m5.large"]}]}}, "limits": {"cpu": "2"}}}
    nc = {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "nc"},
          "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}], "subnetSelectorTerms": [{"id": "NodeA"}]}}
    apply_kubernetes_objects(plan, [controller, pool, nc], where="Manifest")
    r = check_plan(plan, CheckOptions(paths=[]), SNAP)
    assert next(n for n in r.nodegroups if n.name == "p").max_pods == 20
