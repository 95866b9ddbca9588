"""Instance limits: `podcap limits refresh` against a moto server over real HTTP, the shipped snapshot,
the shared AWS client factory and its one-line error explanations."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from podcap import aws_clients, limits
from podcap.aws_clients import AwsAccessError, explain_aws_error
from podcap.limits import UnknownInstanceType, load_snapshot, refresh
from podcap.limits.refresh import dumps_snapshot, fetch_instance_types, record_from_api

ROOT = Path(__file__).resolve().parent.parent

# name -> (enis on the default card, IPv4 per ENI, vCPUs, nitro, max ENIs all cards, cards)
DOCUMENTED = {
    "m5.large": (3, 10, 2, True, 3, 1),
    "p4d.24xlarge": (15, 50, 96, True, 60, 4),
    "t3.medium": (3, 6, 2, True, 3, 1),
    "c5.18xlarge": (15, 50, 72, True, 15, 1),
}
# name -> (IsTrunkingCompatible, BranchInterface) in the VPC resource controller's limits.go
TRUNKING = {"m5.large": (True, 9), "p4d.24xlarge": (True, 62), "t3.medium": (False, 0), "c5.18xlarge": (True, 107)}
SHARED_LIMITS = ROOT.parent / "shared" / "reference" / "aws-limits"


def _check_documented(snap, merged: bool = True) -> None:
    for name, (enis, ipv4, vcpus, nitro, max_enis, cards) in DOCUMENTED.items():
        t = snap.get(name)
        assert (t.enis, t.ipv4_per_eni, t.vcpus, t.nitro, t.max_enis_all_cards, len(t.network_cards)) == \
            (enis, ipv4, vcpus, nitro, max_enis, cards), name
        if merged:
            assert (t.trunking, t.branch_enis) == TRUNKING[name], name
            assert t.source_of("trunking") == t.source_of("branch_enis") == "resource-controller"
        else:
            assert t.trunking is None and t.branch_enis is None
    assert snap.get("m5.large").hypervisor == "nitro"
    p4d = snap.get("p4d.24xlarge")
    assert p4d.default_card == 0 and p4d.network_cards == ((0, 15), (1, 15), (2, 15), (3, 15))
    assert p4d.efa and p4d.max_efa_interfaces == 4


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- refresh against moto (real HTTP)


def test_refresh_against_moto_server(moto_server, tmp_path, capsys):
    out = tmp_path / "limits.json"
    rc = refresh.main(["--output", str(out), "--note", "test run"])
    stdout = capsys.readouterr().out
    assert rc == 0
    assert stdout.count("\n") == 1 and str(out) in stdout and moto_server in stdout
    assert "AWS's published tables" in stdout

    snap = load_snapshot(out)
    _check_documented(snap)
    gen = snap.provenance
    assert gen["endpoint"] == moto_server and gen["endpoint"].startswith("http://127.0.0.1:")
    assert gen["regions"] == ["us-east-1"]
    assert gen["source"] == "EC2 DescribeInstanceTypes" and gen["tool"] == "podcap limits refresh"
    assert gen["note"] == "test run"
    assert gen["count"] == len(snap.types) > gen["describe_instance_types_count"] > 1000
    assert [s["code"] for s in gen["supplementary"]] == ["vpc-cni", "resource-controller", "nodeadm"]
    # the union: types moto does not record come from AWS's tables, with no vCPU count
    assert snap.get("p3.2xlarge").vcpus is None and snap.get("p3.2xlarge").enis == 4
    assert snap.get("i7ie.48xlarge").enis == 15  # the tables' default card, not moto's 8
    # ProcessorInfo / MemoryInfo over the wire: Graviton is arm64, m5 x86_64 -> amd64, 8 GiB = 8192 MiB each
    assert (snap.get("m6g.large").architectures, snap.get("m6g.large").memory_mib) == (("arm64",), 8192)
    assert (snap.get("m5.large").architectures, snap.get("m5.large").memory_mib) == (("amd64",), 8192)
    assert snap.get("p3.2xlarge").architectures is None and snap.get("p3.2xlarge").memory_mib is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", gen["date"])

    # compact, sorted, one instance type per line
    lines = out.read_text().splitlines()
    rows = [ln for ln in lines if ln.startswith('"') and not ln.startswith(('"generated"', '"instance_types"'))]
    assert len(rows) == gen["count"]
    names = [json.loads("{" + ln.rstrip(",") + "}").popitem()[0] for ln in rows]
    assert names == sorted(names)


def test_refresh_merges_regions(moto_server, monkeypatch):
    """Each region's DescribeInstanceTypes answer is different here; the document holds their union."""
    per_region = {"eu-west-1": ["m5.large", "t3.medium"], "us-west-2": ["m5.large", "p4d.24xlarge"]}
    called: list[str] = []
    real = aws_clients.client

    def client(service, **kw):
        c = real(service, **kw)
        region = c.meta.region_name

        def narrow(params, **_):
            called.append(region)
            params["InstanceTypes"] = per_region[region]

        c.meta.events.register("provide-client-params.ec2.DescribeInstanceTypes", narrow)
        return c

    monkeypatch.setattr(aws_clients, "client", client)
    doc = fetch_instance_types(["us-west-2", "eu-west-1,us-west-2"])
    assert sorted(called) == ["eu-west-1", "us-west-2"]
    assert doc["generated"]["regions"] == ["eu-west-1", "us-west-2"]
    assert doc["generated"]["endpoint"] == moto_server
    assert list(doc["instance_types"]) == ["m5.large", "p4d.24xlarge", "t3.medium"]
    assert doc["generated"]["count"] == 3
    assert doc["instance_types"]["p4d.24xlarge"]["enis"] == 15
    assert doc["instance_types"]["p4d.24xlarge"]["max_enis"] == 60


