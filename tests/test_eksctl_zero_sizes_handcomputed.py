"""eksctl sizes of 0: a managed group's max of 0 becomes 1 (v1alpha5 ValidateManagedNodeGroup, DefaultMaxSize),
a self-managed group's Auto Scaling group takes max = desiredCapacity, else minSize, as it is
(pkg/cfn/builder/nodegroup.go AddAllResources). An ASG with MaxSize 0 is valid; EKS CreateNodegroup needs
maxSize >= 1, which is why eksctl raises only the managed one.

Hand-computed (2 AZs, eksctl's own VPC 192.168.0.0/16 carved into /19s; m5.large 3 ENIs x 10 IPv4):
* self-managed ``minSize: 0``: 0 / 0 / 0 nodes; each private subnet holds only the control plane's share:
  up to 4 ENIs over the cluster's 4 subnets (2 public, 2 private), ceil(4 / 4) = 1 address: at max 1; no
  finding.
* managed ``minSize: 0``: 0 / 0 / 1; at max ceil(1 / 2) = 1 node x 30 + 1 = 31 in the busier private subnet.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

CONFIG = """apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {{name: zero, region: eu-west-1}}
availabilityZones: [eu-west-1a, eu-west-1b]
{section}:
  - name: batch
    instanceType: m5.large
    {size}
    privateNetworking: true
"""


def run(tmp_path, section: str, size: str) -> dict:
    path = tmp_path / "cluster.yaml"
    path.write_text(CONFIG.format(section=section, size=size))
    got = cli(["check", str(path), "--format", "json"]).assert_promise()
    assert got.code in (0, 1), got.err
    return json.loads(got.out)


def test_self_managed_min_zero_keeps_max_zero(tmp_path):
    for size in ("minSize: 0", "desiredCapacity: 0"):
        report = run(tmp_path, "nodeGroups", size)
        (ng,) = report["nodegroups"]
        assert (ng["min_size"], ng["desired_size"], ng["max_size"]) == (0, 0, 0)
        private = [s for s in report["subnets"] if ".private." in s["subnet"]]
        assert [s["at_max"] for s in private] == [1, 1]
        assert report["findings"] == []


def test_managed_min_zero_max_becomes_one(tmp_path):
    report = run(tmp_path, "managedNodeGroups", "minSize: 0")
    (ng,) = report["nodegroups"]
    assert (ng["min_size"], ng["desired_size"], ng["max_size"]) == (0, 0, 1)
    private = sorted(s["at_max"] for s in report["subnets"] if ".private." in s["subnet"])
    assert private[-1] == 31
