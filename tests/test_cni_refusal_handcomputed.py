"""aws-node settings ipamd refuses at start, checked by hand against aws/amazon-vpc-cni-k8s and run through
`podcap check --format json` and `podcap node --format json`.

* ``pkg/ipamd/ipamd.go`` isConfigValid, called by New() before ipamd serves anything: false (and aws-node
  exits) when ENABLE_IPv4 and ENABLE_IPv6 are both true ("VPC CNI currently does not support dual stack
  mode") or both false, and when IPv6 is on with custom networking or without prefix delegation.
* isIPv4Enabled / isIPv6Enabled read the env with a code default of false; config/master/aws-k8s-cni.yaml
  (what the add-on runs) sets ENABLE_IPv4 "true" and ENABLE_IPv6 "false". On an IPv6 cluster the add-on
  runs IPv6 with prefix delegation and IPv4 off (EKS user guide, cni-ipv6).

A refused aws-node leaves the node NotReady: none of its pods gets an address, which PC104 reports as an
error for every node group aws-node serves (Windows nodes and EKS Auto Mode nodes run no aws-node).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli


SPEC = """version: 1
name: r
vpc: {{cidr: 10.0.0.0/16}}
subnets:
  - {{name: a, az: us-east-1a, cidr: 10.0.0.0/22}}
cluster:
  ip_family: {family}
  cni:
    env: {env}