def test_refresh_all_regions_and_default_region(moto_server, monkeypatch):
    """"all" -> the regions DescribeRegions returns (narrowed to three here: moto sets up every region
    it serves on first use, ~0.3 s each)."""
    called: list[str] = []
    real = aws_clients.client

    def client(service, **kw):
        c = real(service, **kw)

        def narrow(params, **_):
            params["RegionNames"] = ["ap-southeast-2", "eu-west-1", "us-east-1"]

        def record(params, **_):
            called.append(c.meta.region_name)

        c.meta.events.register("provide-client-params.ec2.DescribeRegions", narrow)
        c.meta.events.register("provide-client-params.ec2.DescribeInstanceTypes", record)
        return c

    monkeypatch.setattr(aws_clients, "client", client)
    doc = fetch_instance_types(["all"], instance_types=["t3.medium"])
    assert doc["generated"]["regions"] == ["ap-southeast-2", "eu-west-1", "us-east-1"]
    assert called == doc["generated"]["regions"]
    assert list(doc["instance_types"]) == ["t3.medium"]
    called.clear()
    doc = fetch_instance_types(None, instance_types=["m5.large"])
    assert doc["generated"]["regions"] == ["us-east-1"]  # AWS_DEFAULT_REGION from the fixture
    assert "note" not in doc["generated"]


