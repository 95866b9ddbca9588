"""The fast paths behind `podcap check`'s speed give exactly what the code they replace gave.

Each one stands in for a slower form that is still in the tree (or in the standard library): the one-point
growth path against the whole path, the one-pass JSON writer against ``json.dumps(jsonable(...),
indent=2)``, the shared block arithmetic of equal-sized subnets against per-subnet figures worked by hand,
and the snapshot record's ``sources`` against the sorted form.
"""
from __future__ import annotations

import enum
import gc
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.engine.allocation import default_kubelet_max_pods
from podcap.engine.blocks import fragmentation_report
from podcap.engine.maxpods import max_pods
from podcap.engine.settings import parse_env
from podcap.engine.sweep import growth_path, growth_point
from podcap.limits import _RECORD_FIELDS, load_snapshot
from podcap.model.unknown import Unknown
from podcap.report._common import dumps, jsonable

SNAP = load_snapshot()

ENVS = [
    {},
    {"WARM_ENI_TARGET": "0"},
    {"WARM_ENI_TARGET": "2"},
    {"WARM_IP_TARGET": "5"},
    {"WARM_IP_TARGET": "2", "MINIMUM_IP_TARGET": "10"},
    {"MINIMUM_IP_TARGET": "10"},
    {"ENABLE_PREFIX_DELEGATION": "true"},
    {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "0"},
    {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "3"},
    {"ENABLE_PREFIX_DELEGATION": "true", "WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "20"},
    {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true", "WARM_IP_TARGET": "3"},
    {"ENABLE_POD_ENI": "true", "ENABLE_PREFIX_DELEGATION": "true"},
]


@pytest.mark.parametrize("env", ENVS, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()) or "defaults")
def test_growth_point_is_the_growth_path_at_that_point(env):
    st_ = parse_env(env).settings
    names = SNAP.names()[::15]  # ~95 types of every family and size
    for name in names:
        lim = SNAP.types[name]
        for kmp in sorted({default_kubelet_max_pods(max_pods(lim, st_)), 17, 110}):
            up = min(kmp + 3, 260)
            gp = growth_path(lim, st_, kmp, up)
            for pods in range(up + 1):
                assert growth_point(lim, st_, kmp, pods) == (gp.held[pods], gp.enis[pods]), (name, kmp, pods)


def test_growth_point_m5_large_by_hand():
    lim = SNAP.get("m5.large")  # 3 ENIs x 10 IPv4 addresses: 9 secondary IPs per ENI
    s = parse_env({}).settings  # WARM_ENI_TARGET=1
    # 10 pods: ceil(10/9) = 2 ENIs in use + 1 warm = 3 ENIs, 3 x 9 = 27 secondary IPs held
    assert growth_point(lim, s, 29, 10) == (27, 3)
    # 0 pods: 0 ENIs in use + 1 warm: 9 IPs on the primary ENI
    assert growth_point(lim, s, 29, 0) == (9, 1)
    w = parse_env({"WARM_IP_TARGET": "2", "MINIMUM_IP_TARGET": "10"}).settings
    # 5 pods: max(5 + 2, 10) = 10 IPs, ceil(10/9) = 2 ENIs
    assert growth_point(lim, w, 29, 5) == (10, 2)


class _Colour(enum.Enum):
    RED = "red"
    TWO = 2


class _Level(enum.IntEnum):
    HIGH = 3


_leaf = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
         | st.sampled_from([_Colour.RED, _Colour.TWO, _Level.HIGH, Unknown("after apply", "aws_subnet.a")]))
_tree = st.recursive(
    _leaf,
    lambda ch: st.lists(ch) | st.tuples(ch, ch) | st.dictionaries(st.text() | st.integers(), ch)
    | st.frozensets(st.integers()),
    max_leaves=40,
)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(_tree)
def test_dumps_writes_what_json_dumps_wrote(value):
    assert dumps(value) == json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n"


