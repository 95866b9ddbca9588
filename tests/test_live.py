"""podcap.sources.live against a moto server on 127.0.0.1 (real HTTP from boto3).

The ``moto_server`` fixture comes from tests/conftest_moto.py (imported by tests/conftest.py).

moto 5.x gaps, covered here otherwise:
* ENI /28 prefixes (Ipv4Prefixes) are accepted but not stored -> eni_addresses() is tested directly;
* EKS add-ons are not implemented (HTTP 404) -> DescribeAddon is stubbed on the real client with a
  botocore before-call handler (every other call goes to moto);
* moto does not keep a node group's updateConfig -> the field mapping is tested on _nodegroup() directly;
* moto lowers AvailableIpAddressCount by the size of a prefix CIDR reservation (not an explicit one).
"""
from __future__ import annotations

import json
import os
import socket
import types
import urllib.request

import pytest
from podcap import aws_clients
from podcap.aws_clients import AwsAccessError
from podcap.engine.blocks import fragmentation_report
from podcap.model.plan import CidrReservation, Cluster, NodeGroup, Plan, Subnet
from podcap.model.unknown import Unknown
from podcap.sources import live
from podcap.sources.live import eni_addresses, enrich_plan, parse_configuration_values, subnet_id_like

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/eks"
READ_ONLY = ("Describe", "Get", "List")


# --------------------------------------------------------------------------- helpers


def _http(status: int):
    return types.SimpleNamespace(status_code=status, headers={}, content=b"")


def _ok(body: dict):
    return _http(200), body


def _error(status: int, code: str, message: str):
    return _http(status), {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {}}


