"""Max pods a node group's own kubelet settings give in an eksctl ClusterConfig, by hand from
eksctl-io/eksctl pkg/nodebootstrap:

* self-managed AL2 / Ubuntu (userdata.go, assets/scripts/bootstrap.al2.sh): ``kubeletExtraConfig`` is written
  to kubelet-extra.json and merged over kubelet-config.json with ``jq -s '.[0] * .[1]'``; maxPodsPerNode
  becomes ``--max-pods`` (bootstrap.helper.sh), a flag, which beats the file. overrideBootstrapCommand
  replaces that script, so neither applies.
* self-managed AL2023 (al2023.go): kubeletExtraConfig is the first NodeConfig's kubelet config, the
  maxPodsPerNode NodeConfig comes after it (nodeadm merges later documents over earlier ones).
* Bottlerocket (bottlerocket.go, managed_bottlerocket.go): ``bottlerocket.settings`` is the TOML user data;
  setDerivedSettings writes maxPodsPerNode over ``settings.kubernetes.max-pods``.

m5.xlarge: 4 ENIs x 15 IPv4. With prefix delegation and max pods 110: 7 prefixes hold 112 >= 110 addresses,
where ipamd stops (TotalIPs >= maxPods): 112 + 1 primary = 113 a node. With max pods 40: 3 prefixes (48 >= 40),
49 a node. The AMI default is 4 x 14 + 2 = 58.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

HEAD = """apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: dense, region: us-west-2, version: "1.31"}
vpc: {cidr: 10.0.0.0/21}
addons:
  - name: vpc-cni
    configurationValues: '{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}'
"""


def group(tmp_path, body: str) -> tuple[dict, dict]:
    path = tmp_path / "cluster.yaml"
    path.write_text(HEAD + body)
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    r = json.loads(run.out)
    (g,) = r["nodegroups"]
    return g, r


def test_kubelet_extra_config_max_pods_on_self_managed(tmp_path):
    g, r = group(tmp_path, """nodeGroups:
  - {name: self-pd, instanceType: m5.xlarge, minSize: 3, maxSize: 9, privateNetworking: true,
     kubeletExtraConfig: {maxPods: 110}}
""")
    assert (g["max_pods"], g["addresses_per_node"]) == (110, 113)
    # 9 nodes over the 3 private /24s eksctl cuts from the /21 (251 usable each): 3 x 113 = 339 > 251
    assert any(f["rule_id"] == "PC201" and f["severity"] == "error" for f in r["findings"])


def test_max_pods_per_node_beats_kubelet_extra_config(tmp_path):
    g, _ = group(tmp_path, """nodeGroups:
  - {name: self-pd, instanceType: m5.xlarge, minSize: 3, maxSize: 9, privateNetworking: true,
     maxPodsPerNode: 40, kubeletExtraConfig: {maxPods: 110}}
""")
    assert (g["max_pods"], g["addresses_per_node"]) == (40, 49)


def test_override_bootstrap_on_al2_drops_kubelet_extra_config(tmp_path):
    g, r = group(tmp_path, """nodeGroups:
  - name: self-pd
    amiFamily: AmazonLinux2
    ami: ami-0123456789abcdef0
    instanceType: m5.xlarge
    minSize: 1
    maxSize: 3
    privateNetworking: true
    kubeletExtraConfig: {maxPods: 110}
    overrideBootstrapCommand: |
      #!/bin/bash
      /etc/eks/bootstrap.sh dense
""")
    assert g["max_pods"] == 58  # bootstrap.sh's own default: 4 x 14 + 2
    assert any("kubeletExtraConfig are not applied" in n for n in r["notes"])


def test_bottlerocket_settings_max_pods(tmp_path):
    # managed: EKS merges the launch template's TOML; 40 is below the 110 cap, so it stands
    g, _ = group(tmp_path, """managedNodeGroups:
  - {name: br, amiFamily: Bottlerocket, instanceType: m5.xlarge, minSize: 3, maxSize: 9, privateNetworking: true,
     bottlerocket: {settings: {kubernetes: {max-pods: 40}}}}
""")
    assert (g["max_pods"], g["addresses_per_node"]) == (40, 49)
    # maxPodsPerNode is written over settings.kubernetes.max-pods
    g, _ = group(tmp_path, """nodeGroups:
  - {name: br, amiFamily: Bottlerocket, instanceType: m5.xlarge, minSize: 3, maxSize: 9, privateNetworking: true,
     maxPodsPerNode: 20, bottlerocket: {settings: {kubernetes: {max-pods: 40}}}}
""")
    assert g["max_pods"] == 20


def test_a_max_pods_kubelet_refuses_is_pc001(tmp_path):
    _, r = group(tmp_path, """nodeGroups:
  - {name: self-pd, instanceType: m5.xlarge, minSize: 1, maxSize: 3, privateNetworking: true,
     kubeletExtraConfig: {maxPods: "110"}}
""")
    assert any(f["rule_id"] == "PC001" and "kubeletExtraConfig.maxPods" in f["message"] for f in r["findings"])