nodegroups:
  - {{name: linux, instance_types: [m5.large], subnets: [a], min: 1, max: 2, pods_per_node: 20}}
{windows}"""
WINDOWS = "  - {name: win, instance_types: [m5.large], subnets: [a], min: 1, max: 2, os: windows, pods_per_node: 5}\n"


def check(tmp_path: Path, family: str, env: dict[str, str], windows: bool = True) -> tuple[int, dict]:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(family=family, env=json.dumps(env), windows=WINDOWS if windows else ""))
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    return run.code, json.loads(run.out)


def refusals(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == "PC104" and "refused" in f["data"]]


@pytest.mark.parametrize("family,env,why", [
    # IPv4 cluster: the add-on's ENABLE_IPv4 "true" stays, so ENABLE_IPv6 "true" asks for dual stack
    ("ipv4", {"ENABLE_IPv6": "true", "ENABLE_PREFIX_DELEGATION": "true"}, "dual stack"),
    # IPv4 switched off with IPv6 left at the add-on's "false"
    ("ipv4", {"ENABLE_IPv4": "false"}, "both false"),
    # IPv6 cluster: prefix delegation switched off explicitly, or custom networking on
    ("ipv6", {"ENABLE_PREFIX_DELEGATION": "false"}, "prefix-delegation mode"),
    ("ipv6", {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}, "custom networking"),
    # IPv6 cluster with ENABLE_IPv4 set back to true: dual stack again
    ("ipv6", {"ENABLE_IPv4": "true"}, "dual stack"),
])
def test_refused_settings_are_an_error_for_aws_node_groups(tmp_path, family, env, why):
    code, r = check(tmp_path, family, env, windows=family == "ipv4")
    assert code == 1
    (f,) = refusals(r)  # the Linux group only: Windows nodes run the resource controller, not aws-node
    assert f["resource"] == "linux" and f["severity"] == "error"
    assert why in f["data"]["refused"]
    assert f["data"]["starved_pods"] == 20  # every pod of the node: pods_per_node 20


@pytest.mark.parametrize("family,env", [
    ("ipv4", {}),  # the add-on's defaults: IPv4 on, IPv6 off
    ("ipv6", {}),  # the add-on on an IPv6 cluster: IPv6 + prefix delegation, IPv4 off
    ("ipv6", {"ENABLE_IPv6": "true"}),  # said again: prefix delegation still the IPv6 cluster's
    ("ipv6", {"ENABLE_IPv6": "true", "ENABLE_IPv4": "false", "ENABLE_PREFIX_DELEGATION": "true"}),
    ("ipv4", {"ENABLE_IPv6": "false", "ENABLE_IPv4": "true"}),
])
def test_valid_settings_are_not_refused(tmp_path, family, env):
    code, r = check(tmp_path, family, env, windows=family == "ipv4")
    assert refusals(r) == []
    assert code == 0, [f["rule_id"] for f in r["findings"]]


def test_ipv6_cluster_settings_keep_their_figures(tmp_path):
    # IPv6, managed m5.large: EKS's max pods 110 (the prefix-delegation figure 434 capped at 110), and the
    # node takes one IPv4 address (its primary ENI's): the add-on's IPv6 values, laid under the cluster's
    # empty env, run as before
    _, r = check(tmp_path, "ipv6", {}, windows=False)
    (linux,) = [g for g in r["nodegroups"] if g["name"] == "linux"]
    assert linux["max_pods"] == 110 and linux["addresses_per_node"] == 1


def node(*args: str) -> tuple[int, dict]:
    run = cli(["node", "m5.large", "--pods", "10", *args, "--format", "json"]).assert_promise()
    return run.code, json.loads(run.out)


def test_node_command_reports_refusal():
    # --env is laid over the add-on's env (ENABLE_IPv4 "true"): ENABLE_IPv6 alone is dual stack
    code, d = node("--env", "ENABLE_IPv6=true", "--env", "ENABLE_PREFIX_DELEGATION=true")
    assert code == 1 and "dual stack" in d["refused"] and d["starved_pods"] == 10
    code, d = node("--env", "ENABLE_IPv6=true", "--env", "ENABLE_IPv4=false")
    assert code == 1 and "prefix-delegation mode" in d["refused"]
    code, d = node("--ipv6", "--custom-networking")
    assert code == 1 and "custom networking" in d["refused"]
    # --ipv6 is the IPv6 cluster's settings: IPv6 + prefix delegation, IPv4 off; one /80 on the primary ENI
    code, d = node("--ipv6")
    assert code == 0 and "refused" not in d
    assert (d["enis"], d["ipv6_prefixes"], d["subnet_addresses"]) == (1, 1, 1)


def test_maxpods_command_reports_refusal():
    # isConfigValid: enableIPv6 && useCustomNetworking fails, whatever the type: no capacity figure to give
    # (it printed 2^48 + 2 and a recommended 110 before, with custom networking dropped without a word)
    run = cli(["maxpods", "m5.large", "t3.medium", "--ipv6", "--custom-networking", "--format", "json"]).assert_promise()
    d = json.loads(run.out)
    assert run.code == 1 and "custom networking" in d["refused"] and d["instance_types"] == ["m5.large", "t3.medium"]
    run = cli(["maxpods", "m5.large", "--ipv6", "--custom-networking"]).assert_promise()
    assert run.code == 1 and "aws-node does not start" in run.err and run.out == ""
    # IPv6 alone is valid: prefix delegation is on, capacity per /80 prefix, recommended 110 (2 vCPUs)
    run = cli(["maxpods", "m5.large", "--ipv6", "--format", "json"]).assert_promise()
    (row,) = json.loads(run.out)
    assert run.code == 0 and row["max_pods"] == 110


def test_windows_nodes_on_an_ipv6_cluster(tmp_path):
    # EKS user guide, cni-ipv6: "No Windows support: Windows Pods and services aren't supported"
    code, r = check(tmp_path, "ipv6", {})
    assert code == 1
    (f,) = refusals(r)
    assert f["resource"] == "win" and "Windows" in f["data"]["refused"] and f["data"]["starved_pods"] == 5


def test_warm_prefix_target_zero_is_warned(tmp_path):
    # docs/prefix-and-ip-target.md: "Setting either WARM_PREFIX_TARGET or both WARM_IP_TARGET and
    # MINIMUM_IP_TARGET to zero is not supported with prefix delegation enabled". ipamd then grows a prefix when
    # the last one fills (available 0) and frees it again when it is idle: 16 pods hold 2 prefixes at the peak.
    _, r = check(tmp_path, "ipv4", {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "0"},
                    windows=False)
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC003"]
    assert f["severity"] == "warning" and "WARM_PREFIX_TARGET=0" in f["message"]
    # with WARM_IP_TARGET set the prefix target is not used: no warning
    _, r = check(tmp_path, "ipv4", {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "0",
                                    "WARM_IP_TARGET": "5"}, windows=False)
    assert not [f for f in r["findings"] if f["rule_id"] == "PC003"]
    run = cli(["node", "m5.large", "--pods", "16", "--prefix-delegation", "--warm-prefix-target", "0",
               "--kubelet-max-pods", "110", "--format", "json"]).assert_promise()
    d = json.loads(run.out)
    assert d["prefixes"] == 2 and any("WARM_PREFIX_TARGET=0" in w for w in d["warnings"])