@pytest.fixture
def aws(moto_server, monkeypatch):
    """Fresh moto state; clients made by live.py record every operation and can stub single ones."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    real = aws_clients.client
    state = types.SimpleNamespace(calls=[], stubs={}, url=moto_server)

    def recording_client(service, **kwargs):
        c = real(service, **kwargs)

        def hook(model, **_):
            state.calls.append(model.name)
            stub = state.stubs.get(model.name)
            return stub() if stub else None

        c.meta.events.register("before-call", hook)
        return c

    monkeypatch.setattr(aws_clients, "client", recording_client)
    import boto3

    state.ec2 = boto3.client("ec2", region_name=REGION)
    state.eks = boto3.client("eks", region_name=REGION)
    return state


def _eni(ec2, subnet_id: str, primary: str, secondaries: list[str]) -> str:
    eni = ec2.create_network_interface(SubnetId=subnet_id, PrivateIpAddress=primary)["NetworkInterface"]
    if secondaries:
        ec2.assign_private_ip_addresses(NetworkInterfaceId=eni["NetworkInterfaceId"],
                                        PrivateIpAddresses=secondaries)
    return eni["NetworkInterfaceId"]


@pytest.fixture
def seeded(aws):
    """VPC 10.0.0.0/16 with
    A 10.0.1.0/24 (us-east-1a): two ENIs, one address in each of /28 blocks 1..11 -> fragmented;
    B 10.0.2.0/24 (us-east-1b): one ENI, prefix reservation 10.0.2.64/26, explicit 10.0.2.128/28;
    EKS cluster "prod" on A and B with node groups ng-live and ng-planned (m5.large).
    """
    ec2, eks = aws.ec2, aws.eks
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    # blocks 1..6: .20 (primary), .36, .52, .68, .84, .100
    _eni(ec2, a, "10.0.1.20", ["10.0.1.36", "10.0.1.52", "10.0.1.68", "10.0.1.84", "10.0.1.100"])
    # blocks 7..11: .116 (primary), .132, .148, .164, .180
    _eni(ec2, a, "10.0.1.116", ["10.0.1.132", "10.0.1.148", "10.0.1.164", "10.0.1.180"])
    _eni(ec2, b, "10.0.2.10", [])
    ec2.create_subnet_cidr_reservation(SubnetId=b, Cidr="10.0.2.64/26", ReservationType="prefix")
    ec2.create_subnet_cidr_reservation(SubnetId=b, Cidr="10.0.2.128/28", ReservationType="explicit")
    eks.create_cluster(name="prod", roleArn=ROLE, resourcesVpcConfig={"subnetIds": [a, b]})
    eks.create_nodegroup(clusterName="prod", nodegroupName="ng-live", nodeRole=ROLE, subnets=[a],
                         instanceTypes=["m5.large"], scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2})
    eks.create_nodegroup(clusterName="prod", nodegroupName="ng-planned", nodeRole=ROLE, subnets=[a],
                         instanceTypes=["m5.large"], scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 1})
    aws.stubs["DescribeAddon"] = lambda: _ok({"addon": {
        "addonName": "vpc-cni", "clusterName": "prod", "addonVersion": "v1.18.3-eksbuild.1",
        "configurationValues": json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": 1}}),
    }})
    aws.vpc, aws.a, aws.b = vpc, a, b
    return aws


def _existing(sid: str, **kw) -> Subnet:
    return Subnet(id=sid, cidr=Unknown("existing subnet"), az=Unknown("existing subnet"), defined_in_plan=False, **kw)


# --------------------------------------------------------------------------- moto: the happy path


def test_enrich_fills_existing_subnets_clusters_and_nodegroups(seeded):
    a, b = seeded.a, seeded.b
    plan = Plan(source="test", kind="spec")
    plan.clusters["Cluster"] = Cluster(id="Cluster", name="prod")
    plan.subnets[a] = _existing(a)
    plan.nodegroups.append(NodeGroup(name="ng-planned", cluster="Cluster", instance_types=["m5.xlarge"],
                                     subnets=[a], max_size=3))

    notes = enrich_plan(plan, region=REGION)

    # subnet A: 11 addresses in use, one in each of blocks 1..11
    sa = plan.subnets[a]
    assert (sa.cidr, sa.az, sa.vpc, sa.aws_id) == ("10.0.1.0/24", "us-east-1a", seeded.vpc, a)
    assert sa.used_addresses == 11  # 256 - 5 - AvailableIpAddressCount (240)
    assert sa.used_ips == ["10.0.1.20", "10.0.1.36", "10.0.1.52", "10.0.1.68", "10.0.1.84", "10.0.1.100",
                           "10.0.1.116", "10.0.1.132", "10.0.1.148", "10.0.1.164", "10.0.1.180"]
    assert sa.reservations == []
    # A /24 = 16 aligned /28s. Block 0 (.0-.15) and block 15 (.240-.255) hold AWS's five addresses;
    # blocks 1..11 each hold one in-use address. Free: 16 - 2 - 11 = 3 (.192/28, .208/28, .224/28),
    # although 251 - 11 = 240 addresses are free.
    r = fragmentation_report(sa.cidr, sa.used_ips, sa.reservations)
    assert (r.usable, r.free_addresses, r.free_blocks, r.prefix_reserved_blocks) == (240, 240, 3, 0)
    assert r.fragmented
    assert r.explanation.startswith("10.0.1.0/24: 240 free addresses but only 3 free aligned /28 blocks "
                                    "(48 addresses)")

    # subnet B was only referenced by the live cluster: added as an existing subnet, with its reservations
    sb = plan.subnets[b]
    assert not sb.defined_in_plan
    assert (sb.cidr, sb.az, sb.aws_id) == ("10.0.2.0/24", "us-east-1b", b)
    assert sb.used_ips == ["10.0.2.10"]
    # moto takes a prefix reservation off AvailableIpAddressCount at once: 251 - 1 - 64 = 186 -> 65
    assert sb.used_addresses == 65
    assert sorted((r.cidr, r.type) for r in sb.reservations) == [("10.0.2.128/28", "explicit"),
                                                                  ("10.0.2.64/26", "prefix")]
    # Blocks: 0 and 15 AWS; block 8 (.128/28) explicit; blocks 4..7 (.64/26) kept for prefixes;
    # .10 sits in block 0 (already AWS-touched). Free outside reservations: 16 - 2 - 1 - 4 = 9,
    # in the prefix reservation: 4, so 13 for prefix delegation.
    # Addresses: usable = 251 - 1 (in use) - 16 (explicit) = 234; single IPs: 234 - 64 = 170.
    rb = fragmentation_report(sb.cidr, sb.used_ips, sb.reservations)
    assert (rb.usable, rb.free_addresses, rb.free_blocks, rb.prefix_reserved_blocks) == (234, 170, 9, 4)
    assert rb.prefix_blocks_available == 13

    # the cluster: control-plane subnets, the vpc-cni env (stubbed DescribeAddon)
    c = plan.clusters["Cluster"]
    assert c.subnets == [a, b]
    assert c.cni_env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}

    # node groups: the plan's ng-planned is kept as is, ng-live is added
    names = [ng.name for ng in plan.nodegroups]
    assert names == ["ng-planned", "ng-live"]
    assert plan.nodegroups[0].instance_types == ["m5.xlarge"]
    ng = plan.nodegroups[1]
    assert ng.location.path == "live:eks/prod/ng-live"
    assert (ng.cluster, ng.instance_types, ng.subnets) == ("Cluster", ["m5.large"], [a])
    assert (ng.min_size, ng.desired_size, ng.max_size) == (1, 2, 4)
    assert ng.kubelet_max_pods is None  # no launch template

    joined = "\n".join(notes)
    assert f"subnet {a}: 10.0.1.0/24 in us-east-1a" in joined
    assert "ng-live" in joined and "ENABLE_PREFIX_DELEGATION=true" in joined

    # read-only: only Describe/Get/List calls were made
    assert seeded.calls and all(op.startswith(READ_ONLY) for op in seeded.calls), seeded.calls
    assert {"DescribeSubnets", "DescribeNetworkInterfaces", "GetSubnetCidrReservations", "DescribeCluster",
            "ListNodegroups", "DescribeNodegroup", "DescribeAddon"} <= set(seeded.calls)


def test_logical_subnet_with_aws_id_and_live_nodegroup_subnets_map_to_it(seeded):
    a = seeded.a
    plan = Plan(source="test", kind="cloudformation")
    plan.clusters["Cluster"] = Cluster(id="Cluster", name="prod", subnets=["NodeSubnet"],
                                       cni_env={"WARM_IP_TARGET": "5"})
    plan.subnets["NodeSubnet"] = _existing("NodeSubnet", aws_id=a)
    enrich_plan(plan, region=REGION)
    s = plan.subnets["NodeSubnet"]
    assert s.cidr == "10.0.1.0/24" and s.used_addresses == 11
    assert a not in plan.subnets  # not duplicated under its AWS id
    live_ngs = {ng.name: ng for ng in plan.nodegroups}
    assert live_ngs["ng-live"].subnets == ["NodeSubnet"]
    assert live_ngs["ng-planned"].subnets == ["NodeSubnet"]
    c = plan.clusters["Cluster"]
    assert c.subnets == ["NodeSubnet"]  # stated by the plan: kept
    assert c.cni_env == {"WARM_IP_TARGET": "5"}  # stated by the plan: kept


def test_plan_subnet_with_known_cidr_is_not_looked_up(seeded):
    plan = Plan(source="test", kind="spec")
    plan.subnets["Mine"] = Subnet(id="Mine", cidr="10.0.9.0/24", az="us-east-1a")  # created by the plan
    assert enrich_plan(plan, region=REGION) == []
    assert seeded.calls == []


def test_batches_and_an_unknown_subnet_id(seeded, monkeypatch):
    monkeypatch.setattr(live, "FILTER_BATCH", 1)  # one id per DescribeSubnets / DescribeNetworkInterfaces
    missing = "subnet-0123456789abcdef0"
    plan = Plan(source="test", kind="spec")
    for sid in (seeded.a, seeded.b, missing):
        plan.subnets[sid] = _existing(sid)
    plan.nodegroups.append(NodeGroup(name="ng", subnets=[seeded.a, missing]))
    notes = enrich_plan(plan, region=REGION)
    assert plan.subnets[seeded.a].cidr == "10.0.1.0/24"
    assert plan.subnets[seeded.b].cidr == "10.0.2.0/24"
    s = plan.subnets[missing]
    assert isinstance(s.cidr, Unknown) and isinstance(s.az, Unknown)
    assert s.cidr.reason == f"subnet {missing} not found in {REGION}"
    assert isinstance(s.used_addresses, Unknown)
    assert f"subnet {missing} not found in {REGION}: left unknown" in notes
    assert seeded.calls.count("DescribeSubnets") == 3


def test_subnet_referenced_only_by_a_nodegroup_is_added(seeded):
    plan = Plan(source="test", kind="terraform-plan")
    plan.nodegroups.append(NodeGroup(name="aws_eks_node_group.x", subnets=[seeded.b, Unknown("after apply")]))
    enrich_plan(plan, region=REGION)
    s = plan.subnets[seeded.b]
    assert not s.defined_in_plan and s.cidr == "10.0.2.0/24" and s.location.path == f"live:ec2/{seeded.b}"


def test_a_cluster_not_found_is_a_new_cluster(seeded):
    plan = Plan(source="test", kind="spec")
    plan.clusters["New"] = Cluster(id="New", name="brand-new")
    plan.clusters["Nameless"] = Cluster(id="Nameless", name=Unknown("Fn::Sub of a parameter"))
    notes = enrich_plan(plan, region=REGION)
    assert notes == [f"EKS cluster brand-new not found in {REGION}: a new cluster"]
    assert plan.nodegroups == [] and plan.clusters["New"].cni_env is None and plan.clusters["New"].subnets == []
    assert seeded.calls == ["DescribeCluster"]


def test_no_vpc_cni_addon_leaves_cni_env_unknown(seeded):
    seeded.stubs["DescribeAddon"] = lambda: _error(404, "ResourceNotFoundException", "No addon: vpc-cni found")
    plan = Plan(source="test", kind="spec")
    plan.clusters["C"] = Cluster(id="C", name="prod")
    enrich_plan(plan, region=REGION)
    env = plan.clusters["C"].cni_env
    assert isinstance(env, Unknown) and "self-managed aws-node" in env.reason


def test_addon_yaml_configuration_and_eniconfig(seeded):
    a = seeded.a
    seeded.stubs["DescribeAddon"] = lambda: _ok({"addon": {
        "addonName": "vpc-cni", "addonVersion": "v1.19.0",
        "configurationValues": (f"env:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\n"
                                f"eniConfig:\n  create: true\n  region: {REGION}\n"
                                f"  subnets:\n    us-east-1a:\n      id: {a}\n      securityGroups: [sg-1]\n"),
    }})
    plan = Plan(source="test", kind="spec")
    plan.clusters["C"] = Cluster(id="C", name="prod")
    enrich_plan(plan, region=REGION)
    c = plan.clusters["C"]
    assert c.cni_env == {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}
    assert c.eni_configs == {"us-east-1a": a}
    assert plan.subnets[a].cidr == "10.0.1.0/24"


def test_launch_template_nodegroup_is_fail_closed(seeded):
    seeded.eks.create_nodegroup(clusterName="prod", nodegroupName="ng-lt", nodeRole=ROLE, subnets=[seeded.a],
                                launchTemplate={"name": "my-lt", "version": "3"},
                                scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": 0})
    plan = Plan(source="test", kind="spec")
    plan.clusters["C"] = Cluster(id="C", name="prod")
    enrich_plan(plan, region=REGION)
    ng = next(n for n in plan.nodegroups if n.name == "ng-lt")
    assert (ng.min_size, ng.max_size) == (0, 10)
    assert isinstance(ng.kubelet_max_pods, Unknown) and "my-lt" in ng.kubelet_max_pods.reason
    # moto reports its default t3.medium even with a launch template; AWS leaves instanceTypes out when
    # the template sets the type, which gives an Unknown (see test_nodegroup_mapping)
    assert ng.instance_types == ["t3.medium"] or isinstance(ng.instance_types, Unknown)


# --------------------------------------------------------------------------- error paths


def _one_line(e: AwsAccessError) -> str:
    msg = str(e)
    assert msg and "\n" not in msg and "Traceback" not in msg
    return msg


def test_closed_port_is_one_line_access_error(moto_server, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    plan = Plan(source="test", kind="spec")
    plan.subnets["subnet-0123456789abcdef0"] = _existing("subnet-0123456789abcdef0")
    with pytest.raises(AwsAccessError) as ei:
        enrich_plan(plan, region=REGION)
    msg = _one_line(ei.value)
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    assert not secret or secret not in msg


def test_no_credentials_is_one_line_access_error(moto_server, monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(var, raising=False)
    empty_creds, empty_config = tmp_path / "credentials", tmp_path / "config"
    empty_creds.write_text("")
    empty_config.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty_creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty_config))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    plan = Plan(source="test", kind="spec")
    plan.subnets["subnet-0123456789abcdef0"] = _existing("subnet-0123456789abcdef0")
    with pytest.raises(AwsAccessError) as ei:
        enrich_plan(plan, region=REGION)
    assert "credential" in _one_line(ei.value).lower()


def test_access_denied_is_one_line_access_error(seeded):
    seeded.stubs["DescribeSubnets"] = lambda: _error(
        403, "UnauthorizedOperation", "You are not authorized to perform this operation. User: "
        "arn:aws:iam::123456789012:user/ci is not authorized to perform: ec2:DescribeSubnets")
    plan = Plan(source="test", kind="spec")
    plan.subnets[seeded.a] = _existing(seeded.a)
    with pytest.raises(AwsAccessError) as ei:
        enrich_plan(plan, region=REGION)
    _one_line(ei.value)


def test_eks_access_denied_is_an_access_error_not_a_new_cluster(seeded):
    seeded.stubs["DescribeCluster"] = lambda: _error(403, "AccessDeniedException", "not authorized: eks:DescribeCluster")
    plan = Plan(source="test", kind="spec")
    plan.clusters["C"] = Cluster(id="C", name="prod")
    with pytest.raises(AwsAccessError) as ei:
        enrich_plan(plan, region=REGION)
    _one_line(ei.value)


# --------------------------------------------------------------------------- pure helpers


def test_subnet_id_like():
    assert subnet_id_like("subnet-0123abcd")
    assert subnet_id_like("subnet-0123456789abcdef0")
    for bad in ("subnet-123", "subnet-a", "Subnet-0123abcd", "subnet-0123ABCD", "aws_subnet.a", "NodeSubnetA",
                "subnet-0123456789abcdef", "", None, 3, Unknown("x")):
        assert not subnet_id_like(bad), bad


def test_eni_addresses_keep_prefixes_as_cidrs():
    eni = {"PrivateIpAddress": "10.0.1.20",
           "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.20", "Primary": True},
                                  {"PrivateIpAddress": "10.0.1.21"}],
           "Ipv4Prefixes": [{"Ipv4Prefix": "10.0.1.48/28"}]}
    got = eni_addresses(eni)
    # the /28 stays one CIDR (an interval for the block arithmetic), never 16 address strings
    assert got == ["10.0.1.20", "10.0.1.21", "10.0.1.48/28"]
    # blocks: .20/.21 touch block 1, the prefix fills block 3 -> 14 - 2 = 12 free blocks
    assert fragmentation_report("10.0.1.0/24", got).free_blocks == 12
    assert eni_addresses({"PrivateIpAddress": "10.0.0.9"}) == ["10.0.0.9"]


def test_a_huge_eni_prefix_is_one_interval():
    """A /8 "prefix" from a broken answer costs one string and one interval (not 16.7 M addresses)."""
    import time

    t0 = time.monotonic()
    got = eni_addresses({"Ipv4Prefixes": [{"Ipv4Prefix": "10.0.0.0/8"}]})
    assert got == ["10.0.0.0/8"]
    r = fragmentation_report("10.0.1.0/24", got)
    # the /8 covers the whole /24: 256 - 5 AWS-reserved = 251 in use, nothing usable, no free /28
    assert (r.in_use, r.usable, r.free_blocks) == (251, 0, 0)
    assert time.monotonic() - t0 < 1.0


@pytest.mark.parametrize("eni", [
    {"PrivateIpAddresses": "10.0.0.1"},  # a string where a list belongs
    {"PrivateIpAddresses": [{"PrivateIpAddress": "fe80::1"}]},
    {"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.999"}]},
    {"Ipv4Prefixes": [{"Ipv4Prefix": "garbage"}]},
    {"Ipv4Prefixes": [{"Ipv4Prefix": "2600:1f14::/80"}]},
])
def test_eni_answers_that_are_not_ipv4_are_refused_with_the_call_named(eni):
    with pytest.raises(live.LiveAnswerError, match="ec2:DescribeNetworkInterfaces returned"):
        eni_addresses(eni)


def test_nodegroup_mapping():
    ng = live._nodegroup(Cluster(id="C", name="prod"), "prod", {
        "nodegroupName": "ng", "instanceTypes": ["m6i.large", "m5.large"], "subnets": ["subnet-0123abcd"],
        "scalingConfig": {"minSize": 2, "desiredSize": 3, "maxSize": 6},
        "updateConfig": {"maxUnavailablePercentage": 33}, "amiType": "AL2023_x86_64_STANDARD",
        "capacityType": "SPOT"}, {"subnet-0123abcd": "NodeSubnetA"})
    assert (ng.name, ng.cluster, ng.instance_types, ng.subnets) == ("ng", "C", ["m6i.large", "m5.large"],
                                                                   ["NodeSubnetA"])
    assert (ng.min_size, ng.desired_size, ng.max_size) == (2, 3, 6)
    assert (ng.max_unavailable, ng.max_unavailable_percentage) == (None, 33)
    assert (ng.ami_type, ng.capacity_type, ng.kubelet_max_pods) == ("AL2023_x86_64_STANDARD", "SPOT", None)
    assert ng.location.path == "live:eks/prod/ng"
    ng = live._nodegroup(Cluster(id="C"), "prod", {"nodegroupName": "lt", "launchTemplate": {"id": "lt-1"},
                                                   "scalingConfig": {"minSize": 0}}, {})
    assert isinstance(ng.instance_types, Unknown) and "lt-1" in ng.instance_types.reason
    assert isinstance(ng.max_size, Unknown) and isinstance(ng.kubelet_max_pods, Unknown)


def test_parse_configuration_values():
    assert parse_configuration_values("") == {}
    assert parse_configuration_values('{"env": {"A": "1"}}') == {"env": {"A": "1"}}
    assert parse_configuration_values("env:\n  A: 1\n") == {"env": {"A": 1}}
    with pytest.raises(ValueError):
        parse_configuration_values("[1, 2]")


def test_nexttoken_pagination_without_a_paginator():
    class Fake:
        def __init__(self):
            self.tokens = []

        def can_paginate(self, op):
            return False

        def get_subnet_cidr_reservations(self, SubnetId, NextToken=None):
            self.tokens.append(NextToken)
            pages = {None: ([{"Cidr": "10.0.0.16/28"}], "t1"), "t1": ([{"Cidr": "10.0.0.32/28"}], None)}
            items, nxt = pages[NextToken]
            return {"SubnetIpv4CidrReservations": items, **({"NextToken": nxt} if nxt else {})}

    f = Fake()
    got = list(live._paginate(f, "get_subnet_cidr_reservations", "SubnetIpv4CidrReservations", SubnetId="s"))
    assert [g["Cidr"] for g in got] == ["10.0.0.16/28", "10.0.0.32/28"] and f.tokens == [None, "t1"]


def test_reservation_objects_are_model_objects(seeded):
    plan = Plan(source="test", kind="spec")
    plan.subnets[seeded.b] = _existing(seeded.b, reservations=[CidrReservation("10.0.2.64/26", "prefix")])
    enrich_plan(plan, region=REGION)
    rs = plan.subnets[seeded.b].reservations
    assert all(isinstance(r, CidrReservation) for r in rs)
    assert sorted(r.cidr for r in rs) == ["10.0.2.128/28", "10.0.2.64/26"]  # the plan's one not duplicated


def test_enriched_plan_feeds_the_analysis(seeded):
    from podcap.analysis import analyse
    from podcap.limits import load_snapshot

    plan = Plan(source="test", kind="spec")
    plan.clusters["Cluster"] = Cluster(id="Cluster", name="prod")
    plan.subnets[seeded.a] = _existing(seeded.a)
    enrich_plan(plan, region=REGION)
    a = analyse(plan, load_snapshot(None))
    sa = a.subnets[seeded.a]
    assert sa.usable == 256 - 5 - 11 and not sa.unknowns
    assert {na.ng.name for na in a.nodegroups} == {"ng-live", "ng-planned"}
    assert all(na.pd for na in a.nodegroups)  # ENABLE_PREFIX_DELEGATION=true from the add-on


def test_check_live_fragmented_subnet_end_to_end(seeded, tmp_path, capsys):
    """`podcap check --live` on a template that puts a prefix-delegation node group in existing subnet A.

    A (10.0.1.0/24) holds 11 addresses, one in each of /28 blocks 1..11, so it has 256 - 5 - 11 = 240
    free addresses but only blocks 12, 13, 14 free. A managed node group of m5.large (2 vCPUs) with prefix
    delegation gets max-pods 110 from EKS (fewer than 30 vCPUs), so 108 address-taking pods: ceil(108 / 16)
    = 7 prefixes, 1 ENI + 7 x 16 = 113 addresses a node. Max 2 nodes, one AZ: 14 prefixes > 3 free blocks
    -> PC204, though 2 x 113 + 4 control-plane ENIs = 230 <= 240 addresses.
    """
    from podcap.cli import main

    tpl = tmp_path / "cluster.json"
    tpl.write_text(json.dumps({"Resources": {
        "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "newcluster", "RoleArn": ROLE, "ResourcesVpcConfig": {"SubnetIds": [seeded.a]}}},
        "VpcCni": {"Type": "AWS::EKS::Addon", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "AddonName": "vpc-cni",
            "ConfigurationValues": json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true"}})}},
        "Nodes": {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": ROLE, "Subnets": [seeded.a],
            "InstanceTypes": ["m5.large"], "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 2}}},
    }}))
    assert main(["check", str(tpl), "--live", "--region", REGION, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    sub = next(s for s in doc["subnets"] if s["subnet"] == seeded.a)
    assert (sub["cidr"], sub["usable"], sub["at_max"]) == ("10.0.1.0/24", 240, 230)  # 2 x 113 + 4
    assert (sub["free_prefix_blocks"], sub["prefix_blocks_at_max"]) == (3, 14)  # 2 nodes x 7 prefixes
    pc204 = [f for f in doc["findings"] if f["rule_id"] == "PC204"]
    assert len(pc204) == 1 and pc204[0]["resource"] == seeded.a
    f = pc204[0]
    assert "240 free addresses but only 3 free aligned /28 blocks" in f["message"]
    assert "prefix CIDR reservation" in f["fix"]
    assert not [x for x in doc["findings"] if x["rule_id"] in ("PC001", "PC201")]
    assert any(n.startswith(f"live AWS: subnet {seeded.a}") for n in doc["notes"])
    # without --live the existing subnet cannot be judged: fail closed
    assert main(["check", str(tpl), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert any(x["rule_id"] == "PC001" and seeded.a in x["message"] for x in doc["findings"])


def test_cdk_imported_subnet_validated_live(seeded, tmp_path):
    """A CDK app that imports existing subnet A: podcap's synth-time plugin with live lookup reads it from
    AWS and fails the synth on the same PC204 (see the end-to-end test above for the arithmetic)."""
    cdk = pytest.importorskip("aws_cdk")
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_eks as eks
    from podcap.cdk.validation import PodcapValidationPlugin

    app = cdk.App(outdir=str(tmp_path / "cdk.out"), builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "Imported")
    subnet = ec2.Subnet.from_subnet_attributes(stack, "A", subnet_id=seeded.a, availability_zone="us-east-1a")
    cluster = eks.CfnCluster(stack, "Cluster", name="newcluster", role_arn=ROLE,
                             resources_vpc_config=eks.CfnCluster.ResourcesVpcConfigProperty(
                                 subnet_ids=[subnet.subnet_id]))
    eks.CfnAddon(stack, "VpcCni", cluster_name=cluster.ref, addon_name="vpc-cni",
                 configuration_values=json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true"}}))
    eks.CfnNodegroup(stack, "Nodes", cluster_name=cluster.ref, node_role=ROLE, subnets=[subnet.subnet_id],
                     instance_types=["m5.large"],
                     scaling_config=eks.CfnNodegroup.ScalingConfigProperty(min_size=1, desired_size=1, max_size=2))
    plugin = PodcapValidationPlugin(live=True, region=REGION)
    cdk.Validations.of(app).add_plugins(plugin)
    with pytest.raises(Exception) as e:
        app.synth()
    assert "Validation failed" in str(e.value) or "PC204" in str(e.value)
    found = [f for f in plugin.last_result.findings if f.rule_id == "PC204"]
    assert [f.resource for f in found] == [seeded.a]
    assert found[0].data["free_blocks"] == 3 and found[0].data["prefix_blocks_needed"] == 14  # 2 x 7
    # the same template through `podcap check cdk.out --live`: the same verdict
    from podcap.check import CheckOptions, run_check

    result, _ = run_check(CheckOptions(paths=[str(tmp_path / "cdk.out")], live=True, region=REGION))
    assert [f.resource for f in result.findings if f.rule_id == "PC204"] == [seeded.a]


# --------------------------------------------------------------------------- faults: a local endpoint

try:
    from _cli_harness import cli as _cli
    from _fault_server import FaultServer, Reply, ec2_xml, json_reply, subnet_item
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli as _cli
    from tests._fault_server import FaultServer, Reply, ec2_xml, json_reply, subnet_item

SID = "subnet-0123456789abcdef0"


def _fault_env(monkeypatch, tmp_path, url: str) -> None:
    (tmp_path / "aws-config").write_text("")
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_RETRY_MODE",
                "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_EKS", "PODCAP_LIVE_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")


def _fault_template(tmp_path, *, addon: bool = True, cluster: bool = True) -> str:
    res = {"Nodes": {"Type": "AWS::EKS::Nodegroup", "Properties": {
        "ClusterName": "prod", "NodeRole": ROLE, "Subnets": [SID], "InstanceTypes": ["m5.large"],
        "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 2}}}}
    if cluster:
        res["Cluster"] = {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "prod", "RoleArn": ROLE, "ResourcesVpcConfig": {"SubnetIds": [SID]}}}
        res["Nodes"]["Properties"]["ClusterName"] = {"Ref": "Cluster"}
    if addon:
        res["VpcCni"] = {"Type": "AWS::EKS::Addon", "Properties": {
            "ClusterName": {"Ref": "Cluster"} if cluster else "prod", "AddonName": "vpc-cni",
            "ConfigurationValues": json.dumps({"env": {"WARM_ENI_TARGET": "1"}})}}
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"Resources": res}))
    return str(p)


def _good(op: str, params: dict, **subnet) -> Reply:
    """A well-behaved endpoint: one /24 subnet (240 available), no ENIs, no reservations, cluster prod."""
    if op == "DescribeSubnets":
        return ec2_xml(op, f"<subnetSet>{subnet_item(SID, **subnet)}</subnetSet>")
    if op == "DescribeNetworkInterfaces":
        return ec2_xml(op, "<networkInterfaceSet/>")
    if op == "GetSubnetCidrReservations":
        return ec2_xml(op, f"<subnetId>{SID}</subnetId><subnetIpv4CidrReservationSet/>")
    if op == "DescribeCluster":
        return json_reply(json.dumps({"cluster": {"name": "prod", "resourcesVpcConfig": {"subnetIds": [SID]},
                                                  "kubernetesNetworkConfig": {"ipFamily": "ipv4"}}}))
    if op == "ListNodegroups":
        return json_reply('{"nodegroups": []}')
    if op == "DescribeAddon":
        return json_reply(json.dumps({"addon": {"addonName": "vpc-cni", "addonVersion": "v1.19.0",
                                                "configurationValues": '{"env": {"WARM_ENI_TARGET": "1"}}'}}))
    return Reply(status=404, body=b"<html>no such operation</html>", content_type="text/html")


def _check(path: str, *extra: str):
    return _cli(["check", path, "--live", "--region", REGION, "--format", "json", *extra])


def test_plan_with_its_own_vpc_cni_addon_never_calls_describe_addon(monkeypatch, tmp_path):
    with FaultServer(_good) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, addon=True)).assert_promise()
    assert r.code in (0, 1), r.err
    assert "DescribeAddon" not in srv.calls and "DescribeSubnets" in srv.calls
    sub = next(s for s in json.loads(r.out)["subnets"] if s["subnet"] == SID)
    assert sub["cidr"] == "10.0.1.0/24"


def test_a_failed_describe_addon_is_pc001_not_the_end(monkeypatch, tmp_path):
    def no_addon_operation(op, params):
        if op == "DescribeAddon":  # an endpoint without the operation: 404 and an HTML page
            return Reply(status=404, body=b"<html>Not Found</html>", content_type="text/html")
        return _good(op, params)

    with FaultServer(no_addon_operation) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, addon=False)).assert_promise()
    assert r.code in (0, 1), r.err
    assert "DescribeAddon" in srv.calls
    msgs = [f["message"] for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any("vpc-cni" in m for m in msgs), msgs


@pytest.mark.parametrize("body, ctype", [
    (b"<html><body>Proxy login</body></html>", "text/html"),
    ((b'<?xml version="1.0"?><DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><subnetSet>'
     b"<item><subnetId>subnet-01"), "text/xml"),  # a cut body
    (bytes(range(256)) * 4, "application/octet-stream"),
])
def test_unreadable_answers_to_the_main_read_are_one_line(monkeypatch, tmp_path, body, ctype):
    with FaultServer(lambda op, p: Reply(body=body, content_type=ctype)) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, cluster=False, addon=False))
    if r.code == 2:
        r.assert_one_line_error(max_seconds=20)
    else:  # an answer that parses to nothing: the subnet is not found, so it stays unknown (PC001)
        r.assert_promise(max_seconds=20)
        assert any(f["rule_id"] == "PC001" for f in json.loads(r.out)["findings"])


@pytest.mark.parametrize("subnet, needle", [
    ({"cidr": "not-a-cidr"}, "CidrBlock='not-a-cidr'"),
    ({"cidr": "2600:1f14::/64"}, "not an IPv4 CIDR"),
    ({"cidr": None}, "CidrBlock=None"),
    ({"az": None}, "AvailabilityZone=None"),
])
def test_malformed_subnet_fields_become_pc001_naming_the_call(monkeypatch, tmp_path, subnet, needle):
    with FaultServer(lambda op, p: _good(op, p, **subnet)) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, cluster=False, addon=False)).assert_promise()
    msgs = [f["message"] for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any("ec2:DescribeSubnets returned" in m and needle in m for m in msgs), msgs


def test_a_non_numeric_count_is_said_not_a_crash(monkeypatch, tmp_path):
    with FaultServer(lambda op, p: _good(op, p, available="lots")) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, cluster=False, addon=False))
    r.assert_promise(max_seconds=20)
    if r.code == 2:
        r.assert_one_line_error("DescribeSubnets")


def test_a_negative_count_does_not_make_arithmetic_that_does_not_add_up(monkeypatch, tmp_path):
    """AvailableIpAddressCount=-13 on a /24 would read as 256 - 5 + 13 = 264 in use: refused as Unknown."""
    with FaultServer(lambda op, p: _good(op, p, available="300")) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, cluster=False, addon=False)).assert_promise()
    msgs = [f["message"] for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any("AvailableIpAddressCount='300'" in m or "AvailableIpAddressCount=300" in m for m in msgs), msgs


def test_a_repeated_next_token_stops(monkeypatch, tmp_path):
    def loop(op, params):
        if op == "GetSubnetCidrReservations":
            return ec2_xml(op, f"<subnetId>{SID}</subnetId><subnetIpv4CidrReservationSet/>"
                               "<nextToken>same-token</nextToken>")
        return _good(op, params)

    with FaultServer(loop, max_requests=200) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, cluster=False, addon=False)).assert_promise(max_seconds=20)
    # one page, the token once more, then the loop stops: 2 requests, not thousands
    assert srv.calls.count("GetSubnetCidrReservations") == 2
    msgs = [f["message"] for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any("NextToken" in m and "twice" in m for m in msgs), msgs


@pytest.mark.parametrize("reply", [Reply(silent=True), Reply(body=b"<x>" * 200, drip=0.5)],
                         ids=["silent", "slow-drip"])
def test_the_live_phase_has_a_deadline(monkeypatch, tmp_path, reply):
    with FaultServer(lambda op, p: reply, lifetime=30) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, cluster=False, addon=False), "--live-timeout", "2")
    r.assert_one_line_error("2 s", max_seconds=8)
    assert r.seconds < 8  # wall time: the deadline (2 s) and one more second for the worker to be given up


def test_the_live_deadline_from_the_environment(monkeypatch, tmp_path):
    with FaultServer(lambda op, p: Reply(silent=True), lifetime=30) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        monkeypatch.setenv("PODCAP_LIVE_TIMEOUT", "1.5")
        r = _check(_fault_template(tmp_path, cluster=False, addon=False))
    r.assert_one_line_error("1.5 s", max_seconds=8)
    assert r.seconds < 8


def test_eni_prefix_of_a_slash_8_is_bounded_end_to_end(monkeypatch, tmp_path):
    def big_prefix(op, params):
        if op == "DescribeNetworkInterfaces":
            return ec2_xml(op, "<networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId>"
                               f"<subnetId>{SID}</subnetId><privateIpAddress>10.0.1.10</privateIpAddress>"
                               "<ipv4PrefixSet><item><ipv4Prefix>10.0.0.0/8</ipv4Prefix></item></ipv4PrefixSet>"
                               "</item></networkInterfaceSet>")
        return _good(op, params)

    with FaultServer(big_prefix) as srv:
        _fault_env(monkeypatch, tmp_path, srv.url)
        r = _check(_fault_template(tmp_path, cluster=False, addon=False)).assert_promise(max_seconds=10)
    sub = next(s for s in json.loads(r.out)["subnets"] if s["subnet"] == SID)
    assert sub["usable"] == 0  # the /8 covers the whole /24: nothing usable, fail closed


# --------------------------------------------------------------------------- Fargate subnets: public or private


def _fargate_plan(*subnet_ids: str) -> Plan:
    from podcap.model.plan import FargateProfile

    plan = Plan(source="test", kind="spec")
    for sid in subnet_ids:
        plan.subnets[sid] = _existing(sid)
    plan.fargate_profiles.append(FargateProfile(name="fp", subnets=list(subnet_ids), pods=10))
    return plan


def test_fargate_subnets_public_by_their_route_table_or_the_main_one(seeded):
    # A gets a table routing 0.0.0.0/0 to an internet gateway (public: PC504); B has no association, so
    # the VPC's main table (local route only) decides: private
    ec2 = seeded.ec2
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=seeded.vpc)
    rt = ec2.create_route_table(VpcId=seeded.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=seeded.a)
    plan = _fargate_plan(seeded.a, seeded.b)
    notes = enrich_plan(plan, region=REGION)
    assert plan.subnets[seeded.a].internet_route == f"route table {rt} routes 0.0.0.0/0 to internet gateway {igw}"
    assert plan.subnets[seeded.b].internet_route is None
    assert any(n.startswith(f"subnet {seeded.b}: no route to an internet gateway") for n in notes)
    assert "DescribeRouteTables" in seeded.calls
    from podcap.check import CheckOptions, check_plan

    result = check_plan(plan, CheckOptions(paths=[]))
    assert [(f.rule_id, f.data["subnet"]) for f in result.findings if f.rule_id == "PC504"] == [("PC504", seeded.a)]


def test_a_public_main_route_table_makes_unassociated_subnets_public(seeded):
    ec2 = seeded.ec2
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=seeded.vpc)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [seeded.vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    plan = _fargate_plan(seeded.b)
    enrich_plan(plan, region=REGION)
    assert plan.subnets[seeded.b].internet_route.endswith("(the VPC's main route table)")


def test_no_fargate_profile_no_route_table_call(seeded):
    plan = Plan(source="test", kind="spec")
    plan.subnets[seeded.a] = _existing(seeded.a)
    enrich_plan(plan, region=REGION)
    assert "DescribeRouteTables" not in seeded.calls


def test_a_failed_route_table_read_is_pc001_not_a_pass(seeded):
    seeded.stubs["DescribeRouteTables"] = lambda: _error(403, "UnauthorizedOperation", "not allowed")
    plan = _fargate_plan(seeded.a)
    enrich_plan(plan, region=REGION)
    assert plan.subnets[seeded.a].internet_route is None
    assert any(who == "fp" and "route to an internet gateway could not be read from AWS" in u.reason
               for who, u in plan.unresolved)
