"""Hostile input: every defect of the robustness campaign kept as a regression test.

The promise (see tests/_cli_harness.py): exit 0/1/2, bad input -> exit 2 with one clear line, never
"internal error", bounded time and memory, and nothing the tool cannot judge passes silently.
Items another part of the code base owns (CloudFormation, Terraform, limits snapshot) are kept here too,
each marked by a comment naming that part.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    from _cli_harness import cli, subprocess_cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli, subprocess_cli

ROLE = "arn:aws:iam::123456789012:role/eks"
DATA = Path(__file__).parent / "data"


def cfn(resources: dict, **top) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", **top, "Resources": resources}


def small_template(**over) -> dict:
    """One /24 subnet, a cluster, a vpc-cni add-on and a node group of m5.large (1..2 nodes)."""
    res = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubA": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"}},
        "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "c", "RoleArn": ROLE, "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubA"}]}}},
        "VpcCni": {"Type": "AWS::EKS::Addon", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "AddonName": "vpc-cni",
            "ConfigurationValues": json.dumps({"env": {"WARM_ENI_TARGET": "1"}})}},
        "Nodes": {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": ROLE, "Subnets": [{"Ref": "SubA"}],
            "InstanceTypes": ["m5.large"], "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 2}}},
    }
    for k, v in over.items():
        res[k] = v
    return cfn(res)


def write(tmp_path: Path, name: str, content: str | bytes | dict) -> str:
    p = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8")
    else:
        p.write_bytes(content)
    return str(p)


SPEC = """version: 1
name: t
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/24}
cluster:
  subnets: [a]
  cni:
    env: {WARM_ENI_TARGET: "1"}
nodegroups:
  - {name: g, instance_types: [m5.large], subnets: [a], min: 1, desired: 1, max: 2}