def test_dumps_by_hand():
    # two-space indentation, ", " never used: "," then a newline; nested empties stay "{}" / "[]"
    assert dumps({"a": [1, 2.5, None], "b": {}, "c": [], "é": True}) == (
        '{\n  "a": [\n    1,\n    2.5,\n    null\n  ],\n  "b": {},\n  "c": [],\n  "é": true\n}\n')
    assert dumps({1: float("inf"), "x": _Colour.RED, "n": _Level.HIGH}) == (
        '{\n  "1": Infinity,\n  "x": "red",\n  "n": 3\n}\n')


def test_equal_sized_subnets_share_arithmetic_but_not_addresses():
    a = fragmentation_report("10.0.0.0/24")
    b = fragmentation_report("10.9.8.0/24")
    # 256 - 5 AWS-reserved = 251 usable; 16 aligned /28s, the first and last spoiled by AWS's five: 14 free
    for r in (a, b):
        assert (r.size, r.usable, r.total_blocks, r.free_blocks) == (256, 251, 16, 14)
        # the largest free run: offsets 4..254, 251 addresses
        assert r.largest_free_run == 251
    assert (a.cidr, a.largest_free_run_start) == ("10.0.0.0/24", "10.0.0.4")
    assert (b.cidr, b.largest_free_run_start) == ("10.9.8.0/24", "10.9.8.4")
    # in use .20 and .21 (one /28, offsets 16-31), explicit reservation .64/28: 251 - 2 - 16 = 233 usable
    c = fragmentation_report("10.1.2.0/24", ["10.1.2.20", "10.1.2.21"], [("10.1.2.64/28", "explicit")])
    assert (c.in_use, c.explicit_reserved, c.usable, c.free_blocks, c.touched_blocks) == (2, 16, 233, 12, 2)
    d = fragmentation_report("10.3.2.0/24", ["10.3.2.20", "10.3.2.21"], [("10.3.2.64/28", "explicit")])
    assert (d.usable, d.free_blocks, d.largest_free_run_start) == (233, 12, "10.3.2.80")


def test_snapshot_sources_are_sorted_per_field():
    for name in SNAP.names()[::11]:
        rec = SNAP.records[name]
        src = rec.get("src") if isinstance(rec.get("src"), dict) else {}
        default = "ec2" if "ec2" in rec.get("in", ["ec2"]) else ""
        want = tuple(sorted((f, str(src.get(f, default))) for f in _RECORD_FIELDS if rec.get(f) is not None))
        assert SNAP.types[name].sources == want


def test_check_restores_the_garbage_collector(tmp_path):
    from podcap.cli import main

    spec = tmp_path / "not-a-plan.json"
    spec.write_text("[]", encoding="utf-8")
    assert gc.isenabled()
    try:
        main(["check", str(spec)])
    except SystemExit:
        pass
    assert gc.isenabled()


@pytest.mark.parametrize("name", ["tfplan/existing-subnets.json", "cfn/self-managed.yaml", "tfplan/root-count.json"])
def test_json_render_is_dumps_of_the_report(name):
    """render() skips the report's own jsonable walk; the text is what dumps(report(...)) wrote."""
    from pathlib import Path

    from podcap.check import CheckOptions, run_check
    from podcap.report import json_report

    path = Path(__file__).parent / "data" / name
    result, _ = run_check(CheckOptions(paths=[str(path)]))
    assert result.findings  # these inputs have findings (4, 5 and 10): enums, Unknowns and data to write
    assert json_report.render(result) == dumps(json_report.report(result))
    assert json.loads(json_report.render(result)) == json_report.report(result)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(16, 28), st.lists(st.integers(0, 65535), max_size=6),
       st.booleans())
