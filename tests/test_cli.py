"""The documented CLI contracts: option names, JSON keys, exit codes, no tracebacks."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from podcap.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_maxpods_json(capsys):
    code, out, _ = run(capsys, "maxpods", "m5.large", "t3.medium", "--format", "json")
    rows = {r["instance_type"]: r for r in json.loads(out)}
    assert code == 0
    m5 = rows["m5.large"]
    assert (m5["enis"], m5["ipv4_per_eni"], m5["network_max_pods"], m5["max_pods"]) == (3, 10, 29, 29)
    assert rows["t3.medium"]["network_max_pods"] == 17


@pytest.mark.parametrize(
    "flags, capacity, recommended",
    [
        (["--prefix-delegation"], 434, 110),  # 3 x 9 x 16 + 2
        (["--custom-networking"], 20, 20),  # 2 x 9 + 2
        (["--security-groups-for-pods"], 20, 20),  # trunk takes a slot
        (["--max-eni", "2"], 20, 20),
        (["--ipv6"], 2**48 + 2, 110),
    ],
)
def test_maxpods_modes(capsys, flags, capacity, recommended):
    _code, out, _ = run(capsys, "maxpods", "m5.large", *flags, "--format", "json")
    (row,) = json.loads(out)
    assert (row["network_max_pods"], row["max_pods"], row["ami_default_max_pods"]) == (capacity, recommended, 29)


def test_maxpods_text_and_kubelet(capsys):
    code, out, _ = run(capsys, "maxpods", "m5.large", "--kubelet-max-pods", "110")
    assert code == 1  # above the capacity: pods would stick in ContainerCreating
    assert "above-capacity" in out and "ContainerCreating" in out
    code, out, _ = run(capsys, "maxpods", "m5.large", "--prefix-delegation", "--kubelet-max-pods", "29", "--format", "json")
    assert json.loads(out)[0]["kubelet_status"] == "far-below" and code == 0


def test_maxpods_all(capsys):
    code, out, _ = run(capsys, "maxpods", "--all", "--format", "json")
    rows = json.loads(out)
    assert len(rows) > 1000 and code == 0


def test_unknown_type_is_a_clear_error(capsys):
    code, _out, err = run(capsys, "maxpods", "m5.larg")
    assert code == 2 and "did you mean m5.large" in err and "Traceback" not in err


def test_node_json_contract(capsys):
    code, out, _ = run(capsys, "node", "m5.large", "--pods", "5", "--format", "json")
    d = json.loads(out)
    assert code == 0
    for key in ("enis", "secondary_ips", "prefixes", "subnet_addresses", "node_subnet_addresses",
                "pod_subnet_addresses", "warm_addresses"):
        assert key in d
    # 5 pods, WARM_ENI_TARGET=1: 2 ENIs x (1 + 9) = 20, 13 warm
    assert (d["enis"], d["secondary_ips"], d["subnet_addresses"], d["warm_addresses"]) == (2, 18, 20, 13)


def test_node_flags(capsys):
    _, out, _ = run(capsys, "node", "m5.large", "--pods", "5", "--warm-ip-target", "2", "--format", "json")
    assert json.loads(out)["subnet_addresses"] == 8  # 1 ENI + 5 + 2 secondaries
    _, out, _ = run(capsys, "node", "m5.large", "--pods", "20", "--prefix-delegation", "--warm-prefix-target", "1",
                    "--format", "json")
    d = json.loads(out)
    # without --kubelet-max-pods the AMI default 29 applies (a self-managed node): ipamd stops growing once
    # it holds 29 addresses, so 2 prefixes (32 >= 29) and no warm one: 1 + 32 = 33
    assert (d["kubelet_max_pods"], d["prefixes"], d["subnet_addresses"]) == (29, 2, 33)
    _, out, _ = run(capsys, "node", "m5.large", "--pods", "20", "--prefix-delegation", "--warm-prefix-target", "1",
                    "--managed", "--format", "json")
    d = json.loads(out)
    # --managed: EKS writes min(434, 110) = 110, so the warm prefix is kept: 2 used + 1 warm; 1 + 48
    assert (d["kubelet_max_pods"], d["managed_max_pods"], d["prefixes"], d["subnet_addresses"]) == (110, 110, 3, 49)
    _, out, _ = run(capsys, "node", "m5.large", "--pods", "0", "--custom-networking", "--format", "json")
    d = json.loads(out)
    assert (d["node_subnet_addresses"], d["pod_subnet_addresses"]) == (1, 10)


def test_node_env_read_as_the_cni_reads_it(capsys):
    _code, out, err = run(capsys, "node", "m5.large", "--pods", "5", "--env", "WARM_IP_TARGET=abc", "--format", "json")
    d = json.loads(out)
    assert d["subnet_addresses"] == 20  # abc ignored: WARM_ENI_TARGET=1 applies
    assert "WARM_IP_TARGET='abc'" in err and d["warnings"]


def test_node_text_explains(capsys):
    code, out, _ = run(capsys, "node", "m5.large", "--pods", "27")
    assert code == 0 and "ENIs attached" in out and "30" in out


def test_node_beyond_capacity(capsys):
    code, _out, err = run(capsys, "node", "m5.large", "--pods", "28")
    assert code == 1 and "at most 27" in err


def test_bad_invocations(capsys):
    with pytest.raises(SystemExit) as e:
        main(["node", "m5.large", "--pods", "-1"])
    assert e.value.code == 2
    assert ">= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["node", "m5.large", "--pods", "5", "--env", "NOEQUALS"])
    assert e.value.code == 2


def test_help_starts_without_heavy_imports():
    code = ("import sys, podcap.cli as c; c.build_parser(); "
            "heavy = [m for m in ('boto3', 'botocore', 'aws_cdk', 'jsonschema', 'yaml') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_truncated_json_points_at_the_place(tmp_path, capsys):
    bad = tmp_path / "spec.json"
    bad.write_text('{"version": 1, "name": "x"')
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"podcap: error: {bad}:1:27: truncated JSON: Expecting ',' delimiter"


def test_bad_invocation_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        main(["node", "m5.large", "--pods", "-1"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [("podcap node: error: argument --pods: expected a whole number >= 0, got -1 "
                   "(see 'podcap node --help')")]


def test_a_command_makes_only_its_own_parser(monkeypatch, capsys):
    """build_parser makes the top-level parser alone; `check` then makes its own, and nothing else (each
    ArgumentParser searches for gettext catalogues: eight unused ones were ~2 ms of every check). Help and
    an unknown command still name every command."""
    import argparse

    from podcap.cli import build_parser

    made: list[str] = []
    init = argparse.ArgumentParser.__init__

    def counted(self, *args, **kwargs):
        made.append(kwargs.get("prog") or "")
        init(self, *args, **kwargs)

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", counted)
    p = build_parser()
    assert made == ["podcap"]
    a = p.parse_args(["check", "x.json", "--format", "json"])
    assert made == ["podcap", "podcap check"] and a.func.__name__ == "cmd_check" and a.format == "json"
    text = p.format_help()
    for name in ("maxpods", "node", "check", "size", "rules", "limits"):
        assert name in text
    assert build_parser().parse_args(["limits", "show", "m5.large"]).func.__name__ == "cmd_limits_show"
    assert build_parser().parse_args(["limits", "refresh", "-o", "x.json"]).func.__name__ == "cmd_limits_refresh"
    assert build_parser().parse_args(["rules", "--format", "json"]).func.__name__ == "cmd_rules"
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(["bogus"])
    assert e.value.code == 2
    assert "invalid choice: 'bogus' (choose from 'maxpods', 'node', 'check', 'size', 'rules', 'limits')" in \
        capsys.readouterr().err


def test_the_process_entry_runs_main_and_hides_its_objects_from_the_last_collection(monkeypatch):
    """entry() (the `podcap` command, `python -m podcap`) exits with main's code after gc.freeze(); main
    itself, which the CDK plugin and the tests call in-process, never freezes."""
    import gc

    from podcap import cli

    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(cli, "main", lambda argv=None: calls.append("main") or 1)
    with pytest.raises(SystemExit) as e:
        cli.entry()
    assert e.value.code == 1 and calls == ["main", "freeze"]


def test_the_command_imports_argparse_without_gettext_and_keeps_its_messages():
    """podcap.command binds argparse's message wrappers to the identity while it imports argparse (gettext's
    catalog search on every message was ~2.5 ms of each run): the messages stay argparse's English ones, and
    a later ``import gettext`` gets the real module."""
    code = ("import sys; from podcap.command import _argparse_without_gettext as f; f(); "
            "import argparse; assert 'gettext' not in sys.modules, 'stand-in left behind'; "
            "print(argparse._('positional arguments'), argparse.ngettext('a', 'b', 2)); "
            "import gettext; print(gettext.__file__ is not None and hasattr(gettext, 'translation'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["positional arguments b", "True"]
    bad = subprocess.run([sys.executable, "-m", "podcap", "bogus"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr == ("podcap: error: argument COMMAND: invalid choice: 'bogus' (choose from 'maxpods', "
                          "'node', 'check', 'size', 'rules', 'limits') (see 'podcap --help')\n")


def test_python_m_podcap_keeps_exit_codes_and_output(tmp_path):
    template = tmp_path / "t.json"
    template.write_text(json.dumps({"Resources": {"S": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/28", "AvailabilityZone": "us-east-1a"}}, "N": {
        "Type": "AWS::EKS::Nodegroup", "Properties": {"ClusterName": "c", "NodeRole": "r", "Subnets": [{"Ref": "S"}],
                                                       "InstanceTypes": ["m5.large"],
                                                       "ScalingConfig": {"MinSize": 1, "DesiredSize": 1,
                                                                         "MaxSize": 5}}}}}))
    done = subprocess.run([sys.executable, "-m", "podcap", "check", str(template), "--format", "json"],
                          capture_output=True, text=True, check=False)
    # a /28 has 16 - 5 = 11 usable addresses; five m5.large nodes hold far more (each at least its primary
    # ENI's 10): PC201
    assert done.returncode == 1 and "PC201" in {f["rule_id"] for f in json.loads(done.stdout)["findings"]}
    bad = subprocess.run([sys.executable, "-m", "podcap", "check", str(tmp_path / "missing.json")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