def test_refresh_bad_endpoint_is_one_line_exit_2(moto_server, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    out = tmp_path / "limits.json"
    assert refresh.main(["--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "could not connect" in err and "127.0.0.1" in err and "testing" not in err
    assert not out.exists()


def test_refresh_module_cli_bad_endpoint_no_traceback(moto_server, tmp_path):
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}", AWS_MAX_ATTEMPTS="1")
    out = tmp_path / "limits.json"
    p = subprocess.run([sys.executable, "-m", "podcap.limits.refresh", "--output", str(out)],
                       check=False, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.returncode == 2, p.stderr
    assert p.stdout == "" and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert p.stderr.startswith("podcap: error: ")
    assert not out.exists()


def test_refresh_without_region_is_one_line_exit_2(moto_server, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert refresh.main(["--output", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "region" in err


# --------------------------------------------------------------------------- DescribeInstanceTypes mapping


def test_record_from_api_default_card_and_fallbacks():
    it = {"InstanceType": "x.big", "Hypervisor": "nitro", "BareMetal": False, "VCpuInfo": {"DefaultVCpus": 8},
          "ProcessorInfo": {"SupportedArchitectures": ["i386", "x86_64"]}, "MemoryInfo": {"SizeInMiB": 32768},
          "NetworkInfo": {"MaximumNetworkInterfaces": 12, "DefaultNetworkCardIndex": 1,
                          "Ipv4AddressesPerInterface": 30, "EfaSupported": True,
                          "EfaInfo": {"MaximumEfaInterfaces": 2},
                          "NetworkCards": [{"NetworkCardIndex": 1, "MaximumNetworkInterfaces": 4},
                                           {"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 8}]}}
    rec = record_from_api(it)
    assert rec == {"enis": 4, "ipv4": 30, "ipv6": 0, "vcpus": 8, "hypervisor": "nitro", "bare_metal": False,
                   "cards": [[0, 8], [1, 4]], "default_card": 1, "max_enis": 12, "efa": True, "max_efa": 2,
                   "trunking": None, "arch": ["i386", "x86_64"], "memory_mib": 32768, "gpus": [],
                   "accelerators": []}
    # i386 has no Kubernetes name (AWSToKubeArchitectures knows x86_64 and arm64 only): amd64 alone
    assert limits.InstanceLimits.from_record("x.big", rec).architectures == ("amd64",)
    old = {"InstanceType": "m1.small", "VCpuInfo": {"DefaultVCpus": 1}, "BareMetal": True,
           "NetworkInfo": {"MaximumNetworkInterfaces": 2, "Ipv4AddressesPerInterface": 4,
                           "Ipv6AddressesPerInterface": 0}}
    rec = record_from_api(old)
    assert (rec["enis"], rec["max_enis"], rec["cards"], rec["default_card"], rec["hypervisor"]) == (2, 2, [], 0, "")
    lim = limits.InstanceLimits.from_record("m1.small", rec)
    assert lim.nitro and not lim.efa and lim.max_efa_interfaces == 0
    # no ProcessorInfo / MemoryInfo in the entry: unknown, never a default architecture or size
    assert (rec["arch"], rec["memory_mib"], lim.architectures, lim.memory_mib) == (None, None, None, None)
    # DescribeInstanceTypes answers for every entry whether it has GPUs: an entry without GpuInfo has none
    assert (lim.gpus, lim.gpu_count, lim.accelerator_labels) == ((), 0, {})


def test_dumps_snapshot_round_trips_one_type_per_line():
    doc = {"instance_types": {"b.x": {"enis": 2, "ipv4": 4, "vcpus": 1}, "a.x": {"vcpus": 2, "ipv4": 6, "enis": 3}},
           "generated": {"regions": ["us-east-1"], "count": 2}}
    text = dumps_snapshot(doc)
    assert json.loads(text) == doc
    assert text.splitlines() == [
        '{"generated":{"count":2,"regions":["us-east-1"]},',
        '"instance_types":{',
        '"a.x":{"enis":3,"ipv4":6,"vcpus":2},',
        '"b.x":{"enis":2,"ipv4":4,"vcpus":1}',
        "}}",
    ]


# --------------------------------------------------------------------------- the shipped snapshot


def test_shipped_snapshot_loads_with_documented_figures():
    snap = load_snapshot()
    assert len(snap.types) > 1000
    _check_documented(snap)
    gen = snap.provenance
    assert gen["source"] == "EC2 DescribeInstanceTypes" and gen["tool"] == "podcap limits refresh"
    assert gen["count"] == len(snap.types)
    assert gen["endpoint"].startswith("http://127.0.0.1:") and "moto" in gen["note"]  # honest provenance


def test_shipped_records_read_by_line_equal_the_whole_file():
    """The shipped snapshot is read one record line at a time (limits._LineRecords): every record, the
    names in order, the provenance, and a full sweep (items) must equal json.loads of the whole file."""
    text = limits._data_text(limits.SNAPSHOT_NAME)
    whole = json.loads(text)
    doc, lazy = limits._index_lines(text)
    assert doc == {**whole, "instance_types": {}}
    for name, rec in whole["instance_types"].items():
        assert name in lazy and lazy[name] == rec, name  # found by searching for its line, parsed alone
    assert "m5.larg" not in lazy and '"m5.large' not in lazy and "" not in lazy
    with pytest.raises(KeyError):
        lazy["m5.larg"]
    _, fresh = limits._index_lines(text)
    assert list(fresh) == list(whole["instance_types"]) and len(fresh) == len(whole["instance_types"])
    assert fresh["c5.large"] == whole["instance_types"]["c5.large"]  # by the index once it exists
    _, sweep = limits._index_lines(text)
    assert dict(sweep.items()) == whole["instance_types"]  # one parse of the whole section
    # the layout dumps_snapshot writes, for any document: a record on the last line has no comma
    small = {"generated": {"count": 2}, "instance_types": {"a1.large": {"enis": 3, "ipv4": 10},
                                                           "z9.large": {"enis": 2, "ipv4": 4}}}
    doc, lazy = limits._index_lines(dumps_snapshot(small))
    assert doc == {"generated": {"count": 2}, "instance_types": {}}
    assert lazy["z9.large"] == {"enis": 2, "ipv4": 4} and list(lazy) == ["a1.large", "z9.large"]
    # any other layout is declined (and then read whole)
    assert limits._index_lines(json.dumps(small)) is None
    assert limits._index_lines(json.dumps(small, indent=1)) is None


def test_unknown_type_suggests_close_names():
    with pytest.raises(UnknownInstanceType) as ei:
        limits.get("m5.larg")
    assert "m5.large" in ei.value.suggestions
    assert "m5.large" in str(ei.value)
    assert limits.get(" M5.Large ").enis == 3


# --------------------------------------------------------------------------- client factory


def test_imports_do_not_load_boto3():
    code = ("import sys, podcap.aws_clients, podcap.limits.refresh; "
            "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


def test_client_config_and_endpoint(moto_server, monkeypatch):
    c = aws_clients.client("ec2")
    assert c.meta.endpoint_url == moto_server and c.meta.region_name == "us-east-1"
    assert c.meta.config.retries["mode"] == "adaptive"
    assert c.meta.config.retries.get("total_max_attempts", 0) >= 5
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")  # service-specific endpoint wins
    c = aws_clients.client("ec2", region="eu-west-1")
    assert c.meta.config.retries["total_max_attempts"] == 2
    assert c.meta.endpoint_url == "http://127.0.0.1:9" and c.meta.region_name == "eu-west-1"


def test_unknown_profile_is_explained(moto_server):
    from botocore.exceptions import ProfileNotFound

    with pytest.raises(ProfileNotFound) as ei:
        aws_clients.client("ec2", profile="no-such-profile")
    msg = explain_aws_error(ei.value)
    assert "no-such-profile" in msg and "--profile" in msg and "\n" not in msg


def _client_error(code: str, message: str, op: str = "DescribeInstanceTypes"):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, op)


@pytest.mark.parametrize("make, expect", [
    (lambda be: be.NoCredentialsError(), "credentials"),
    (lambda be: be.NoRegionError(), "--region"),
    (lambda be: be.ProfileNotFound(profile="ci"), "'ci'"),
    (lambda be: be.EndpointConnectionError(endpoint_url="https://AKIAIOSFODNN7EXAMPLE:s3cr3tv4lue@ec2.x/?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"),
     "https://ec2.x/"),
    (lambda be: _client_error("UnauthorizedOperation", "You are not authorized.\nEncoded authorization failure "
                              "message: s3cr3tv4lue"), "DescribeInstanceTypes"),
    (lambda be: _client_error("AccessDeniedException", "User AKIAIOSFODNN7EXAMPLE denied", "DescribeCluster"),
     "DescribeCluster"),
    (lambda be: _client_error("Throttling", "Rate exceeded"), "throttled"),
    (lambda be: _client_error("RequestLimitExceeded", "Request limit exceeded."), "throttled"),
    (lambda be: _client_error("ExpiredToken", "token: s3cr3tv4lue expired"), "expired"),
    (lambda be: _client_error("SomethingOdd", "odd\nthing secret_access_key=s3cr3tv4lue"), "SomethingOdd"),
])
def test_explain_aws_error_one_line_no_secrets(make, expect, monkeypatch):
    from botocore import exceptions as be

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envs3cr3t")
    exc = make(be)
    msg = explain_aws_error(exc)
    assert msg and "\n" not in msg and expect in msg
    for secret in ("s3cr3tv4lue", "AKIAIOSFODNN7EXAMPLE", "envs3cr3t"):
        assert secret not in msg
    err = AwsAccessError.from_exception(exc)
    assert str(err) == msg


def test_refresh_describe_only_keeps_describe_instance_types_alone(moto_server, tmp_path, capsys):
    out = tmp_path / "limits.json"
    assert refresh.main(["--output", str(out), "--describe-only"]) == 0
    assert "published tables" not in capsys.readouterr().out
    snap = load_snapshot(out)
    _check_documented(snap, merged=False)
    assert "p3.2xlarge" not in snap.types and snap.get("i7ie.48xlarge").enis == 8  # moto's split cards


# --------------------------------------------------------------------------- the union with AWS's tables


def test_types_only_in_aws_tables_are_present_with_unknown_vcpus():
    snap = load_snapshot()
    for name, enis, ipv4, hyp in (("p3.2xlarge", 4, 15, "xen"), ("c5a.metal", 15, 50, ""),
                                  ("g4ad.xlarge", 2, 4, "nitro"), ("g4ad.16xlarge", 8, 30, "nitro"),
                                  ("u-6tb1.metal", 5, 30, ""), ("u-24tb1.metal", 15, 50, "")):
        t = snap.get(name)
        assert (t.enis, t.ipv4_per_eni, t.hypervisor) == (enis, ipv4, hyp), name
        assert t.vcpus is None and t.ipv6_per_eni is None and t.efa is None, name  # no source has them
        assert t.source_of("enis") == "vpc-cni" and t.source_of("vcpus") == ""
    assert snap.get("c5a.metal").bare_metal and snap.get("c5a.metal").nitro  # bare metal counts as Nitro
    # p3 is Xen: the resource controller says no trunk, no branch ENIs
    p3 = snap.get("p3.2xlarge")
    assert (p3.trunking, p3.branch_enis, p3.supports_trunking) == (False, 0, False)


def test_aws_tables_win_on_the_default_card():
    """moto's recording splits these types' ENIs over two cards; AWS's three tables agree on one default card
    with all of them: i7ie.48xlarge 15 x (50 - 1) + 2 = 737 standard max pods, i8ge.48xlarge 24 x 49 + 2 = 1178."""
    from podcap.engine.maxpods import standard_max_pods

    snap = load_snapshot()
    for name, enis, moto_enis, expected in (("i7ie.48xlarge", 15, 8, 737), ("i8ge.48xlarge", 24, 12, 1178)):
        t = snap.get(name)
        assert (t.enis, t.ipv4_per_eni, t.vcpus) == (enis, 50, 192)
        assert standard_max_pods(t) == expected
        assert t.source_of("enis") == "vpc-cni" and t.source_of("vcpus") == "ec2"
        assert snap.record(name)["ec2"]["enis"] == moto_enis  # DescribeInstanceTypes' figure kept for show
        assert t.network_cards == ((0, enis),) and t.default_card == 0


def test_merge_record_rules():
    from podcap.limits.published import merge_record

    ec2 = {"enis": 8, "ipv4": 50, "ipv6": 50, "vcpus": 192, "hypervisor": "nitro", "bare_metal": False,
           "cards": [[0, 8], [1, 7]], "default_card": 0, "max_enis": 15, "efa": True, "max_efa": 1,
           "trunking": None}
    cni = {"ENILimit": 15, "IPv4Limit": 50, "DefaultNetworkCardIndex": 0, "HypervisorType": "nitro",
           "IsBareMetal": False, "NetworkCards": [{"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 15}]}
    rc = {"Interface": 15, "IPv4PerInterface": 50, "BranchInterface": 107, "DefaultNetworkCardIndex": 0,
          "IsTrunkingCompatible": True, "Hypervisor": "nitro", "IsBareMetal": False,
          "NetworkCards": [{"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 15}]}
    rec = merge_record(ec2, {"vpc-cni": cni, "resource-controller": rc})
    assert (rec["enis"], rec["cards"], rec["vcpus"], rec["trunking"], rec["branch_enis"]) == (15, [[0, 15]], 192, True, 107)
    assert rec["src"] == {"branch_enis": "resource-controller", "cards": "vpc-cni", "default_card": "vpc-cni",
                          "enis": "vpc-cni", "trunking": "resource-controller"}
    assert rec["ec2"] == {"enis": 8, "cards": [[0, 8], [1, 7]]}
    # agreeing figures stay DescribeInstanceTypes'; nodeadm's table alone still wins over EC2's
    same = merge_record({**ec2, "enis": 15, "cards": [[0, 15]]}, {"vpc-cni": cni})
    assert "enis" not in same["src"] and "ec2" not in same and same["trunking"] is None
    nodeadm = merge_record({**ec2, "ipv4": 30}, {"nodeadm": {"defaultMaxENIs": 8, "ipv4AddressesPerInterface": 50}})
    assert (nodeadm["enis"], nodeadm["ipv4"], nodeadm["src"]["ipv4"]) == (8, 50, "nodeadm")
    # a type only the nodeadm table knows: ENIs and IPv4, nothing guessed
    only = merge_record(None, {"nodeadm": {"defaultMaxENIs": 3, "ipv4AddressesPerInterface": 10}})
    lim = limits.InstanceLimits.from_record("z.large", only)
    assert (lim.enis, lim.ipv4_per_eni, lim.vcpus, lim.trunking, lim.hypervisor) == (3, 10, None, None, "")
    assert lim.max_enis_all_cards == 3 and lim.source_of("enis") == "nodeadm"


@pytest.mark.skipif(not SHARED_LIMITS.is_dir(), reason="the shared AWS reference tables are not beside the checkout")
def test_shipped_tables_are_the_reference_tables(tmp_path):
    """scripts/generate_snapshot.py's first step reproduces the shipped file from the reference folder."""
    from podcap.limits.published import PUBLISHED_NAME, build_published, load_published, write_published

    doc = build_published(SHARED_LIMITS)
    assert doc == load_published()
    assert {c: s["count"] for c, s in doc["sources"].items()} == {"vpc-cni": 1391, "resource-controller": 1164,
                                                                    "nodeadm": 1384}
    out = write_published(doc, tmp_path / PUBLISHED_NAME)
    assert out.read_bytes() == (ROOT / "validators" / "data" / PUBLISHED_NAME).read_bytes()  # deterministic


def test_shipped_snapshot_is_the_merge_of_its_parts():
    """Every type of every table is in the snapshot, and each table-sourced figure equals that table's."""
    from podcap.limits.published import load_published, table_facts

    snap = load_snapshot()
    pub = load_published()
    assert set(pub["instance_types"]) <= set(snap.types)
    for name, tables in pub["instance_types"].items():
        t = snap.get(name)
        first = next(c for c in ("vpc-cni", "nodeadm", "resource-controller") if c in tables)
        facts = table_facts(first, tables[first])
        assert (t.enis, t.ipv4_per_eni) == (facts["enis"], facts["ipv4"]), name
        if "resource-controller" in tables:
            rc = tables["resource-controller"]
            assert (t.trunking, t.branch_enis) == (rc["IsTrunkingCompatible"], rc["BranchInterface"]), name


# --------------------------------------------------------------------------- podcap limits show, --snapshot


def _cli(capsys, *argv):
    from podcap.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_limits_show_type_gives_each_fields_source(capsys):
    code, out, _ = _cli(capsys, "limits", "show", "i7ie.48xlarge")
    assert code == 0
    doc = json.loads(out)
    f = doc["fields"]
    assert f["enis"] == {"value": 15, "source": "vpc-cni table"}
    assert f["vcpus"] == {"value": 192, "source": "DescribeInstanceTypes (moto's recording)"}
    assert f["trunking"] == {"value": True, "source": "resource-controller table"}
    assert f["branch_enis"] == {"value": 107, "source": "resource-controller table"}
    assert doc["describe_instance_types_overridden"]["enis"] == 8
    assert doc["tables"]["nodeadm table"]["row"] == {"defaultMaxENIs": 15, "ipv4AddressesPerInterface": 50}
    code, out, _ = _cli(capsys, "limits", "show", "p3.2xlarge")
    doc = json.loads(out)
    assert doc["fields"]["vcpus"] == {"value": None, "source": "unknown: no source has it"}
    assert doc["in"] == ["vpc-cni table", "resource-controller table"]
    code, _, err = _cli(capsys, "limits", "show", "m5.larg")
    assert code == 2 and "m5.large" in err and err.count("\n") == 1


def test_limits_show_snapshot_provenance(capsys):
    code, out, _ = _cli(capsys, "limits", "show")
    doc = json.loads(out)
    assert code == 0 and doc["instance_types"] == doc["count"] == len(load_snapshot().types)
    assert "p3.2xlarge" in doc["only_in_aws_tables"] and "i7ie.48xlarge" in doc["tables_overrode_describe_instance_types"]
    assert doc["types_per_source"]["DescribeInstanceTypes (moto's recording)"] == doc["describe_instance_types_count"]


@pytest.mark.parametrize("content, expect", [
    ("{}", "instance_types"),
    ("[]", "JSON list"),
    ('{"instance_types": []}', "instance_types"),
    ('{"instance_types": {"x.large": {"enis": "3", "ipv4": 10}}}', "'enis'"),
    ('{"instance_types": {"x.large": {"enis": 3, "ipv4": 10, "cards": [[1]]}}}', "malformed"),
    ('{"instance_types": {"x.large": 5}}', "not an object"),
    ('{"instance_types": {"x.large": {"enis": 3, "ipv4": 10, "arch": "arm64"}}}', "'arch'"),
    ('{"instance_types": {"x.large": {"enis": 3, "ipv4": 10, "memory_mib": -1}}}', "'memory_mib'"),
    ('{"instance_types": {"x.large": {"enis": 3, "ipv4": 10, "gpus": [["T4", "NVIDIA", "1"]]}}}', "'gpus'"),
    ("not json", "not JSON"),
    ("[" * 100000, "not"),
    (b"\xff\xfe", "UTF-8"),
])
def test_bad_snapshot_files_exit_2_with_one_line(capsys, tmp_path, content, expect):
    path = tmp_path / "s.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, _, err = _cli(capsys, "--snapshot", str(path), "maxpods", "m5.large")
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err and expect in err


def test_huge_or_endless_snapshot_is_refused_after_a_bounded_read(capsys, tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(limits.MAX_SNAPSHOT_BYTES + 10)  # sparse: nothing is written
    for path in (str(big), "/dev/zero"):
        code, _, err = _cli(capsys, "--snapshot", path, "maxpods", "m5.large")
        assert code == 2 and err.count("\n") == 1 and "larger than" in err, path
    code, _, err = _cli(capsys, "--snapshot", str(tmp_path), "maxpods", "m5.large")  # a directory
    assert code == 2 and err.count("\n") == 1


def test_small_valid_snapshot_still_loads(tmp_path):
    """An old-shape snapshot (no src, no branch_enis) keeps working: every field is DescribeInstanceTypes'."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"generated": {"source": "EC2 DescribeInstanceTypes"}, "instance_types": {
        "m5.large": {"enis": 3, "ipv4": 10, "ipv6": 10, "vcpus": 2, "hypervisor": "nitro", "trunking": None}}}))
    t = load_snapshot(path).get("m5.large")
    assert (t.enis, t.vcpus, t.trunking, t.branch_enis, t.source_of("enis")) == (3, 2, None, None, "ec2")


def test_every_type_is_consistent_after_the_merge():
    """The default card's ENIs are the card's own entry and never exceed the instance-wide figure; vCPUs are
    unknown exactly for the 24 types only AWS's tables list."""
    snap = load_snapshot()
    only_tables = [t for n, t in snap.types.items() if "ec2" not in snap.record(n).get("in", [])]
    assert len(only_tables) == 24 and all(t.vcpus is None for t in only_tables)
    for t in snap.types.values():
        assert 1 <= t.enis <= t.max_enis_all_cards, t.name
        if t.network_cards:
            assert dict(t.network_cards)[t.default_card] == t.enis, t.name
        assert t.vcpus is not None or t in only_tables, t.name


def test_bad_snapshot_in_check_and_node_is_one_line_exit_2(capsys, tmp_path):
    path = tmp_path / "s.json"
    path.write_text("{}")
    for argv in (("check", str(ROOT / "examples" / "reference.yaml")), ("node", "m5.large", "--pods", "3"),
                 ("limits", "show")):
        code, _out, err = _cli(capsys, "--snapshot", str(path), *argv)
        assert code == 2 and err.count("\n") == 1 and "internal error" not in err, argv
        assert "instance_types" in err and str(path) in err, argv


# --------------------------------------------------------------------------- CPU architecture and memory


@pytest.mark.parametrize(("name", "arch", "memory_mib", "vcpus"), [
    ("m5.large", ("amd64",), 8192, 2),  # Intel Xeon, x86_64; 8 GiB = 8 x 1024 MiB
    ("m6g.large", ("arm64",), 8192, 2),  # Graviton2, arm64; 8 GiB
    ("c6gn.16xlarge", ("arm64",), 131072, 64),  # 128 GiB = 128 x 1024 MiB
    ("r5.xlarge", ("amd64",), 32768, 4),  # 32 GiB
    ("t2.micro", ("amd64",), 1024, 1),  # EC2 lists i386 and x86_64; i386 has no Kubernetes name
])
def test_shipped_snapshot_has_architecture_and_memory(name, arch, memory_mib, vcpus):
    t = load_snapshot().get(name)
    assert (t.architectures, t.memory_mib, t.vcpus) == (arch, memory_mib, vcpus)
    assert t.source_of("arch") == t.source_of("memory_mib") == "ec2"  # DescribeInstanceTypes
    assert t.source_of("architectures") == "ec2" and t.source_of("ipv4_per_eni") == t.source_of("ipv4")


def test_types_only_in_aws_tables_have_no_architecture_or_memory():
    """None of the three tables carries a CPU architecture or a memory size: a type only they know (p3.2xlarge,
    g4ad.xlarge, c5a.metal, u-6tb1.metal) gets None for both, not a guess from its name."""
    snap = load_snapshot()
    for name in ("p3.2xlarge", "g4ad.xlarge", "c5a.metal", "u-6tb1.metal"):
        t = snap.get(name)
        assert (t.architectures, t.memory_mib) == (None, None), name
        assert t.source_of("arch") == t.source_of("memory_mib") == "", name
    only_tables = [t for n, t in snap.types.items() if "ec2" not in snap.record(n).get("in", [])]
    assert len(only_tables) == 24 and all(t.architectures is None and t.memory_mib is None for t in only_tables)
    # every type DescribeInstanceTypes lists has both
    described = [t for n, t in snap.types.items() if "ec2" in snap.record(n).get("in", [])]
    assert all(t.architectures is not None and t.memory_mib for t in described)


def test_kube_architectures_follow_karpenters_map():
    """karpenter-provider-aws pkg/apis/v1/labels.go AWSToKubeArchitectures: x86_64 -> amd64, arm64 -> arm64;
    EC2's Mac names are not in it, so a Mac type has no Kubernetes architecture (Karpenter never lists them:
    it asks DescribeInstanceTypes for x86_64 and arm64 only)."""
    assert limits.kube_architectures(["x86_64"]) == ("amd64",)
    assert limits.kube_architectures(["arm64"]) == ("arm64",)
    assert limits.kube_architectures(["i386", "x86_64"]) == ("amd64",)
    assert limits.kube_architectures(["x86_64_mac"]) == () == limits.kube_architectures(["arm64_mac"])
    mac = load_snapshot().get("mac2.metal")
    assert mac.architectures == () and load_snapshot().record("mac2.metal")["arch"] == ["arm64_mac"]


def test_merge_keeps_describe_instance_types_architecture_and_memory():
    from podcap.limits.published import merge_record

    ec2 = {"enis": 3, "ipv4": 10, "ipv6": 10, "vcpus": 2, "hypervisor": "nitro", "bare_metal": False,
           "cards": [[0, 3]], "default_card": 0, "max_enis": 3, "efa": False, "max_efa": 0, "trunking": None,
           "arch": ["arm64"], "memory_mib": 8192}
    rec = merge_record(ec2, {"nodeadm": {"defaultMaxENIs": 3, "ipv4AddressesPerInterface": 10}})
    assert (rec["arch"], rec["memory_mib"]) == (["arm64"], 8192) and "arch" not in rec["src"]
    only = merge_record(None, {"nodeadm": {"defaultMaxENIs": 3, "ipv4AddressesPerInterface": 10}})
    assert (only["arch"], only["memory_mib"]) == (None, None)


def test_limits_show_gives_architecture_and_memory_provenance(capsys):
    code, out, _ = _cli(capsys, "limits", "show", "m6g.large")
    f = json.loads(out)["fields"]
    assert code == 0
    assert f["architectures"] == {"value": ["arm64"], "source": "DescribeInstanceTypes (moto's recording)",
                                  "ec2_names": ["arm64"]}
    assert f["memory_mib"] == {"value": 8192, "source": "DescribeInstanceTypes (moto's recording)"}
    code, out, _ = _cli(capsys, "limits", "show", "p3.2xlarge")
    f = json.loads(out)["fields"]
    assert f["architectures"] == {"value": None, "source": "unknown: no source has it"}
    assert f["memory_mib"] == {"value": None, "source": "unknown: no source has it"}


# --------------------------------------------------------------------------- GPUs and accelerators


def test_record_from_api_gpus_and_accelerators():
    """GpuInfo, NeuronInfo and InferenceAcceleratorInfo as DescribeInstanceTypes gives them; Karpenter labels
    Neuron devices rather than the inference accelerators when EC2 lists both (types.go computeRequirements)."""
    net = {"MaximumNetworkInterfaces": 4, "Ipv4AddressesPerInterface": 15}
    g4ad = {"InstanceType": "g4ad.xlarge", "VCpuInfo": {"DefaultVCpus": 4}, "NetworkInfo": net,
            "GpuInfo": {"Gpus": [{"Name": "Radeon Pro V520", "Manufacturer": "AMD", "Count": 1,
                                  "MemoryInfo": {"SizeInMiB": 8192}}]}}
    lim = limits.InstanceLimits.from_record("g4ad.xlarge", record_from_api(g4ad))
    assert (lim.gpus, lim.gpu_count, lim.accelerators) == ((("Radeon Pro V520", "AMD", 1, 8192),), 1, ())
    assert lim.accelerator_labels == {"instance-gpu-name": "radeon-pro-v520", "instance-gpu-manufacturer": "amd",
                                      "instance-gpu-count": "1", "instance-gpu-memory": "8192"}
    both = {"InstanceType": "inf2.xlarge", "VCpuInfo": {"DefaultVCpus": 4}, "NetworkInfo": net,
            "InferenceAcceleratorInfo": {"Accelerators": [{"Name": "Inferentia2", "Manufacturer": "AWS", "Count": 1}]},
            "NeuronInfo": {"NeuronDevices": [{"Name": "Inferentia2", "Count": 1, "CoreInfo": {"Count": 2}}]}}
    rec = record_from_api(both)
    assert (rec["gpus"], rec["accelerators"]) == ([], [["Inferentia2", "AWS", 1]])
    # two GPU kinds on one type: Karpenter sets no GPU label (it needs exactly one entry); the count still adds
    two = limits.InstanceLimits.from_record(
        "x.big", {"enis": 2, "ipv4": 4, "gpus": [["A", "NVIDIA", 2, 1], ["B", "AMD", 1, 1]],
                  "accelerators": []})
    assert two.gpu_count == 3 and two.accelerator_labels == {}


@pytest.mark.parametrize(("name", "gpus", "gpu_count", "accelerators"), [
    ("m5.large", (), 0, ()),
    ("p4d.24xlarge", (("A100", "NVIDIA", 8, 40960),), 8, ()),  # 8 x A100 40 GB
    ("g5.xlarge", (("A10G", "NVIDIA", 1, 22888),), 1, ()),
    ("inf2.xlarge", (), 0, (("Inferentia2", "AWS", 1),)),  # NeuronInfo
    ("trn1.2xlarge", (), 0, (("Trainium", "AWS", 1),)),
])
def test_shipped_snapshot_gpus_and_accelerators(name, gpus, gpu_count, accelerators):
    t = load_snapshot().get(name)
    assert (t.gpus, t.gpu_count, t.accelerators) == (gpus, gpu_count, accelerators)
    assert t.source_of("gpus") == t.source_of("accelerators") == "ec2"


def test_table_only_types_have_unknown_gpus():
    """p3.2xlarge (1 V100) and g4ad.xlarge (1 Radeon Pro V520) are only in AWS's tables, which carry no GPU
    facts: unknown, not zero."""
    for name in ("p3.2xlarge", "g4ad.xlarge"):
        t = load_snapshot().get(name)
        assert (t.gpus, t.gpu_count, t.accelerators, t.accelerator_labels) == (None, None, None, None), name


def test_limits_show_gpus(capsys):
    code, out, _ = _cli(capsys, "limits", "show", "p4d.24xlarge")
    f = json.loads(out)["fields"]
    assert code == 0
    assert f["gpus"] == {"value": [["A100", "NVIDIA", 8, 40960]], "source": "DescribeInstanceTypes (moto's recording)"}
    assert f["accelerators"] == {"value": [], "source": "DescribeInstanceTypes (moto's recording)"}


def test_an_omitted_hypervisor_is_taken_from_aws_tables():
    """refresh writes "" where DescribeInstanceTypes omits Hypervisor (bare metal types, and c7g.metal in
    moto's recorded copy); "" is then not a fact, and AWS's vpc-cni table (pkg/vpc/vpc_ip_resource_limit.go,
    generated by AWS from DescribeInstanceTypes) fills it where it names one. No source: "", as before."""
    from podcap.limits.published import merge_record

    ec2 = {"enis": 15, "ipv4": 50, "ipv6": 50, "vcpus": 64, "hypervisor": "", "bare_metal": True,
           "cards": [[0, 15]], "default_card": 0, "max_enis": 15, "efa": True, "max_efa": 1, "trunking": None}
    cni = {"ENILimit": 15, "IPv4Limit": 50, "DefaultNetworkCardIndex": 0, "HypervisorType": "nitro",
           "IsBareMetal": True, "NetworkCards": [{"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 15}]}
    rec = merge_record(ec2, {"vpc-cni": cni})
    assert (rec["hypervisor"], rec["src"].get("hypervisor")) == ("nitro", "vpc-cni")
    # the table has no hypervisor either (z1d.metal): bare metal, "" from DescribeInstanceTypes
    bare = merge_record(ec2, {"vpc-cni": {**cni, "HypervisorType": ""}})
    assert bare["hypervisor"] == "" and "hypervisor" not in bare["src"]
    # DescribeInstanceTypes' own hypervisor still wins over the table's
    xen = merge_record({**ec2, "hypervisor": "xen", "bare_metal": False}, {"vpc-cni": cni})
    assert (xen["hypervisor"], xen["src"].get("hypervisor")) == ("xen", None)


def test_c7g_metal_is_nitro_for_the_max_pods_calculator():
    """max-pods-calculator.sh takes the prefix-delegation formula only where Hypervisor is "nitro"; AWS's
    vpc-cni table has c7g.metal as nitro. With MAX_ENI=5: 5 x (49 x 16) + 2 = 3922, capped at 250 for
    64 vCPUs, where the secondary-IP formula would give 5 x 49 + 2 = 247. z1d.metal (no hypervisor in any
    source) keeps the secondary-IP figure, 247."""
    from podcap.engine.maxpods import calculator_max_pods, max_pods
    from podcap.engine.settings import CniSettings

    snap = limits.load_snapshot()
    c7g, z1d = snap.get("c7g.metal"), snap.get("z1d.metal")
    assert (c7g.hypervisor, c7g.source_of("hypervisor"), z1d.hypervisor) == ("nitro", "vpc-cni", "")
    pd5 = CniSettings(prefix_delegation=True, max_eni=5)
    assert calculator_max_pods(c7g, pd5) == 5 * 49 * 16 + 2 == 3922
    assert calculator_max_pods(z1d, pd5) == 5 * 49 + 2 == 247
    assert (max_pods(c7g, pd5).max_pods, max_pods(z1d, pd5).max_pods) == (250, 247)