def test_fragmentation_report_of_a_network_or_its_text_is_the_ipaddress_form(address, plen, offsets, reserve):
    """fragmentation_report formats addresses from integers (blocks._dotted) and accepts a parsed network;
    the report is the same for the text and the network, and its texts are what ipaddress writes."""
    import ipaddress

    from podcap.engine.blocks import _dotted

    net = ipaddress.IPv4Network((address, plen), strict=False)
    base = int(net.network_address)
    used = [str(ipaddress.IPv4Address(base + o % net.num_addresses)) for o in offsets]
    res = [(f"{ipaddress.IPv4Address((base + 32) % 2**32)}/28", "prefix")] if reserve else []
    text_form = fragmentation_report(f"{ipaddress.IPv4Address(address)}/{plen}", used, res)
    assert fragmentation_report(net, used, res) == text_form
    assert text_form.cidr == str(net)
    assert _dotted(address) == str(ipaddress.IPv4Address(address))
    if text_form.largest_free_run_start is not None:
        ipaddress.IPv4Address(text_form.largest_free_run_start)  # a real address inside the subnet
        assert ipaddress.IPv4Address(text_form.largest_free_run_start) in net


def test_a_json_check_imports_no_yaml_no_shutil_no_difflib(tmp_path):
    """Start-up stays lean (docs/architecture.md "Start-up"): a JSON template's check never loads PyYAML,
    shutil (argparse's terminal width), difflib (only a mistyped name needs it), datetime (only
    suppressions with an expiry need today's date), the node pools' limits solver (only a pool with cpu or
    memory limits needs it), dataclasses and inspect (records are built without them,
    podcap.model.records) or typing (annotation names are imported under TYPE_CHECKING only); a YAML one
    loads PyYAML."""
    import os
    import subprocess
    import sys

    template = tmp_path / "t.json"
    template.write_text(json.dumps({"Resources": {"S": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}}}}))
    yaml_template = tmp_path / "t.yaml"
    yaml_template.write_text("Resources:\n  S:\n    Type: AWS::EC2::Subnet\n    Properties:\n"
                             "      VpcId: vpc-1\n      CidrBlock: 10.0.0.0/24\n      AvailabilityZone: us-east-1a\n")
    code = ("import sys, os; from podcap.cli import main; main(['check', sys.argv[1], '-o', 'json=' + os.devnull]); "
            "print('\\nloaded:', *sorted(m for m in ('yaml', 'shutil', 'difflib', 'datetime', "
            "'podcap.engine.pool_capacity', 'dataclasses', 'inspect', 'typing') if m in sys.modules))")
    seen = {}
    for path in (template, yaml_template):
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                             env={**os.environ, "COLUMNS": "100"}, check=True, cwd=tmp_path)
        seen[path.suffix] = out.stdout.splitlines()[-1].split() if out.stdout.strip() else []
    assert seen[".json"] == ["loaded:"]
    assert "yaml" in seen[".yaml"] and not {"dataclasses", "inspect", "typing"} & set(seen[".yaml"])


