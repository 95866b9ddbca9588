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


def _check_documented(snap) -> None:
    for name, (enis, ipv4, vcpus, nitro, max_enis, cards) in DOCUMENTED.items():
        t = snap.get(name)
        assert (t.enis, t.ipv4_per_eni, t.vcpus, t.nitro, t.max_enis_all_cards, len(t.network_cards)) == \
            (enis, ipv4, vcpus, nitro, max_enis, cards), name
        assert t.trunking is None
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

    snap = load_snapshot(out)
    _check_documented(snap)
    gen = snap.provenance
    assert gen["endpoint"] == moto_server and gen["endpoint"].startswith("http://127.0.0.1:")
    assert gen["regions"] == ["us-east-1"]
    assert gen["source"] == "EC2 DescribeInstanceTypes" and gen["tool"] == "podcap limits refresh"
    assert gen["note"] == "test run"
    assert gen["count"] == len(snap.types) > 1000
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
          "NetworkInfo": {"MaximumNetworkInterfaces": 12, "DefaultNetworkCardIndex": 1,
                          "Ipv4AddressesPerInterface": 30, "EfaSupported": True,
                          "EfaInfo": {"MaximumEfaInterfaces": 2},
                          "NetworkCards": [{"NetworkCardIndex": 1, "MaximumNetworkInterfaces": 4},
                                           {"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 8}]}}
    rec = record_from_api(it)
    assert rec == {"enis": 4, "ipv4": 30, "ipv6": 0, "vcpus": 8, "hypervisor": "nitro", "bare_metal": False,
                   "cards": [[0, 8], [1, 4]], "default_card": 1, "max_enis": 12, "efa": True, "max_efa": 2,
                   "trunking": None}
    old = {"InstanceType": "m1.small", "VCpuInfo": {"DefaultVCpus": 1}, "BareMetal": True,
           "NetworkInfo": {"MaximumNetworkInterfaces": 2, "Ipv4AddressesPerInterface": 4,
                           "Ipv6AddressesPerInterface": 0}}
    rec = record_from_api(old)
    assert (rec["enis"], rec["max_enis"], rec["cards"], rec["default_card"], rec["hypervisor"]) == (2, 2, [], 0, "")
    lim = limits.InstanceLimits.from_record("m1.small", rec)
    assert lim.nitro and not lim.efa and lim.max_efa_interfaces == 0


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
