"""Bounded, reproducible fuzzing of `podcap check` (hypothesis, derandomized).

Seeds are the real files under tests/data (and ../shared/fixtures beside the checkout when present: see tests/conftest.py
for how shared files are found) and the example specs. Each case mutates one seed (a deleted key, a
swapped type, an extreme number, a control character, a random intrinsic function, truncation) or
generates a spec, writes it to a temporary file and runs ``podcap.cli.main(["check", FILE, ...])`` in
process. Every case must keep podcap's promise: exit 0, 1 or 2, never "internal error" or a traceback,
within a per-case time bound, and without the process's peak memory running away.

The whole file runs in well under a minute on two cores (the example counts below are the budget).
"""
from __future__ import annotations

import copy
import json
import os
import resource
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = Path(os.environ.get("PODCAP_SHARED", ROOT.parent / "shared")) / "fixtures"  # beside the checkout
CASE_SECONDS = 8.0
PEAK_MB = 1500

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def _seeds() -> list[Path]:
    found: list[Path] = []
    for base in (DATA, SHARED, ROOT / "examples"):
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.is_file() and p.suffix in (".json", ".yaml", ".yml") and p.stat().st_size < 400_000 \
                        and "manifest" not in p.name and "tree" not in p.name and ".assets" not in p.name:
                    found.append(p)
    return found


SEEDS = _seeds()
JSON_SEEDS = [p for p in SEEDS if p.suffix == ".json"]
TEXT_SEEDS = SEEDS

EXTREMES: list[Any] = [
    None, True, False, 0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1e308, -0.0, 0.5, "", " ", "x" * 2000,
    "9" * 5000, "0.0.0.0/0", "10.0.0.1/24", "2600:1f14::/56", "10.0.0.0/33", "garbage/x", "\u0665",
    "5\n", "m5.LARGE", [], {}, [[[]]], {"a": {"b": {}}}, ["subnet-0123456789abcdef0"] * 3,
]
INTRINSICS: list[Any] = [
    {"Ref": "Nope"}, {"Ref": "AWS::Region"}, {"Ref": "AWS::NoValue"}, {"Fn::GetAtt": ["X", "Y"]},
    {"Fn::GetAtt": "bad"}, {"Fn::If": ["NoSuchCondition", 1, 2]}, {"Fn::Select": [99, []]},
    {"Fn::Select": ["-1", [1]]}, {"Fn::Sub": "${AWS::Region}-${Nope}"}, {"Fn::Sub": ["${a}", {"a": {"Ref": "X"}}]},
    {"Fn::Split": [",", {"Ref": "X"}]}, {"Fn::ImportValue": "x"}, {"Fn::Cidr": ["10.0.0.0/16", 300, 1]},
    {"Fn::Cidr": ["10.0.0.0/16", 2, 40]}, {"Fn::FindInMap": ["a", "b", "c"]}, {"Fn::Base64": {"Ref": "X"}},
    {"Fn::Join": [1, 2]}, {"Fn::GetAZs": 5}, {"Fn::Equals": [1]}, {"Fn::Length": [1, 2]},
    {"Fn::ToJsonString": {"a": 1}}, {"Fn::Transform": {}}, {"Fn::If": ["C", {"Fn::If": ["C", 1, 2]}, 3]},
]
CONTROL = ["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9b", "\ufeff", "\ufffe", "\ud7ff"]