def test_a_check_imports_no_pathlib_no_typing(tmp_path):
    """Nor pathlib (with fnmatch and urllib.parse: a tenth of a check's start-up) nor typing, for a JSON or
    YAML template, a Terraform plan or a CDK cloud assembly. Run without site (``-S``) and podcap from a
    plain folder on PYTHONPATH, as an installed package imports: an editable install's finder imports
    pathlib into every interpreter of its environment before podcap runs."""
    import os
    import subprocess
    import sys

    import podcap
    import yaml

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "podcap").symlink_to(podcap.__path__[0], target_is_directory=True)
    deps = os.path.dirname(os.path.dirname(yaml.__file__))
    subnet = {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}}
    (tmp_path / "t.json").write_text(json.dumps({"Resources": {"S": subnet}}))
    (tmp_path / "t.yaml").write_text("Resources:\n  S:\n    Type: AWS::EC2::Subnet\n    Properties:\n"
                                     "      VpcId: vpc-1\n      CidrBlock: 10.0.0.0/24\n"
                                     "      AvailabilityZone: us-east-1a\n")
    (tmp_path / "plan.json").write_text(json.dumps({"format_version": "1.2", "planned_values": {"root_module": {
        "resources": [{"address": "aws_subnet.a[0]", "mode": "managed", "type": "aws_subnet", "name": "a",
                       "index": 0, "values": {"cidr_block": "10.0.0.0/24", "availability_zone": "us-east-1a",
                                              "vpc_id": "vpc-1"}}]}}}))
    asm = tmp_path / "cdk.out"
    asm.mkdir()
    (asm / "S.template.json").write_text(json.dumps({"Resources": {"S": subnet}}))
    (asm / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"S": {
        "type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
        "properties": {"templateFile": "S.template.json"}}}}))
    code = ("import sys, os; from podcap.cli import main; rc = main(['check', sys.argv[1], '-o', 'json=' + os.devnull]); "
            "print('\\nrc', rc, 'loaded:', *sorted(m for m in ('pathlib', 'fnmatch', 'urllib.parse', 'typing') "
            "if m in sys.modules))")
    for name in ("t.json", "t.yaml", "plan.json", "cdk.out"):
        out = subprocess.run([sys.executable, "-S", "-c", code, str(tmp_path / name)], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join([str(pkg), deps])},
                             check=True, cwd=tmp_path)
        assert out.stdout.splitlines()[-1].split() == ["rc", "0", "loaded:"], (name, out.stdout[-300:], out.stderr)


def _relative_path_by_pathlib(path: str, base_dir: str | None = None) -> str:
    """What report paths were before pathlib left the check path: pathlib's resolve, relative_to and
    as_posix."""
    import os
    from pathlib import Path, PurePosixPath

    if not path:
        return ""
    p = path.replace("\\", "/")
    if os.path.isabs(p):
        base = Path(base_dir or os.getcwd()).resolve()
        try:
            return Path(p).resolve().relative_to(base).as_posix()
        except ValueError:
            return Path(p).as_posix()
    return PurePosixPath(p).as_posix()


_PART = st.sampled_from(["", ".", "..", "a", "b", "sub", "c d", "x.json", "cdk.out"])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["", "/", "//", "///", "./", "\\"]), st.lists(_PART, max_size=6),
       st.sampled_from(["", "/", "//"]), st.sampled_from([None, "base", "base/sub", "elsewhere"]))
def test_relative_path_is_pathlibs_form(lead, parts, tail, base):
    """``relative_path`` (report file names: SARIF, JUnit, GitHub annotations ...) prints what pathlib's
    resolve, relative_to and as_posix printed, for relative and absolute paths inside and outside the base
    folder, with empty, "." and ".." parts, doubled slashes and backslashes."""
    import os
    import tempfile

    from podcap.report._common import relative_path

    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.realpath(tmp)
        os.makedirs(os.path.join(root, "base", "sub"))
        base_dir = None if base is None else os.path.join(root, base)
        for path in (lead + "/".join(parts) + tail, root + "/" + lead + "/".join(parts) + tail,
                     os.path.join(root, "base") + "/" + "/".join(parts)):
            want = _relative_path_by_pathlib(path, base_dir)
            assert relative_path(path, base_dir) == want, (path, base_dir)


def test_relative_path_by_hand(tmp_path):
    from podcap.report._common import relative_path

    root = tmp_path.resolve()
    (root / "base").mkdir()
    assert relative_path(f"{root}/base/cdk.out/S.template.json", f"{root}/base") == "cdk.out/S.template.json"
    assert relative_path(f"{root}/base", f"{root}/base") == "."
    assert relative_path(f"{root}/basement/t.json", f"{root}/base") == f"{root}/basement/t.json"
    assert relative_path("./a//b/./c.json") == "a/b/c.json"
    assert relative_path("a\\b\\..\\c.json") == "a/b/../c.json"