"""


# --------------------------------------------------------------------------- 1. control characters

CONTROL = ["\x00", "\x1b", "\x07", "\x0c", "\x7f", "\x85\x9b", "\ufffe"]


@pytest.mark.parametrize("ch", CONTROL, ids=[f"U+{ord(c[-1]):04X}" for c in CONTROL])
def test_control_character_in_a_yaml_template_is_one_line(tmp_path, ch):
    text = (DATA / "cfn" / "small-cluster.yaml").read_text().replace("Default: prod", f"Default: pr{ch}od", 1)
    r = cli(["check", write(tmp_path, "t.yaml", text)])
    if ch == "\x85\x9b":  # U+0085 (NEL) is allowed by YAML, U+009B is not
        r.assert_one_line_error("U+009B")
    else:
        r.assert_one_line_error("control character" if ch != "\x0c" else "t.yaml")


@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\x7f"])
def test_control_character_in_a_spec_and_a_config(tmp_path, ch):
    cli(["check", write(tmp_path, "s.yaml", SPEC.replace("name: t", f"name: t{ch}"))]) \
        .assert_one_line_error("s.yaml:2:", "control character")
    spec = write(tmp_path, "ok.yaml", SPEC)
    conf = write(tmp_path, "c.yaml", f"strict: true\n# {ch}\n")
    cli(["check", spec, "--config", conf]).assert_one_line_error("c.yaml:2:")


def test_control_character_in_configuration_values_is_pc001_not_a_crash(tmp_path):
    tpl = small_template()
    tpl["Resources"]["VpcCni"]["Properties"]["ConfigurationValues"] = "env:\n  WARM_ENI_TARGET: \"1\x00\"\n"
    r = cli(["check", write(tmp_path, "t.json", tpl), "--format", "json"]).assert_promise()
    doc = json.loads(r.out)
    assert any(f["rule_id"] == "PC001" and "ConfigurationValues" in f["message"] for f in doc["findings"])


# --------------------------------------------------------------------------- 1. paths that cannot be read


@pytest.mark.parametrize("path, needle", [
    ("/dev/zero", "a device, not a regular file"),
    ("-", "standard input is not supported"),
    ("/proc/self/mem", "cannot read"),
])
def test_special_paths_are_one_line(path, needle):
    if not os.path.exists(path) and path != "-":
        pytest.skip(f"{path} not on this system")
    cli(["check", path]).assert_one_line_error(needle, max_seconds=3)


def test_fifo_and_symlink_loop(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cli(["check", str(fifo)]).assert_one_line_error("FIFO", max_seconds=3)  # never blocks on open
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    cli(["check", str(tmp_path / "a")]).assert_one_line_error("symlink loop")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path):
    p = Path(write(tmp_path, "t.yaml", SPEC))
    p.chmod(0)
    try:
        cli(["check", str(p)]).assert_one_line_error("permission denied")
    finally:
        p.chmod(stat.S_IRUSR | stat.S_IWUSR)


# --------------------------------------------------------------------------- 1. integers over 4300 digits

HUGE = "9" * 5000


def test_huge_env_value_in_a_spec_is_a_warning_and_ipamds_default(tmp_path):
    r = cli(["check", write(tmp_path, "s.yaml", SPEC.replace('WARM_ENI_TARGET: "1"', f'WARM_IP_TARGET: "{HUGE}"')),
             "--format", "json"]).assert_promise()
    assert r.code in (0, 1) and len(r.err) < 2000


def test_huge_unquoted_int_in_yaml_is_one_line(tmp_path):
    cli(["check", write(tmp_path, "s.yaml", SPEC.replace("max: 2", f"max: {HUGE}"))]) \
        .assert_one_line_error("s.yaml:")


def test_huge_int_in_json_is_one_line_in_our_words(tmp_path):
    text = json.dumps(small_template()).replace('"MaxSize": 2', f'"MaxSize": {HUGE}')
    r = cli(["check", write(tmp_path, "t.json", text)]).assert_one_line_error("4300 digits")
    assert "set_int_max_str_digits" not in r.err


def test_huge_env_flag_on_node(tmp_path):
    r = cli(["node", "m5.large", "--pods", "1", "--env", f"WARM_IP_TARGET={HUGE}"]).assert_promise()
    assert r.code == 0 and len(r.err) < 600


def test_cloudformation_size_as_a_huge_string(tmp_path):
    tpl = small_template()
    tpl["Resources"]["Nodes"]["Properties"]["ScalingConfig"]["MaxSize"] = HUGE
    r = cli(["check", write(tmp_path, "t.json", tpl), "--format", "json"]).assert_promise()
    assert r.code != 0 or "PC001" in r.out


def test_max_pods_in_user_data_huge(tmp_path):
    ud = f"#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods={HUGE}'\n"
    tpl = small_template(LT={"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
        "UserData": {"Fn::Base64": ud}}}})
    tpl["Resources"]["Nodes"]["Properties"]["LaunchTemplate"] = {"Id": {"Ref": "LT"}}
    cli(["check", write(tmp_path, "t.json", tpl)]).assert_promise()


# --------------------------------------------------------------------------- 1. output errors


def test_stdout_on_dev_full_is_one_line_exit_2(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    spec = write(tmp_path, "s.yaml", SPEC)
    with open("/dev/full", "wb") as full:
        r = subprocess_cli(["check", spec, "--format", "json"], stdout=full)
    r.assert_one_line_error("No space left")
    r = None
    with open("/dev/full", "wb") as full:
        r = subprocess_cli(["rules"], stdout=full)
    r.assert_one_line_error("cannot write")


def test_output_into_a_missing_folder(tmp_path):
    cli(["rules", "-o", str(tmp_path / "missing" / "rules.md")]).assert_one_line_error("cannot write")
    cli(["check", write(tmp_path, "s.yaml", SPEC), "-o", str(tmp_path / "missing" / "r.json")]) \
        .assert_one_line_error("cannot write")


def test_output_naming_an_input_is_refused(tmp_path):
    spec = write(tmp_path, "s.yaml", SPEC)
    before = Path(spec).read_bytes()
    cli(["check", spec, "-o", spec]).assert_one_line_error("names an input")
    assert Path(spec).read_bytes() == before
    conf = write(tmp_path, "c.yaml", "strict: false\n")
    cli(["check", spec, "--config", conf, "-o", conf]).assert_one_line_error("names an input")


# --------------------------------------------------------------------------- 1. snapshots of the wrong shape


# regression test of another part: --snapshot file shapes are the limits module's part
@pytest.mark.parametrize("content", ["{}", "[]", None])
def test_snapshot_of_the_wrong_shape(tmp_path, content):
    snap = "/dev/zero" if content is None else write(tmp_path, "snap.json", content)
    cli(["--snapshot", snap, "maxpods", "m5.large"]).assert_one_line_error(max_seconds=5)


# --------------------------------------------------------------------------- 1. messages


def test_newline_in_a_raw_value_never_splits_the_line(tmp_path):
    cli(["check", str(tmp_path / "no\nsuch.yaml")]).assert_one_line_error("no such file")
    cli(["maxpods", "m5.\nlarge"]).assert_one_line_error("unknown instance type")


def test_long_names_are_capped(tmp_path):
    r = cli(["maxpods", "x" * 100_000]).assert_one_line_error()
    assert len(r.err) < 1200


def test_a_config_with_200_problems_prints_a_capped_list(tmp_path):
    spec = write(tmp_path, "s.yaml", SPEC)
    items = "".join(f"  - {{id: BAD{i}, resource: r, reason: x}}\n" for i in range(200))
    conf = write(tmp_path, "c.yaml", "suppressions:\n" + items)
    r = cli(["check", spec, "--config", conf])
    r.assert_promise()
    assert r.code == 2
    assert len(r.err_lines) <= 25 and "more problems" in r.err


# --------------------------------------------------------------------------- 2. bounded time and memory


def test_a_1_gb_file_is_refused_at_once(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(1024**3)  # sparse: costs no disk
    r = subprocess_cli(["check", str(big)], mem_mb=700, timeout=30)
    r.assert_one_line_error("input limit", max_seconds=10)


def test_the_size_limit_is_overridable(tmp_path):
    spec = write(tmp_path, "s.yaml", SPEC + "#" * 300_000 + "\n")
    cli(["check", spec], env={"PODCAP_MAX_INPUT_MB": "0.1"}).assert_one_line_error("input limit")
    cli(["--max-input-mb", "0.1", "check", spec]).assert_one_line_error("--max-input-mb")
    assert cli(["--max-input-mb", "5", "check", spec]).assert_promise().code in (0, 1)
    cli(["check", spec], env={"PODCAP_MAX_INPUT_MB": "lots"}).assert_one_line_error("PODCAP_MAX_INPUT_MB")


def test_detection_reads_a_bounded_head(tmp_path):
    """A 30 MB file that is nothing podcap knows: told at once from its head, in bounded memory."""
    p = tmp_path / "junk.txt"
    p.write_bytes(b"hello: world\n" * (30 * 1024 * 1024 // 13))
    r = subprocess_cli(["check", str(p)], mem_mb=400, timeout=30)
    r.assert_one_line_error("cannot tell what this is", max_seconds=10)


def test_a_subnet_0_0_0_0_0_with_a_reservation_is_pc503_in_bounded_time(tmp_path):
    tpl = small_template(Res={"Type": "AWS::EC2::SubnetCidrReservation", "Properties": {
        "SubnetId": {"Ref": "SubA"}, "Cidr": "10.0.0.0/9", "ReservationType": "prefix"}})
    tpl["Resources"]["Vpc"]["Properties"]["CidrBlock"] = "0.0.0.0/0"
    tpl["Resources"]["SubA"]["Properties"]["CidrBlock"] = "0.0.0.0/0"
    path = write(tmp_path, "t.json", tpl)
    r = subprocess_cli(["check", path, "--format", "json"], mem_mb=700, timeout=60)
    r.assert_promise(max_seconds=20)
    assert r.code in (1, 2)
    if r.code == 1:
        assert any(f["rule_id"] == "PC503" for f in json.loads(r.out)["findings"])


def test_block_arithmetic_on_a_big_subnet_is_intervals():
    from podcap.engine.blocks import fragmentation_report

    t0 = time.monotonic()
    # a /16 with one address in use in every other /28: 4096 /28s, half touched
    used = [f"10.0.{i // 16}.{(i % 16) * 16 + 5}" for i in range(0, 4096, 2)]
    r = fragmentation_report("10.0.0.0/16", used, [("10.0.128.0/17", "explicit")])
    # the explicit /17 takes blocks 2048..4095; below it, blocks 0, 2, ..., 2046 (1024) hold a used address
    # and block 0 also AWS's head: touched = 1024 + 2048 (explicit) = 3072
    assert r.touched_blocks == 1024 + 2048
    assert time.monotonic() - t0 < 2


def test_alias_bomb_in_configuration_values():
    from podcap.sources.live import parse_configuration_values

    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="alias"):
        parse_configuration_values(bomb)
    assert time.monotonic() - t0 < 2


# regression test of another part: Fn::If trees: the CloudFormation source's part
def test_exponential_fn_if_tree_is_bounded(tmp_path):
    node: object = "m5.large"
    for i in range(17):  # 2^17 leaves: about 1.5 MB of JSON, the size that took 10.8 s
        node = {"Fn::If": [f"C{i % 2}", node, node]}
    tpl = small_template()
    tpl["Conditions"] = {"C0": {"Fn::Equals": ["a", "a"]}, "C1": {"Fn::Equals": ["a", "b"]}}
    tpl["Resources"]["Nodes"]["Properties"]["InstanceTypes"] = [node]
    r = subprocess_cli(["check", write(tmp_path, "t.json", tpl)], mem_mb=1000, timeout=60)
    r.assert_promise(max_seconds=10)


# regression test of another part: line numbers of JSON templates: the CloudFormation source's part
def test_a_1_mb_json_template_with_many_scalars_is_fast(tmp_path):
    tpl = small_template()
    tpl["Metadata"] = {"Big": list(range(120_000))}
    path = write(tmp_path, "t.json", tpl)
    assert os.path.getsize(path) < 1.2e6
    r = subprocess_cli(["check", path], mem_mb=1000, timeout=60)
    r.assert_promise(max_seconds=3)


# --------------------------------------------------------------------------- 3. nothing passes silently


def test_json_duplicate_keys_are_refused_like_yaml(tmp_path):
    text = json.dumps(small_template()).replace('"MinSize": 1,', '"MinSize": 1, "MinSize": 5,')
    cli(["check", write(tmp_path, "t.json", text)]).assert_one_line_error("duplicate key 'MinSize'")
    yaml_dup = SPEC.replace("name: t\n", "name: t\nname: u\n")
    cli(["check", write(tmp_path, "s.yaml", yaml_dup)]).assert_one_line_error("duplicate key 'name'")


def _foreach_template() -> dict:
    res = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Fn::ForEach::Subnets": ["X", ["A", "B"], {"Sub${X}": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Fn::FindInMap": ["Cidrs", {"Ref": "X"}, "Cidr"]},
            "AvailabilityZone": {"Fn::FindInMap": ["Cidrs", {"Ref": "X"}, "Az"]}}}}],
        "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "c", "RoleArn": ROLE, "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubA"}, {"Ref": "SubB"}]}}},
        "Fn::ForEach::Groups": ["G", ["One", "Two"], {"Nodes${G}": {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": ROLE, "Subnets": [{"Ref": "SubA"}, {"Ref": "SubB"}],
            "InstanceTypes": ["m5.large"], "ScalingConfig": {"MinSize": 100, "DesiredSize": 100, "MaxSize": 100}}}}],
    }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::LanguageExtensions",
            "Mappings": {"Cidrs": {"A": {"Cidr": "10.0.0.0/28", "Az": "us-east-1a"},
                                   "B": {"Cidr": "10.0.0.16/28", "Az": "us-east-1b"}}},
            "Resources": res}


# regression test of another part: Fn::ForEach: the CloudFormation source's part
def test_fn_foreach_is_not_a_silent_pass(tmp_path):
    """2 x 100 m5.large nodes in two /28 subnets (11 usable each): far too small, so never exit 0."""
    r = cli(["check", write(tmp_path, "t.json", _foreach_template()), "--strict"]).assert_promise()
    assert r.code != 0


# regression test of another part: Terraform errored/complete: the Terraform source's part
@pytest.mark.parametrize("flags", [{"errored": True}, {"complete": False}])
def test_an_incomplete_terraform_plan_is_said(tmp_path, flags):
    plan = {"format_version": "1.2", "terraform_version": "1.9.0", **flags,
            "planned_values": {"root_module": {"resources": []}}, "resource_changes": []}
    path = write(tmp_path, "plan.json", plan)
    r = cli(["check", path, "--format", "json"]).assert_promise()
    assert any(f["rule_id"] == "PC001" for f in json.loads(r.out)["findings"]) or r.code != 0
    assert cli(["check", path, "--strict"]).code != 0


# regression test of another part: cdk.out with no stack: the CloudFormation source's part
@pytest.mark.parametrize("artifacts", [{}, {"x": "not an object"}])
def test_cdk_out_with_no_stack_is_exit_2(tmp_path, artifacts):
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))
    cli(["check", str(out)]).assert_one_line_error()


# regression test of another part: invalid values: the CloudFormation source's part
@pytest.mark.parametrize("case", ["host-bits", "ipv6-vpc", "config-object", "literal-id", "type-case",
                                  "min-gt-max", "negative"])
def test_invalid_values_are_not_accepted_silently(tmp_path, case):
    tpl = small_template()
    r_ = tpl["Resources"]
    if case == "host-bits":
        r_["SubA"]["Properties"]["CidrBlock"] = "10.0.1.1/24"
    elif case == "ipv6-vpc":
        r_["Vpc"]["Properties"]["CidrBlock"] = "2600:1f14::/56"
    elif case == "config-object":
        r_["VpcCni"]["Properties"]["ConfigurationValues"] = {"env": {"WARM_ENI_TARGET": "1"}}
    elif case == "literal-id":
        r_["Nodes"]["Properties"]["Subnets"] = ["SubA"]
    elif case == "type-case":
        r_["Nodes"]["Properties"]["InstanceTypes"] = [" M5.Large "]
    elif case == "min-gt-max":
        r_["Nodes"]["Properties"]["ScalingConfig"] = {"MinSize": 5, "DesiredSize": 5, "MaxSize": 2}
    else:
        r_["Nodes"]["Properties"]["ScalingConfig"] = {"MinSize": -1, "DesiredSize": 1, "MaxSize": 2}
    r = cli(["check", write(tmp_path, "t.json", tpl), "--format", "json", "--strict"]).assert_promise()
    assert r.code != 0
    if r.code == 1 and case in ("min-gt-max", "negative"):
        assert "--parameter" not in r.out  # an error in the template, not an unresolved value


# regression test of another part: --parameter names: the CloudFormation source's part
def test_undeclared_parameter_names_are_said(tmp_path):
    r = cli(["check", write(tmp_path, "t.json", small_template()), "--parameter", "Nope=1"]).assert_promise()
    assert "Nope" in r.out + r.err


# --------------------------------------------------------------------------- 4. live configuration


@pytest.mark.parametrize("env, needle", [
    ({"AWS_MAX_ATTEMPTS": "lots"}, "AWS_MAX_ATTEMPTS"),
    ({"AWS_ENDPOINT_URL": "not a url"}, "AWS_ENDPOINT_URL"),
    ({"AWS_ENDPOINT_URL": "http://127.0.0.1:notaport"}, "AWS_ENDPOINT_URL"),
    ({"AWS_RETRY_MODE": "sometimes"}, "AWS_RETRY_MODE"),
    ({"PODCAP_LIVE_TIMEOUT": "soon"}, "PODCAP_LIVE_TIMEOUT"),
])
def test_live_configuration_errors_are_one_line(tmp_path, monkeypatch, env, needle):
    spec = SPEC.replace("cidr: 10.0.0.0/24}", "cidr: 10.0.0.0/24}\n  - {name: subnet-0123456789abcdef0, "
                                              "az: us-east-1b, cidr: 10.0.5.0/24}")
    tpl = small_template()
    tpl["Resources"]["Nodes"]["Properties"]["Subnets"] = ["subnet-0123456789abcdef0"]
    path = write(tmp_path, "t.json", tpl)
    for k in ("AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    del spec
    cli(["check", path, "--live"], env=env).assert_one_line_error(needle, max_seconds=10)


def test_help_starts_without_heavy_imports():
    code = ("import sys, podcap.cli as c\n"
            "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('boto3', 'botocore', 'jsonschema', 'podcap.limits.refresh', 'podcap.report.sarif')"
            " if m in sys.modules]\nprint(heavy)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False)
    assert p.stdout.strip().splitlines()[-1] == "[]", p.stdout + p.stderr


# regression test of another part: Terraform address indexes
def test_terraform_address_index_over_4300_digits(tmp_path):
    text = (DATA / "tfplan" / "root-count.json").read_text()
    text = text.replace("aws_subnet.private[0]", f"aws_subnet.private[{HUGE}]").replace('"index": 0', f'"index": {HUGE}')
    r = cli(["check", write(tmp_path, "plan.json", text), "--format", "json"])
    r.assert_promise()
    assert "set_int_max_str_digits" not in r.err


# regression test of another part: Kubernetes manifests (Karpenter EC2NodeClass, ConfigMap): a field of the
# wrong shape is a PC001 on what it would have told, never an internal error
_NODE_POOL = """apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: pool}
spec:
  limits: {cpu: "64"}
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  role: KarpenterNodeRole
"""


@pytest.mark.parametrize("node_class, needle", [
    ("  amiSelectorTerms: [{alias: al2023@latest}]\n  subnetSelectorTerms:\n    - tags: [karpenter.sh/discovery]\n",
     "a subnetSelectorTerms tags entry is not a mapping"),
    ("  amiSelectorTerms: [{alias: al2023@latest}]\n  subnetSelectorTerms:\n    - tags: discovery\n",
     "a subnetSelectorTerms tags entry is not a mapping"),
    ("  amiSelectorTerms: 1\n  subnetSelectorTerms: [{id: subnet-0123456789abcdef0}]\n",
     "the AMI family of EC2NodeClass 'default' is not known"),
    ("  amiSelectorTerms: true\n  subnetSelectorTerms: [{id: subnet-0123456789abcdef0}]\n",
     "the AMI family of EC2NodeClass 'default' is not known"),
])
def test_karpenter_fields_of_the_wrong_shape_are_pc001(tmp_path, node_class, needle):
    r = cli(["check", write(tmp_path, "pool.yaml", _NODE_POOL + node_class), "--format", "json"]).assert_promise()
    found = [f for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any(needle in f["message"] for f in found), [f["message"] for f in found]


def test_vpc_cni_configmap_with_keys_of_mixed_types(tmp_path):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: amazon-vpc-cni, namespace: kube-system}\n"
          "data:\n  enable-windows-ipam: 'true'\n  1: x\n")
    # Kubernetes keys of ConfigMap data are strings: the loader refuses the int key with its line
    cli(["check", write(tmp_path, "cm.yaml", cm)]).assert_one_line_error("cm.yaml:6:3", "reads as int 1")


# regression test of another part: Terraform plan JSON: `references` that is not a list names no reference
@pytest.mark.parametrize("refs", [1, True, "aws_subnet.pods.id", {"a": 1}])
def test_terraform_references_not_a_list(tmp_path, refs):
    plan = json.loads((DATA / "tfplan" / "existing-subnets.json").read_text())
    res = next(r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == "aws_eks_addon.vpc_cni")
    res["expressions"]["configuration_values"]["references"] = refs
    r = cli(["check", write(tmp_path, "plan.json", plan), "--format", "json"]).assert_promise()
    msgs = [f["message"] for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any("aws-node settings unreadable" in m and "configuration_values known only after apply" in m
               for m in msgs), msgs


# regression test of another part: numbers past Python's 4300-digit limit, and JSON manifests, read as every
# JSON input is (one line in podcap's words, duplicate keys refused)
def test_unrecognised_json_with_a_huge_number_is_one_line(tmp_path):
    r = cli(["check", write(tmp_path, "x.json", '{"x": ' + HUGE + "}")])
    r.assert_one_line_error("more than 4300 digits")
    assert "set_int_max_str_digits" not in r.err


def test_json_manifest_duplicate_keys_and_huge_numbers(tmp_path):
    dup = ('{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "a"}, '
           '"metadata": {"name": "b"}, "spec": {}}')
    cli(["check", write(tmp_path, "dup.json", dup)]).assert_one_line_error("duplicate key 'metadata'")
    big = '{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "a"}, "spec": {"limits": {"cpu": ' \
        + HUGE + "}}}"
    r = cli(["check", write(tmp_path, "big.json", big)])
    r.assert_one_line_error("more than 4300 digits")
    assert "set_int_max_str_digits" not in r.err


def test_cdk_manifest_with_a_huge_number_is_pc001(tmp_path):
    tpl = small_template(Manifest={"Type": "Custom::AWSCDK-EKS-KubernetesResource", "Properties": {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:kubectl", "ClusterName": {"Ref": "Cluster"},
        "Manifest": '[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"n": ' + HUGE + "}}]"}})
    r = cli(["check", write(tmp_path, "t.json", tpl), "--format", "json"]).assert_promise()
    msgs = [f["message"] for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any("is not JSON podcap can read (a number of more than 4300 digits" in m for m in msgs), msgs


def test_snapshot_with_a_huge_number_says_so_in_one_line(tmp_path):
    snap = write(tmp_path, "snap.json", '{"instance_types": {"a": ' + HUGE + "}}")
    r = cli(["--snapshot", snap, "maxpods", "m5.large"])
    r.assert_one_line_error("more than 4300 digits", max_seconds=5)
    assert "set_int_max_str_digits" not in r.err


@pytest.mark.parametrize("memory", [HUGE, "1e400", 10**400])
def test_karpenter_limit_past_a_float_is_no_bound(tmp_path, memory):
    pool = _NODE_POOL.replace('limits: {cpu: "64"}', "limits: {memory: " + json.dumps(str(memory)) + "}")
    pool += "  amiSelectorTerms: [{alias: al2023@latest}]\n  subnetSelectorTerms: [{id: subnet-0123456789abcdef0}]\n"
    r = cli(["check", write(tmp_path, "pool.yaml", pool), "--format", "json"]).assert_promise()
    msgs = [f["message"] for f in json.loads(r.out)["findings"] if f["rule_id"] == "PC001"]
    assert any("limits.memory" in m and "is not a quantity" in m for m in msgs), msgs