def _paths(doc: Any, limit: int = 4000) -> list[tuple]:
    """Paths to nodes of a JSON document, breadth-first, at most `limit`."""
    out: list[tuple] = []
    queue: list[tuple[tuple, Any]] = [((), doc)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        out.append(path)
        if isinstance(node, dict):
            queue.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend(((*path, i), v) for i, v in enumerate(node))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _delete(doc: Any, path: tuple) -> Any:
    if not path:
        return {}
    parent = _get(doc, path[:-1])
    del parent[path[-1]]
    return doc


def _swap(v: Any) -> Any:
    if isinstance(v, dict):
        return list(v.values())
    if isinstance(v, list):
        return {str(i): x for i, x in enumerate(v)}
    if isinstance(v, str):
        return len(v)
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return [v]
    return {"v": v}


def run_case(tmp: Path, name: str, content: str | bytes, *extra: str) -> None:
    p = tmp / name
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        p.write_bytes(content)
    r = cli(["check", str(p), "--format", "json", *extra])
    r.assert_promise(max_seconds=CASE_SECONDS)
    if r.code == 2:  # bad input: one line (a spec or config may list several problems, one a line)
        assert r.err.startswith("podcap"), r.err[:300]
    else:
        json.loads(r.out)  # a report, whole
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < PEAK_MB, f"peak {peak_mb:.0f} MB"


@pytest.fixture(scope="module")
def tmp_dir():
    with tempfile.TemporaryDirectory(prefix="podcap-fuzz-") as d:
        yield Path(d)


def test_there_are_seeds():
    assert JSON_SEEDS and any(p.suffix == ".yaml" for p in SEEDS)


@FUZZ
@given(data=st.data())
def test_structural_mutations_of_json_seeds(tmp_dir, data):
    seed = data.draw(st.sampled_from(JSON_SEEDS), label="seed")
    doc = json.loads(seed.read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = _paths(doc)
        path = paths[data.draw(st.integers(0, len(paths) - 1), label="at")]
        kind = data.draw(st.sampled_from(["delete", "extreme", "intrinsic", "swap"]), label="kind")
        if kind == "delete":
            doc = _delete(doc, path)
        elif kind == "extreme":
            doc = _set(doc, path, copy.deepcopy(data.draw(st.sampled_from(EXTREMES), label="value")))
        elif kind == "intrinsic":  # copies: a later mutation must never change the shared constants
            doc = _set(doc, path, copy.deepcopy(data.draw(st.sampled_from(INTRINSICS), label="value")))
        else:
            doc = _set(doc, path, _swap(_get(doc, path)))
    run_case(tmp_dir, seed.name, json.dumps(doc))


@FUZZ
@given(data=st.data())
def test_text_mutations_of_every_seed(tmp_dir, data):
    seed = data.draw(st.sampled_from(TEXT_SEEDS), label="seed")
    text = seed.read_text(encoding="utf-8")
    kind = data.draw(st.sampled_from(["truncate", "control", "duplicate-line", "bytes", "encoding"]), label="kind")
    at = data.draw(st.integers(0, max(len(text) - 1, 0)), label="at")
    content: str | bytes
    if kind == "truncate":
        content = text[:at]
    elif kind == "control":
        content = text[:at] + data.draw(st.sampled_from(CONTROL), label="char") + text[at:]
    elif kind == "duplicate-line":
        lines = text.splitlines(keepends=True) or [""]
        i = at % len(lines)
        content = "".join(lines[: i + 1] + lines[i:])
    elif kind == "bytes":
        raw = bytearray(text.encode("utf-8"))
        if raw:
            raw[at % len(raw)] = data.draw(st.integers(0, 255), label="byte")
        content = bytes(raw)
    else:
        codec = data.draw(st.sampled_from(["utf-16", "utf-32", "utf-8-sig", "latin-1"]), label="codec")
        content = text.encode(codec, errors="replace")
    run_case(tmp_dir, seed.name, content)


_CIDR = st.one_of(
    st.builds(lambda a, b, n: f"10.{a}.{b}.0/{n}", st.integers(0, 255), st.integers(0, 255), st.integers(14, 30)),
    st.sampled_from(["0.0.0.0/0", "10.0.0.1/24", "fe80::/64", "300.0.0.0/16", "10.0.0.0", ""]),
)
_TYPE = st.sampled_from(["m5.large", "t3.medium", "c5.18xlarge", "m6g.metal", "M5.LARGE", "nope.large", "", "x" * 300])
_COUNT = st.one_of(st.integers(-3, 400), st.sampled_from([2**40, 10**25]), st.sampled_from(["3", "x", None]))
_ENV_VALUE = st.one_of(st.sampled_from(["1", "0", "true", "false", "-1", "5\n", "\u0665", "9" * 40, "", "abc"]),
                       st.integers(-5, 50).map(str))
_ENV_KEY = st.sampled_from(["WARM_ENI_TARGET", "WARM_IP_TARGET", "MINIMUM_IP_TARGET", "WARM_PREFIX_TARGET",
                            "MAX_ENI", "ENABLE_PREFIX_DELEGATION", "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
                            "ENABLE_POD_ENI", "ENABLE_IPv6"])


@st.composite
def specs(draw) -> dict:
    n = draw(st.integers(1, 6))
    azs = ["us-east-1a", "us-east-1b", "us-east-1c"]
    subnets = [{"name": f"s{i}", "az": draw(st.sampled_from(azs)), "cidr": draw(_CIDR)} for i in range(n)]
    for s in subnets:
        if draw(st.booleans()):
            s["used_addresses"] = draw(_COUNT)
        if draw(st.integers(0, 4)) == 0:
            s["reservations"] = [{"cidr": draw(_CIDR), "type": draw(st.sampled_from(["prefix", "explicit", "x"]))}]
    names = [s["name"] for s in subnets]
    groups = []
    for j in range(draw(st.integers(0, 4))):
        g: dict[str, Any] = {"name": f"g{j}", "instance_types": draw(st.lists(_TYPE, min_size=1, max_size=3)),
                             "subnets": draw(st.lists(st.sampled_from(names + ["missing"]), min_size=1, max_size=3)),
                             "min": draw(_COUNT), "desired": draw(_COUNT), "max": draw(_COUNT)}
        if draw(st.booleans()):
            g["kubelet_max_pods"] = draw(_COUNT)
        groups.append(g)
    doc: dict[str, Any] = {"version": draw(st.sampled_from([1, 1, 2, "1"])), "name": "fuzz",
                           "vpc": {"cidr": draw(_CIDR)}, "subnets": subnets, "nodegroups": groups}
    if draw(st.booleans()):
        doc["cluster"] = {"subnets": names[:2],
                          "cni": {"env": draw(st.dictionaries(_ENV_KEY, _ENV_VALUE, max_size=4))}}
    return doc


@FUZZ
@given(doc=specs(), as_yaml=st.booleans())
def test_generated_specs(tmp_dir, doc, as_yaml):
    if as_yaml:
        import yaml

        text = yaml.safe_dump(doc, allow_unicode=True)
        run_case(tmp_dir, "spec.yaml", text)
    else:
        run_case(tmp_dir, "spec.json", json.dumps(doc))


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(env=st.dictionaries(_ENV_KEY, _ENV_VALUE, max_size=5),
       t=st.sampled_from(["m5.large", "m5.24xlarge", "t3.micro", "c6g.16xlarge"]),
       pods=st.integers(0, 800))
def test_node_command_with_raw_env(env, t, pods):
    args = ["node", t, "--pods", str(pods), "--format", "json"]
    for k, v in env.items():
        args += ["--env", f"{k}={v}"]
    cli(args).assert_promise(max_seconds=CASE_SECONDS)


# --------------------------------------------------------------------------- --live against a faulty endpoint

_LIVE_VALUES = ["", "lots", "-13", "99999999999999999999", "10.0.0.0/8", "fe80::/64", "garbage", "<x>", "&amp;",
                "\u0665", "us-east-1a", "subnet-0123456789abcdef0"]
_EC2_FIELDS = ["cidrBlock", "availabilityZone", "availableIpAddressCount", "subnetId", "vpcId"]


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_live_against_a_mutating_endpoint(tmp_dir, monkeypatch, data):
    from test_live import _fault_env, _fault_template, _good

    try:
        from _fault_server import FaultServer, Reply
    except ImportError:  # pragma: no cover
        from tests._fault_server import FaultServer, Reply

    op_hit = data.draw(st.sampled_from(["DescribeSubnets", "DescribeNetworkInterfaces", "GetSubnetCidrReservations",
                                        "DescribeCluster", "ListNodegroups", "DescribeAddon"]), label="op")
    kind = data.draw(st.sampled_from(["field", "truncate", "bytes", "status", "html"]), label="kind")
    field_name = data.draw(st.sampled_from(_EC2_FIELDS), label="field")
    value = data.draw(st.sampled_from(_LIVE_VALUES), label="value")
    cut = data.draw(st.integers(0, 400), label="cut")
    status = data.draw(st.sampled_from([400, 403, 404, 429, 500, 503]), label="status")

    def behaviour(op, params):
        reply = _good(op, params)
        if op != op_hit:
            return reply
        body = reply.body
        if kind == "field":
            import re

            body = re.sub(rf"<{field_name}>[^<]*</{field_name}>".encode(),
                          f"<{field_name}>{value}</{field_name}>".encode(), body)
            if op_hit in ("DescribeCluster", "ListNodegroups", "DescribeAddon"):
                body = body.replace(b'"ipv4"', json.dumps(value).encode()).replace(b"[]", json.dumps(value).encode())
        elif kind == "truncate":
            body = body[:cut]
        elif kind == "bytes":
            body = bytes((b * 7 + cut) % 256 for b in body)
        elif kind == "status":
            return Reply(status=status, body=body[:cut], content_type=reply.content_type)
        else:
            body = b"<html><body>captive portal</body></html>"
        return Reply(status=reply.status, body=body, content_type=reply.content_type)

    with FaultServer(behaviour, max_requests=100, lifetime=30) as srv:
        _fault_env(monkeypatch, Path(tmp_dir), srv.url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        path = _fault_template(Path(tmp_dir), addon=data.draw(st.booleans(), label="addon"))
        r = cli(["check", path, "--live", "--region", "us-east-1", "--format", "json", "--live-timeout", "5"])
    r.assert_promise(max_seconds=CASE_SECONDS)
    if r.code == 2:
        assert len([ln for ln in r.err_lines if ln.startswith("podcap")]) == 1, r.err
