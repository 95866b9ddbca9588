"""Which subnets eksctl gives a node group that names them, and what it refuses (eksctl-io/eksctl
pkg/vpc/vpc.go SelectNodeGroupSubnets / selectNodeGroupSubnetsFromIDs, pkg/apis/eksctl.io/v1alpha5
validation.go validateNodeGroupBase / ValidateNodeGroup):

* a group without privateNetworking that names a subnet of ``vpc.subnets.private``: refused ("subnet %s is
  specified as private in ClusterConfig, thus must only be used when privateNetworking is enabled");
* a privateNetworking group naming a public subnet: only a warning, and the nodes go there;
* ``subnets`` with ``availabilityZones``, or ``localZones`` with ``availabilityZones``: refused;
* ``efaEnabled`` with more than one subnet or zone: refused; with one zone holding two subnets, eksctl keeps
  ``subnetIDs[:1]``, the first of a Go map's iteration, so which subnet is not in the file: PC001.

Hand-computed figures: m5.large, 3 ENIs x 10 IPv4 addresses, managed group max pods 29 (EKS writes 3 x 9 + 2);
27 address-taking pods at max fill 27 of the 3 x 9 secondary slots, all 3 ENIs attached, so 30 addresses
per node. The control plane puts up to 4 ENIs over the cluster's 4 subnets: ceil(4 / 4) = 1 address each.
pub-a, a /26: 64 - 5 = 59 usable; at max 4 nodes x 30 + 1 = 121 > 59: PC201.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

VPC = """apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {{name: named, region: eu-west-1}}
vpc:
  id: vpc-0abc
  cidr: 10.0.0.0/16
  subnets:
    private:
      priv-a: {{id: subnet-0a0a, az: eu-west-1a, cidr: 10.0.0.0/24}}
      priv-a2: {{id: subnet-0a0b, az: eu-west-1a, cidr: 10.0.2.0/24}}
      priv-b: {{id: subnet-0b0b, az: eu-west-1b, cidr: 10.0.1.0/24}}
    public:
      pub-a: {{id: subnet-0c0c, az: eu-west-1a, cidr: 10.0.100.0/26}}
managedNodeGroups:
  - name: web
    instanceType: {itype}
    minSize: 2
    maxSize: 4
{extra}"""


def run(tmp_path, extra: str, itype: str = "m5.large"):
    path = tmp_path / "cluster.yaml"
    path.write_text(VPC.format(extra=extra, itype=itype))
    return cli(["check", str(path), "--format", "json"]).assert_promise()


def test_public_group_naming_a_private_subnet_is_refused(tmp_path):
    for name in ("priv-a", "subnet-0a0a"):  # by its name in the config, or by its ID
        got = run(tmp_path, f"    subnets: [{name}]\n")
        assert got.code == 2
        assert f"subnet {name} is specified as private in ClusterConfig" in got.err
        assert "privateNetworking" in got.err


def test_private_group_naming_a_public_subnet_goes_there(tmp_path):
    got = run(tmp_path, "    privateNetworking: true\n    subnets: [pub-a]\n")
    assert got.code == 1, got.err
    report = json.loads(got.out)
    at_max = {s["subnet"]: s["at_max"] for s in report["subnets"]}
    assert at_max["vpc.subnets.public.pub-a"] == 4 * 30 + 1
    assert at_max["vpc.subnets.private.priv-a"] == 1
    assert any("public subnet pub-a is used with privateNetworking enabled" in n for n in report["notes"])
    assert [(f["rule_id"], f["resource"]) for f in report["findings"] if f["severity"] == "error"] == \
        [("PC201", "vpc.subnets.public.pub-a")]


def test_public_group_naming_its_own_public_subnet(tmp_path):
    got = run(tmp_path, "    subnets: [pub-a]\n")
    assert got.code == 1, got.err
    at_max = {s["subnet"]: s["at_max"] for s in json.loads(got.out)["subnets"]}
    assert at_max["vpc.subnets.public.pub-a"] == 121


def test_subnets_with_zones_are_refused(tmp_path):
    got = run(tmp_path, "    privateNetworking: true\n    subnets: [priv-a]\n    availabilityZones: [eu-west-1a]\n")
    assert got.code == 2
    assert "only one of subnets or availabilityZones should be set" in got.err


def test_efa_with_two_subnets_is_refused(tmp_path):
    got = run(tmp_path, "    privateNetworking: true\n    efaEnabled: true\n    subnets: [priv-a, priv-b]\n",
              itype="c5n.18xlarge")
    assert got.code == 2
    assert "efaEnabled node groups must have only one subnet or one availability zone" in got.err


def test_efa_in_a_zone_of_two_subnets_is_unknown(tmp_path):
    got = run(tmp_path, "    privateNetworking: true\n    efaEnabled: true\n    availabilityZones: [eu-west-1a]\n",
              itype="c5n.18xlarge")
    assert got.code in (0, 1), got.err
    report = json.loads(got.out)
    pc001 = [f for f in report["findings"] if f["rule_id"] == "PC001" and f["resource"] == "managedNodeGroups.web"]
    assert len(pc001) == 1 and "picks arbitrarily among the 2 of this zone" in pc001[0]["message"]


def test_efa_in_a_named_subnet(tmp_path):
    """c5n.18xlarge, 15 ENIs x 50 addresses; EKS writes max pods 250 for a managed group (72 vCPUs > 30);
    248 address-taking pods. ipamd stops growing the pool once it holds max pods' addresses: 6 ENIs x 49
    secondary = 294 >= 250, so 6 x 50 = 300 per node; at max 4 x 300 + 1 = 1201 in priv-a2 (251 usable)."""
    got = run(tmp_path, "    privateNetworking: true\n    efaEnabled: true\n    subnets: [priv-a2]\n",
              itype="c5n.18xlarge")
    assert got.code == 1, got.err
    at_max = {s["subnet"]: s["at_max"] for s in json.loads(got.out)["subnets"]}
    assert at_max["vpc.subnets.private.priv-a2"] == 4 * 300 + 1
    assert at_max["vpc.subnets.private.priv-a"] == 1
