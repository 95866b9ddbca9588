"""The spec source, the hardened YAML/JSON loader and the .podcap.yaml config."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest
from podcap.model.findings import Finding, Severity
from podcap.model.plan import SubnetRole, Suppression
from podcap.sources.config import apply_suppressions, load_config
from podcap.sources.safe_yaml import InputError, compose_yaml, line_map, load_json, load_yaml, make_loader
from podcap.sources.spec import SpecError, load_spec, plan_from_spec_dict, spec_schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

GOOD = """\
version: 1
name: prod
vpc:
  cidr: 10.0.0.0/16
  secondary_cidrs: [100.64.0.0/16]
subnets:
  - name: nodes-a
    az: us-east-1a
    cidr: 10.0.0.0/22
    used_addresses: 12
    reservations: [{cidr: 10.0.3.0/24, type: prefix}]
  - name: nodes-b
    az: us-east-1b
    cidr: 10.0.4.0/22
    role: nodes
  - name: pods-a
    az: us-east-1a
    cidr: 100.64.0.0/18
    role: pods
cluster:
  ip_family: ipv4
  cni:
    env: {ENABLE_PREFIX_DELEGATION: true, WARM_PREFIX_TARGET: 1, AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true"}
    eni_configs: {us-east-1a: pods-a}
nodegroups:
  - name: general
    instance_types: [m5.large, m5a.large]
    subnets: [nodes-a, nodes-b]
    min: 2
    desired: 3
    max: 10
    update: {max_unavailable_percentage: 33}
    kubelet_max_pods: 110
    ami_type: AL2023_x86_64_STANDARD
    capacity_type: SPOT
    pods_per_node: 25
  - name: batch
    instance_types: [c5.xlarge]
    subnets: [nodes-a]
    min: 0
    max: 4
suppressions:
  - {id: PC401, resource: general, reason: "warm pool sized for bursts", expires: 2027-06-30}
  - {id: PC203, resource: "*", reason: "single-AZ loss accepted here"}
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def spec_error(tmp_path, text, name="spec.yaml") -> str:
    path = write(tmp_path, text, name)
    with pytest.raises(SpecError) as e:
        load_spec(path)
    msg = str(e.value)
    assert "Traceback" not in msg
    return msg


def good_doc() -> dict:
    return load_yaml(GOOD, "good.yaml")


def doc_error(mutate) -> str:
    d = good_doc()
    mutate(d)
    with pytest.raises(SpecError) as e:
        plan_from_spec_dict(d, "s.yaml")
    return str(e.value)


# -- the spec -> Plan --------------------------------------------------------------------------


def test_good_spec_loads_to_the_expected_plan(tmp_path):
    path = write(tmp_path, GOOD)
    p = load_spec(path)
    assert (p.kind, p.source) == ("spec", path)
    assert list(p.vpcs) == ["vpc"] and p.vpcs["vpc"].cidrs == ["10.0.0.0/16", "100.64.0.0/16"]

    assert list(p.subnets) == ["nodes-a", "nodes-b", "pods-a"]
    a, b, pods = p.subnets["nodes-a"], p.subnets["nodes-b"], p.subnets["pods-a"]
    assert (a.id, a.cidr, a.az, a.vpc, a.role, a.used_addresses) == (
        "nodes-a",
        "10.0.0.0/22",
        "us-east-1a",
        "vpc",
        SubnetRole.BOTH,
        12,
    )
    assert [(r.cidr, r.type) for r in a.reservations] == [("10.0.3.0/24", "prefix")]
    assert (b.role, pods.role) == (SubnetRole.NODES, SubnetRole.PODS)
    assert str(a.network()) == "10.0.0.0/22" and a.network().num_addresses == 1024
    assert (a.location.file, a.location.path, a.location.line) == (path, "subnets[0]", 7)
    assert (b.location.line, pods.location.line) == (12, 16)

    (cl,) = p.clusters.values()
    assert (cl.id, cl.name, cl.ip_family) == ("prod", "prod", "ipv4")
    assert cl.subnets == ["nodes-a", "nodes-b"]  # default: the nodes/both subnets, not the pod subnet
    assert cl.cni_env == {
        "ENABLE_PREFIX_DELEGATION": "true",
        "WARM_PREFIX_TARGET": "1",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
    }
    assert cl.eni_configs == {"us-east-1a": "pods-a"}
    assert (cl.location.path, cl.location.line) == ("cluster", 20)

    g, batch = p.nodegroups
    assert (g.name, g.cluster, g.instance_types, g.subnets) == (
        "general",
        "prod",
        ["m5.large", "m5a.large"],
        ["nodes-a", "nodes-b"],
    )
    assert (g.min_size, g.desired_size, g.max_size) == (2, 3, 10)
    assert (g.max_unavailable, g.max_unavailable_percentage) == (None, 33)
    assert (g.kubelet_max_pods, g.ami_type, g.capacity_type, g.pods_per_node) == (
        110,
        "AL2023_x86_64_STANDARD",
        "SPOT",
        25,
    )
    assert (g.location.path, g.location.line) == ("nodegroups[0]", 26)
    assert (batch.min_size, batch.desired_size, batch.max_size) == (0, 0, 4)  # desired defaults to min
    assert batch.kubelet_max_pods is None and batch.pods_per_node is None and not batch.self_managed
    assert p.cluster_for(batch) is cl
    assert p.resource_locations["general"] == g.location

    assert set(p.suppressions) == {"general", "*"}
    (s,) = p.suppressions["general"]
    assert (s.rule_id, s.reason, s.expires, s.source) == (
        "PC401",
        "warm pool sized for bursts",
        "2027-06-30",
        "spec",
    )


def test_cluster_without_cni_env_and_explicit_cluster_subnets():
    d = good_doc()
    d["cluster"] = {"subnets": ["nodes-b"]}
    p = plan_from_spec_dict(d, "d.yaml")
    cl = p.clusters["prod"]
    assert cl.cni_env is None and cl.eni_configs == {} and cl.subnets == ["nodes-b"]
    del d["cluster"]
    assert plan_from_spec_dict(d, "d.yaml").clusters["prod"].cni_env is None


def test_json_spec_loads(tmp_path):
    doc = good_doc()
    path = write(tmp_path, json.dumps(doc, indent=2), "spec.json")
    p = load_spec(path)
    assert p.nodegroups[0].max_size == 10 and p.subnets["pods-a"].role is SubnetRole.PODS
    assert p.subnets["nodes-a"].location.line is not None


def test_plan_from_dict_accepts_python_values():
    d = good_doc()
    d["suppressions"][0]["expires"] = date(2027, 6, 30)
    d["nodegroups"][0]["instance_types"] = ("m5.large",)
    p = plan_from_spec_dict(d, "cdk-app")
    assert p.suppressions["general"][0].expires == "2027-06-30"
    assert p.nodegroups[0].instance_types == ["m5.large"]
    assert p.subnets["nodes-a"].location.line is None


@pytest.mark.parametrize("name", ["reference.yaml", "undersized.yaml"])
def test_examples_load(name):
    p = load_spec(str(EXAMPLES / name))
    assert p.kind == "spec" and p.nodegroups and p.subnets


def test_reference_example_numbers():
    p = load_spec(str(EXAMPLES / "reference.yaml"))
    assert {s.network().prefixlen for s in p.subnets.values()} == {20}
    assert {s.az for s in p.subnets.values()} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    cl = p.clusters["reference"]
    assert cl.cni_env["ENABLE_PREFIX_DELEGATION"] == "true" and cl.cni_env["WARM_PREFIX_TARGET"] == "1"
    (ng,) = p.nodegroups
    assert (ng.instance_types, ng.min_size, ng.max_size, ng.kubelet_max_pods) == (["m5.large"], 2, 6, 110)


def test_undersized_example_numbers():
    p = load_spec(str(EXAMPLES / "undersized.yaml"))
    # /26: 64 - 5 = 59 usable; 12 nodes over 2 AZs = 6 per subnet x 30 (full m5.large) = 180 > 59
    assert [s.network().num_addresses - 5 for s in p.subnets.values()] == [59, 59]
    assert len({s.az for s in p.subnets.values()}) == 2
    (ng,) = p.nodegroups
    assert (ng.instance_types, ng.min_size, ng.max_size) == (["m5.large"], 3, 12)
    assert p.clusters["undersized"].cni_env is None  # default CNI settings
    assert ng.max_size // 2 * 30 > 59


def test_schema_is_shipped_and_strict():
    schema = spec_schema()
    assert schema["$schema"].endswith("2020-12/schema")

    def objects(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                yield node
            for v in node.values():
                yield from objects(v)
        elif isinstance(node, list):
            for v in node:
                yield from objects(v)

    objs = list(objects(schema))
    assert len(objs) >= 7 and all(o.get("additionalProperties") is False for o in objs)


# -- spec errors --------------------------------------------------------------------------------


def test_typo_key_points_at_the_path(tmp_path):
    msg = spec_error(tmp_path, GOOD.replace("instance_types: [c5.xlarge]", "instance_type: [c5.xlarge]"))
    assert "at nodegroups[1]: unknown key 'instance_type' (did you mean 'instance_types'?)" in msg
    assert "'instance_types' is a required property" in msg
    assert all(line.startswith(str(tmp_path)) for line in msg.splitlines())


def test_negative_size_message_format():
    msg = doc_error(lambda d: d["nodegroups"][0].update(max=-1))
    assert "s.yaml: at nodegroups[0].max: -1 is less than the minimum of 0" in msg.splitlines()


def test_unknown_subnet_reference():
    msg = doc_error(lambda d: d["nodegroups"][0].update(subnets=["nodes-a", "nodes-c"]))
    assert "at nodegroups[0].subnets[1]: no subnet named 'nodes-c'" in msg
    msg = doc_error(lambda d: d["cluster"]["cni"]["eni_configs"].update({"us-east-1b": "pods-b"}))
    assert "at cluster.cni.eni_configs.us-east-1b: no subnet named 'pods-b'" in msg


def test_min_greater_than_max_and_desired_outside():
    assert "at nodegroups[0]: min (11) is greater than max (10)" in doc_error(
        lambda d: d["nodegroups"][0].update(min=11)
    )
    assert "at nodegroups[0].desired: desired (12) is not between min (2) and max (10)" in doc_error(
        lambda d: d["nodegroups"][0].update(desired=12)
    )


@pytest.mark.parametrize(
    "cidr, expect",
    [
        ("10.0.0.300/22", "is not a valid IPv4 CIDR block"),
        ("10.0.0.1/22", "has host bits set; did you mean 10.0.0.0/22?"),
        ("10.0.0.0/33", "is not a valid IPv4 CIDR block"),
        ("banana", "is not an IPv4 CIDR block"),
        ("fd00::/64", "is not an IPv4 CIDR block"),
    ],
)
def test_invalid_cidr(cidr, expect):
    msg = doc_error(lambda d: d["subnets"][0].update(cidr=cidr))
    assert "at subnets[0].cidr:" in msg and expect in msg


def test_subnet_outside_vpc_is_not_a_load_error():
    d = good_doc()
    d["subnets"][1]["cidr"] = "192.168.0.0/24"  # PC502's job
    assert plan_from_spec_dict(d, "s.yaml").subnets["nodes-b"].cidr == "192.168.0.0/24"


@pytest.mark.parametrize(
    "mutate, expect",
    [
        (
            lambda d: d["nodegroups"][0].update(min="three"),
            "at nodegroups[0].min: 'three' is not of type 'integer'",
        ),
        (
            lambda d: d["nodegroups"][0].update(max=True),
            "at nodegroups[0].max: True is not of type 'integer'",
        ),
        (lambda d: d["nodegroups"][0].update(instance_types="m5.large"), "at nodegroups[0].instance_types:"),
        (lambda d: d.update(subnets={"nodes-a": {}}), "at subnets:"),
        (lambda d: d["subnets"][0].update(role="node"), "at subnets[0].role: 'node' is not one of"),
        (
            lambda d: d["cluster"]["cni"]["env"].update(WARM_IP_TARGET=1.5),
            "at cluster.cni.env.WARM_IP_TARGET",
        ),
        (lambda d: d.update(version=2), "at version: must be 1, not 2"),
        (lambda d: d.pop("vpc"), "at top level: 'vpc' is a required property"),
        (
            lambda d: d["nodegroups"][0].update(
                update={"max_unavailable": 1, "max_unavailable_percentage": 2}
            ),
            "at nodegroups[0].update: give max_unavailable or max_unavailable_percentage, not both",
        ),
        (
            lambda d: d["subnets"].append(dict(d["subnets"][0])),
            "at subnets[3].name: subnet name 'nodes-a' already used",
        ),
        (
            lambda d: d["nodegroups"][1].update(name="general"),
            "at nodegroups[1].name: node group name 'general'",
        ),
        (
            lambda d: d["subnets"][0]["reservations"].append({"cidr": "10.0.8.0/28"}),
            "is not inside subnet nodes-a",
        ),
    ],
)
def test_wrong_types_and_values(mutate, expect):
    assert expect in doc_error(mutate)


def test_not_a_mapping_and_empty(tmp_path):
    assert "at top level: a spec is a mapping" in spec_error(tmp_path, "- a\n- b\n")
    assert "the spec is empty" in spec_error(tmp_path, "# nothing\n")


def test_several_problems_one_line_each():
    def mutate(d):
        d["nodegroups"][0]["max"] = -1
        d["nodegroups"][1]["colour"] = "blue"

    lines = doc_error(mutate).splitlines()
    assert len(lines) == 2 and all(line.startswith("s.yaml: at nodegroups[") for line in lines)


def test_spec_suppression_problems():
    msg = doc_error(lambda d: d["suppressions"][0].update(reason="because"))
    assert "at suppressions[0].reason: give a reason of at least 10 characters" in msg
    msg = doc_error(lambda d: d["suppressions"][0].update(resource="generall"))
    assert (
        "at suppressions[0].resource: 'generall' is not a subnet" in msg and "did you mean 'general'" in msg
    )
    assert "is not a podcap rule id" in doc_error(lambda d: d["suppressions"][0].update(id="PC9"))
    assert "is not a valid date" in doc_error(lambda d: d["suppressions"][0].update(expires="2027-02-30"))


def test_spec_error_is_an_input_error():
    assert issubclass(SpecError, InputError) and issubclass(InputError, ValueError)


# -- the hardened loader ------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_fails_fast(tmp_path):
    start = time.perf_counter()
    with pytest.raises(InputError) as e:
        load_yaml(BILLION_LAUGHS, "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert "bomb.yaml:" in str(e.value) and "alias" in str(e.value) and "\n" not in str(e.value)
    # through the spec loader too
    start = time.perf_counter()
    with pytest.raises(InputError):
        load_spec(write(tmp_path, "version: 1\n" + BILLION_LAUGHS))
    assert time.perf_counter() - start < 1.0


def test_alias_nesting_and_recursion_refused():
    chain = "l0: &l0 [x]\n" + "".join(f"l{i}: &l{i} [*l{i - 1}]\n" for i in range(1, 30))
    with pytest.raises(InputError, match="nested more than"):
        load_yaml(chain, "chain.yaml")
    with pytest.raises(InputError, match="recursive"):
        load_yaml("a: &a [1, *a]\n", "rec.yaml")


def test_modest_aliases_still_work():
    assert load_yaml("base: &b {x: 1}\nother: *b\nmerged: {<<: *b, y: 2}\n", "ok.yaml") == {
        "base": {"x": 1},
        "other": {"x": 1},
        "merged": {"x": 1, "y": 2},
    }


def test_deep_nesting_refused():
    with pytest.raises(InputError, match="nested more than"):
        load_yaml("[" * 10000 + "]" * 10000, "deep.yaml")


@pytest.mark.parametrize(
    "text, expect",
    [
        ("1: x\n", "f.yaml:1:1: mapping key '1' reads as int"),
        ("on: x\n", "reads as bool True, not a string; quote it"),
        ("~: x\n", "reads as NoneType"),
        ("? [a]\n: x\n", "a mapping key must be a string, not a list"),
        ("a: 1\nb: 2\na: 3\n", "f.yaml:3:1: duplicate key 'a' (first on line 1)"),
    ],
)
def test_bad_keys(text, expect):
    with pytest.raises(InputError) as e:
        load_yaml(text, "f.yaml")
    assert expect in str(e.value)


def test_syntax_error_has_file_and_line(tmp_path):
    with pytest.raises(InputError) as e:
        load_yaml("a:\n  b: [1, 2\nc: 3\n", "broken.yaml")
    msg = str(e.value)
    assert msg.startswith("broken.yaml:") and "\n" not in msg
    assert int(msg.split(":")[1]) >= 2
    with pytest.raises(InputError, match=r"spec.yaml:\d+:\d+:"):
        load_spec(write(tmp_path, "version: 1\nname: [x\n"))


def test_dates_stay_strings_and_unknown_tags_refused():
    assert load_yaml("d: 2027-06-30\n", "d.yaml") == {"d": "2027-06-30"}
    with pytest.raises(InputError, match="d.yaml:1:4: could not determine a constructor for the tag '!Ref'"):
        load_yaml("a: !Ref x\n", "d.yaml")
    with pytest.raises(InputError, match="python/object"):
        load_yaml("a: !!python/object/apply:os.system ['true']\n", "d.yaml")


def test_make_loader_adds_tags_without_touching_plain_loads():
    cfn = make_loader(
        {
            "!Ref": lambda loader, node: {"Ref": loader.construct_scalar(node)},
            "!GetAtt": lambda loader, node: {"Fn::GetAtt": loader.construct_scalar(node).split(".", 1)},
        }
    )
    assert load_yaml("a: !Ref X\nb: !GetAtt R.Arn\n", "t.yaml", loader=cfn) == {
        "a": {"Ref": "X"},
        "b": {"Fn::GetAtt": ["R", "Arn"]},
    }
    with pytest.raises(InputError):
        load_yaml("a: !Ref X\n", "t.yaml")
    with pytest.raises(InputError, match="alias"):
        load_yaml(BILLION_LAUGHS, "t.yaml", loader=cfn)  # the limits hold in subclasses


def test_truncated_and_invalid_json(tmp_path):
    with pytest.raises(InputError) as e:
        load_json('{\n  "version": 1,\n  "subnets": [\n', "t.json")
    assert str(e.value).startswith("t.json:4:1: truncated JSON")
    with pytest.raises(InputError, match=r"t.json:1:6: invalid JSON"):
        load_json('{"a" 1}', "t.json")
    with pytest.raises(InputError, match="NaN is not valid JSON"):
        load_json('{"a": NaN}', "t.json")
    with pytest.raises(InputError, match="nested too deeply"):
        load_json("[" * 200000, "t.json")
    with pytest.raises(InputError, match=r"spec.json:\d+:\d+: truncated JSON"):
        load_spec(write(tmp_path, json.dumps(good_doc())[:-40], "spec.json"))


def test_line_map():
    lines = line_map(compose_yaml("a:\n  - x: 1\n    y: 2\n  - z\nb: c\n"))
    assert lines == {"": 1, "a": 1, "a[0]": 2, "a[0].x": 2, "a[0].y": 3, "a[1]": 4, "b": 5}


# -- the .podcap.yaml config --------------------------------------------------------------------


def finding(rule_id="PC201", resource="module.vpc.aws_subnet.private[0]", message="subnet full") -> Finding:
    return Finding(rule_id, Severity.ERROR, "t", message, resource)


def test_config_loads(tmp_path):
    path = write(
        tmp_path,
        """\
suppressions:
  - {id: PC201, resource: "module.vpc.aws_subnet.private[0]", reason: "pilot only, resized in Q3", expires: 2027-01-31}
  - {id: PC401, resource: "*", reason: "warm pools are fine here"}
strict: true
""",
        ".podcap.yaml",
    )
    cfg = load_config(path)
    assert cfg.strict is True
    (s,) = cfg.suppressions["module.vpc.aws_subnet.private[0]"]
    assert (s.rule_id, s.expires, s.source) == ("PC201", "2027-01-31", ".podcap.yaml")
    assert cfg.suppressions["*"][0].expires is None
    assert load_config(write(tmp_path, "", "empty.yaml")).suppressions == {}
    assert load_config(write(tmp_path, "suppressions: []\n", "e2.yaml")).strict is None


@pytest.mark.parametrize(
    "text, expect",
    [
        (
            "suppressions:\n  - {id: PC201, resource: x}\n",
            "at suppressions[0]: 'reason' is a required property",
        ),
        (
            "suppressions:\n  - {id: PC201, resource: x, reason: short}\n",
            "at suppressions[0].reason: give a reason of at least 10 characters",
        ),
        ("suppressions:\n  - {id: PC201, reason: long enough reason}\n", "'resource' is a required property"),
        (
            "suppressions:\n  - {id: 201, resource: x, reason: long enough reason}\n",
            "is not a podcap rule id",
        ),
        (
            "suppressions:\n  - {id: PC201, resource: x, reason: long enough reason, expires: soon}\n",
            "at suppressions[0].expires: 'soon' is not a date",
        ),
        (
            "suppressions:\n  - {id: PC201, resource: x, reason: long enough reason, until: 2027-01-01}\n",
            "unknown key 'until'",
        ),
        ("suppression: []\n", "unknown key 'suppression' (did you mean 'suppressions'?)"),
        ("strict: maybe\n", "at strict: 'maybe' is not true or false"),
        ("- a\n", "the config is a mapping"),
        ("suppressions: [\n", "cfg.yaml:2:1:"),
    ],
)
def test_config_errors(tmp_path, text, expect):
    path = write(tmp_path, text, "cfg.yaml")
    with pytest.raises(InputError) as e:
        load_config(path)
    assert str(e.value).startswith(path) and expect in str(e.value)


def test_config_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read config"):
        load_config(str(tmp_path / "nope.yaml"))


def test_apply_suppressions():
    sup = Suppression("PC201", "pilot only, resized in Q3", "2027-01-31", ".podcap.yaml")
    star = Suppression("PC401", "warm pools are fine here")
    f1 = finding()
    f2 = finding(resource="other")  # another resource: not suppressed
    f3 = finding("PC202")  # another rule: not suppressed
    f4 = finding("PC401", resource="anything")  # "*" matches every resource
    apply_suppressions(
        [f1, f2, f3, f4], {"module.vpc.aws_subnet.private[0]": [sup], "*": [star]}, date(2027, 1, 31)
    )  # the expiry day itself still counts
    assert f1.suppressed is sup and f4.suppressed is star
    assert f2.suppressed is None and f3.suppressed is None
    assert f1.message == "subnet full"


def test_expired_suppression_no_longer_applies():
    sup = Suppression("PC201", "pilot only, resized in Q3", "2027-01-31", ".podcap.yaml")
    f = finding()
    apply_suppressions([f], {f.resource: [sup]}, date(2027, 2, 1))
    assert f.suppressed is None
    assert f.message == "subnet full (suppression expired on 2027-01-31)"
    apply_suppressions([f], {f.resource: [sup]}, date(2027, 2, 1))  # not appended twice
    assert f.message.count("expired") == 1
    # an active suppression next to the expired one wins
    g = finding()
    active = Suppression("PC201", "extended until the migration", "2027-12-31")
    apply_suppressions([g], {g.resource: [sup, active]}, date(2027, 2, 1))
    assert g.suppressed is active and "expired" not in g.message


def test_spec_suppressions_apply_through_config_logic(tmp_path):
    p = load_spec(write(tmp_path, GOOD))
    f = finding("PC203", resource="nodes-a")
    g = finding("PC401", resource="general")
    apply_suppressions([f, g], p.suppressions, date(2028, 1, 1))
    assert f.suppressed is not None and f.suppressed.source == "spec"  # "*" without expiry
    assert g.suppressed is None and g.message.endswith("(suppression expired on 2027-06-30)")
