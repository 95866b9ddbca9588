"""The fast paths of the CloudFormation and Terraform readers give exactly what the general code gives.

Each fast path stands beside the general form it short-cuts, which is still in the tree:

* CloudFormation: literals, Refs to resources and flat literal mappings taken without the evaluator's calls
  (``Resolver.fast_paths`` switched off runs the general evaluator alone), canonical CIDR blocks read
  without ``ipaddress``, the line numbers of pretty-printed JSON against the bracket scanner, node-group
  ordering walked only as far as needed against the whole dependency closure, where-paths as one f-string.
* Terraform: root-module addresses read by one regular expression against the segment parser, plan entries
  checked without their where-paths against ``Builder._address_of``, ``after_unknown`` leaves written in
  place, one-attribute where-paths, and the caches of ``follow`` (an expression per configuration resource,
  the items of a splat) against the uncached walk.

Inputs: every real template and plan under tests/data and the shared fixtures (skipped when absent), the
generated benchmark inputs of bench/ at a small size, and hypothesis-generated values.
"""
from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.model.unknown import Unknown
from podcap.sources.cdk_assembly import load_assembly
from podcap.sources.cloudformation import load_template, plan_from_template
from podcap.sources.cloudformation.network import canonical_ipv4_cidr
from podcap.sources.cloudformation.template import (
    StackBuilder,
    _indented_resource_lines,
    _references,
    _scanned_resource_lines,
    read_template,
)
from podcap.sources.intrinsics import MAX_DEPTH, NO_VALUE, Resolver, ResourceRef, is_literal
from podcap.sources.safe_yaml import InputError
from podcap.sources.terraform.plan import (
    AFTER_APPLY,
    Builder,
    Lit,
    ResItem,
    _entry_address,
    _general_address,
    _is_subnet_ref,
    _is_type_ref,
    _merge_at,
    _path_text,
    _root_address,
    _str_list,
    _where,
    _where_path,
    plan_from_terraform,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "fixtures"


def _bench(name: str) -> Any:
    """A module of bench/ (not a package: its modules import one another by name)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


def _templates() -> list[Path]:
    out = sorted((DATA / "cfn").glob("*.y*ml")) + sorted((DATA / "cfn").glob("*.json"))
    if SHARED.is_dir():
        out += sorted(p for p in (SHARED / "cfn").rglob("*") if p.suffix in (".json", ".yaml", ".yml"))
        out += sorted((SHARED / "cdk").rglob("*.template.json"))
    return out


def _assemblies() -> list[Path]:
    return sorted(p.parent for p in DATA.rglob("manifest.json"))


def _plans() -> list[Path]:
    out = sorted((DATA / "tfplan").glob("*.json"))
    if SHARED.is_dir():
        out += sorted((SHARED / "tfplan").rglob("*.json"))
    return out


@pytest.fixture(scope="module")
def template_500(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bench_scale's template at a tenth of its size: 50 subnets, 10 node groups after the vpc-cni add-on."""
    path = tmp_path_factory.mktemp("bench") / "t50.json"
    _bench("bench_scale").template_500(path, subnets=50, groups=10)
    return path


def _outcome(fn: Any) -> Any:
    """What a read gives: its value, or the InputError it raises (as text)."""
    try:
        return fn()
    except InputError as e:
        return f"InputError: {e}"


# -- CloudFormation: the evaluator's fast paths --------------------------------------------------------


def test_fast_paths_equal_the_general_evaluator_on_every_real_template(monkeypatch, template_500):
    """The whole plan of each template is the same with the fast paths on and off (dataclass equality:
    every figure, Unknown reason and where-path, location and note)."""
    paths = [*_templates(), template_500]
    assert len(paths) >= 4
    for path in paths:
        fast = _outcome(lambda p=path: load_template(str(p)))
        monkeypatch.setattr(Resolver, "fast_paths", False)
        general = _outcome(lambda p=path: load_template(str(p)))
        monkeypatch.setattr(Resolver, "fast_paths", True)
        assert fast == general, path


def test_fast_paths_equal_the_general_evaluator_on_cdk_assemblies(monkeypatch):
    paths = _assemblies()
    assert paths, "tests/data holds CDK assemblies"
    for path in paths:
        fast = _outcome(lambda p=path: load_assembly(str(p)))
        monkeypatch.setattr(Resolver, "fast_paths", False)
        general = _outcome(lambda p=path: load_assembly(str(p)))
        monkeypatch.setattr(Resolver, "fast_paths", True)
        assert fast == general, path


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (a ResourceRef is not a plain str)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ResourceRef):
        return a == b and a.logical_id == b.logical_id and a.resource_type == b.resource_type
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or a is b


# "Dup" is a parameter and a resource both (CloudFormation refuses that; the resolver takes the parameter)
_NAMES = ["Vpc", "SubnetA", "P", "PList", "PNone", "Dup", "AWS::Region", "AWS::NoValue", "AWS::StackName",
          "Nowhere"]
_scalars = (st.none() | st.booleans() | st.integers(-5, 300) | st.floats(allow_nan=False, width=32)
            | st.sampled_from(["10.0.0.0/24", "us-east-1a", "", "x{{resolve:ssm:/a}}", "{{resolve:secretsmanager:s}}"])
            | st.text(max_size=6))
_refs = st.builds(lambda n: {"Ref": n}, st.sampled_from(_NAMES))
_functions = (_refs
              | st.builds(lambda n: {"Fn::GetAtt": [n, "CidrBlock"]}, st.sampled_from(["Vpc", "SubnetA", "P"]))
              | st.builds(lambda xs: {"Fn::Join": ["-", xs]}, st.lists(_scalars | _refs, max_size=3))
              | st.just({"Fn::GetAZs": ""}))
_values = st.recursive(
    _scalars | _functions,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["Key", "Value", "Ref", "Fn::If", "Fn::Sub", "Name", "Size"]), inner,
                      max_size=3),
    max_leaves=12)


def _doc(value: Any) -> dict:
    return {
        "Parameters": {"P": {"Type": "String", "Default": "10.1.0.0/16"},
                       "PList": {"Type": "CommaDelimitedList", "Default": "a, b"},
                       "PNone": {"Type": "String"}, "Dup": {"Type": "String", "Default": "dup"}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Dup": {"Type": "AWS::EC2::VPC", "Properties": {}},
            "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "X": value}},
        },
    }


@settings(max_examples=400, deadline=None)
@given(_values)
def test_resolve_with_fast_paths_equals_the_general_evaluator(value):
    """One value through a resolver with the fast paths and one without: same value, same types, same
    Unknowns (reason and where-path), or the same InputError; a node resolved again is the same object."""
    doc = _doc(value)
    fast, general = Resolver(doc, source="t.json"), Resolver(doc, source="t.json")
    general.fast_paths = False
    where = "Resources.SubnetA.Properties.X"
    a, b = _outcome(lambda: fast.resolve(value, where)), _outcome(lambda: general.resolve(value, where))
    assert _same(a, b), (value, a, b)
    if isinstance(value, (dict, list)) and not isinstance(a, str):
        assert fast.resolve(value, where) is a  # memoized: the same result object, as the general path gives


@settings(max_examples=200, deadline=None)
@given(_values)
def test_builder_prop_with_fast_paths_equals_the_general_evaluator(value):
    """``BuilderBase.prop`` (literals and Refs to resources returned as written) against the resolver."""
    from podcap.model.plan import Plan
    from podcap.sources.cloudformation.base import Pending

    doc = _doc(value)
    res = doc["Resources"]["SubnetA"]
    fast = StackBuilder(Plan(source="t.json", kind="cloudformation"), Pending(), doc, "t.json")
    general = StackBuilder(Plan(source="t.json", kind="cloudformation"), Pending(), doc, "t.json")
    general.r.fast_paths = False
    for name in ("X", "VpcId", "Absent"):
        a = _outcome(lambda n=name: fast.prop("SubnetA", res, n))
        b = _outcome(lambda n=name: general.prop("SubnetA", res, n))
        assert _same(a, b), (name, value, a, b)


def test_literals_and_depth_by_hand():
    r = Resolver(_doc(1))
    assert is_literal("10.0.0.0/24") and is_literal(3) and is_literal(None) and is_literal(False)
    assert not is_literal("{{resolve:ssm:/cidr}}") and not is_literal({"Ref": "Vpc"}) and not is_literal([])
    assert r.resolve("{{resolve:ssm:/cidr}}", "X") == Unknown(
        "dynamic reference '{{resolve:ssm:/cidr}}' is resolved at deployment", "X")
    ref = r.resolve({"Ref": "Vpc"})
    assert r.resource_ref({"Ref": "Vpc"}) is ref  # one ResourceRef per logical id
    assert (ref, ref.logical_id, ref.resource_type) == ("Vpc", "Vpc", "AWS::EC2::VPC")
    assert r.resource_ref({"Ref": "P"}) is None  # a parameter: the general way
    assert r.resource_ref({"Ref": "Dup"}) is None and r.resolve({"Ref": "Dup"}) == "dup"  # the parameter wins
    assert r.resource_ref({"Ref": "AWS::Region"}) is None
    # a literal one level past MAX_DEPTH (120) is refused with the fast paths too: nesting 121 lists
    # puts the innermost string at depth 121 > 120
    deep: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    general = Resolver(_doc(1))
    general.fast_paths = False
    a, b = _outcome(lambda: Resolver(_doc(1)).resolve(deep, "D")), _outcome(lambda: general.resolve(deep, "D"))
    assert a == b and str(a).startswith("InputError") and "nested more than 120 deep" in a
    shallow: Any = "x"
    for _ in range(MAX_DEPTH):
        shallow = [shallow]
    assert Resolver(_doc(1)).resolve(shallow) == shallow  # 120 lists: the string sits at depth 120, allowed


def test_no_value_items_are_dropped_both_ways():
    value = {"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}, {"Key": "k", "Value": "v"}]}
    general = Resolver(_doc(value))
    general.fast_paths = False
    expected = {"B": [1, {"Key": "k", "Value": "v"}]}
    assert Resolver(_doc(value)).resolve(value) == general.resolve(value) == expected
    assert NO_VALUE is Resolver(_doc(1)).resolve({"Ref": "AWS::NoValue"})


# -- CloudFormation: the readers' own fast paths ------------------------------------------------------------


def _ipaddress_accepts(s: str) -> bool:
    """What _ipv4_cidr's general path accepts: a v4 network with a prefix length written as ipaddress
    writes it (no host bits set)."""
    try:
        net = ipaddress.ip_network(s, strict=False)
    except ValueError:
        return False
    return net.version == 4 and "/" in s and str(net) == s


_octet_text = st.one_of(st.sampled_from(["0", "10", "255"]), st.integers(0, 255).map(str),
                        st.integers(0, 300).map(str), st.sampled_from(["00", "010", "0255", "١٠", "1e1", "-1", " 1"]))
_cidr_text = st.builds(lambda a, b, c, d, p: f"{a}.{b}.{c}.{d}/{p}", _octet_text, _octet_text, _octet_text,
                       _octet_text, st.one_of(st.sampled_from(["32", "0", "24"]), st.integers(0, 40).map(str),
                                              st.sampled_from(["08", "", "24 ", "٢٤"])))


@settings(max_examples=2000, deadline=None)
@given(_cidr_text | st.text(alphabet="0123456789./:af ", max_size=20))
def test_canonical_ipv4_cidr_is_what_ipaddress_accepts(s):
    assert canonical_ipv4_cidr(s) == _ipaddress_accepts(s), s


def test_canonical_ipv4_cidr_by_hand():
    assert canonical_ipv4_cidr("10.0.0.0/24")
    assert canonical_ipv4_cidr("0.0.0.0/0")
    assert canonical_ipv4_cidr("10.0.3.252/30")  # 252 = 0b11111100: the two host bits of a /30 are clear
    assert not canonical_ipv4_cidr("10.0.3.254/30")  # 254 sets the second host bit
    assert not canonical_ipv4_cidr("10.0.0.1/24")  # host bits set
    assert not canonical_ipv4_cidr("010.0.0.0/24")  # a leading zero, which ipaddress refuses
    assert not canonical_ipv4_cidr("10.0.0.0/08")  # ipaddress reads it as /8, then writes "/8"
    assert not canonical_ipv4_cidr("10.0.0.0")  # no prefix length
    assert not canonical_ipv4_cidr("256.0.0.0/8")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Vpc", "Subnet-1", "A\\\"b", "Resources", "x"]), min_size=1, max_size=6,
                unique=True),
       st.integers(1, 4), st.booleans(), st.booleans())
def test_indented_resource_lines_equal_the_scanner(ids, indent, crlf, decoy_first):
    """Pretty-printed JSON at any indentation (and with CRLF line ends): the indentation reading gives the
    scanner's lines whenever it gives any. A "Resources" key nested higher up (a parameter of that name)
    makes it give none, and the scanner decides; so does an id written with escapes."""
    resources = {i: {"Type": "AWS::EC2::VPC", "Properties": {"Resources": [{"x": i}]}} for i in ids}
    decoy = {"Resources": {"Type": "String"}}
    doc = ({"Parameters": decoy, "Resources": resources} if decoy_first
           else {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, "Parameters": decoy})
    text = json.dumps(doc, indent=indent)
    if crlf:
        text = text.replace("\n", "\r\n")
    got = _indented_resource_lines(text, list(ids))
    escaped = any('"' in i for i in ids)  # the text holds the key escaped, not the id: not matched
    assert got is not None or decoy_first or escaped
    assert got is None or got == _scanned_resource_lines(text)


def test_indented_resource_lines_on_real_json(template_500):
    paths = [p for p in [*_templates(), template_500] if p.suffix == ".json"]
    assert paths
    for path in paths:
        text = path.read_text()
        ids = list(json.loads(text)["Resources"])
        got = _indented_resource_lines(text, ids)
        if got is not None:
            assert got == _scanned_resource_lines(text), path
    # the generated template: "Vpc" is the first resource, on line 4 (after "{", the version, "Resources")
    text = template_500.read_text()
    assert _indented_resource_lines(text, list(json.loads(text)["Resources"]))["Resources.Vpc"] == 4


def _builders(path: Path) -> StackBuilder:
    from podcap.model.plan import Plan
    from podcap.sources.cloudformation.base import Pending

    doc, lines = read_template(str(path))
    return StackBuilder(Plan(source=str(path), kind="cloudformation"), Pending(), doc, str(path), lines=lines)


def test_created_after_any_equals_the_dependency_closure(template_500):
    """For every resource of every template and several target sets: the walk that stops at the first
    target decides as the whole closure does."""
    checked = 0
    for path in [*_templates(), template_500]:
        try:
            b = _builders(path)
        except InputError:
            continue
        ids = [str(k) for k in b.doc["Resources"]]
        targets = [set(ids[::3]), set(ids[1::5]), {i for i in ids if "Cni" in i or "Addon" in i}, set()]
        for lid in ids:
            for t in targets:
                assert b.created_after_any(lid, t) == bool(b.depends_on(lid) & t), (path, lid, t)
                checked += 1
    assert checked > 100


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCDEF"), st.lists(st.sampled_from("ABCDEFG"), max_size=4), max_size=6),
       st.sets(st.sampled_from("ABCDEFG"), max_size=3))
def test_created_after_any_on_random_graphs(edges, targets):
    """Cycles, self references, names of no resource, DependsOn and Refs mixed."""
    from podcap.model.plan import Plan
    from podcap.sources.cloudformation.base import Pending

    resources: dict[str, Any] = {}
    for name, deps in edges.items():
        resources[name] = {"Type": "AWS::EC2::VPC", "DependsOn": deps[:1],
                           "Properties": {"Refs": [{"Ref": d} for d in deps[1:]]}}
    doc = {"Resources": resources}
    b = StackBuilder(Plan(source="t", kind="cloudformation"), Pending(), doc, "t")
    for lid in resources:
        assert b.created_after_any(lid, targets) == bool(b.depends_on(lid) & targets)


def _references_reference(value: Any) -> set[str]:
    """The references a value makes, by plain recursion over every node (the form _references replaced)."""
    out: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "Ref" and isinstance(x, str):
                    out.add(x)
                elif k == "Fn::GetAtt" and isinstance(x, list) and x and isinstance(x[0], str):
                    out.add(x[0])
                elif k == "Fn::GetAtt" and isinstance(x, str):
                    out.add(x.split(".", 1)[0])
                elif k == "Fn::Sub":
                    text = x[0] if isinstance(x, list) and x else x
                    if isinstance(text, str):
                        out.update(n.split(".", 1)[0].strip() for n in re.findall(r"\$\{([^!}][^}]*)\}", text))
                    if isinstance(x, list) and len(x) > 1:
                        walk(x[1])
                    continue
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(value)
    return out


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    _scalars | _refs | st.builds(lambda t: {"Fn::Sub": t}, st.sampled_from(["${Vpc}-${!Lit}", "${A.B}", "x"]))
    | st.builds(lambda n: {"Fn::GetAtt": n}, st.sampled_from(["Vpc.CidrBlock", "S", ["R", "Arn"]])),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["P", "Q", "Fn::Sub"]), inner,
                                                                max_size=2),
    max_leaves=10))
def test_references_equal_plain_recursion(value):
    assert _references(value) == _references_reference(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8), st.lists(st.text(max_size=6), max_size=3), st.sampled_from(["", "net.json:"]))
def test_where_path_f_string_equals_join(lid, parts, prefix):
    from podcap.model.plan import Plan
    from podcap.sources.cloudformation.base import Pending

    b = StackBuilder(Plan(source="t", kind="cloudformation"), Pending(), {"Resources": {}}, "t",
                     where_prefix=prefix)
    assert b.w(lid, *parts) == prefix + ".".join(["Resources", lid, *parts])


@settings(max_examples=300, deadline=None)
@given(_scalars | st.builds(ResourceRef, st.sampled_from(["Vpc", "a"])) | st.just(Unknown("u", "w"))
       | st.lists(st.integers(), max_size=2))
def test_prop_string_equals_string(v):
    from podcap.model.plan import Plan
    from podcap.sources.cloudformation.base import Pending

    b = StackBuilder(Plan(source="t", kind="cloudformation"), Pending(), {"Resources": {}}, "t")
    got = b.prop_string(v, "VpcId", "Sub", "VpcId")
    want = b.string(v, "VpcId", b.w("Sub", "Properties", "VpcId"))
    assert got == want and type(got) is type(want)


def test_plan_from_template_of_the_generated_template(template_500):
    """The fast paths at work on bench_scale's shape, checked by hand: subnet i is 10.0.i.0/24 in
    us-east-1[a|b|c][i % 3]; node group g uses subnets 5g..5g+4 and is created after the configured
    vpc-cni add-on (DependsOn VpcCni)."""
    doc = json.loads(template_500.read_text())
    plan = plan_from_template(doc, str(template_500))
    s7 = plan.subnets["Subnet7"]
    assert (s7.cidr, s7.az, s7.vpc) == ("10.0.7.0/24", "us-east-1b", "Vpc")  # 7 % 3 = 1 -> us-east-1b
    assert s7.tags == {"Name": "subnet-7", "kubernetes.io/role/internal-elb": "1"}
    ng = next(n for n in plan.nodegroups if n.name == "Nodes3")
    assert ng.subnets == ["Subnet15", "Subnet16", "Subnet17", "Subnet18", "Subnet19"]  # 5 * 3 = 15
    assert (ng.min_size, ng.desired_size, ng.max_size) == (1, 2, 6)  # MaxSize 3 + 3 % 4 = 6
    assert ng.ordered_after_cni is True


# -- Terraform -----------------------------------------------------------------------------------------------

_tf_name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,5}", fullmatch=True) | st.sampled_from(
    ["data", "module", "count", "var", "aws_subnet"])
_tf_index = st.sampled_from(["", "[0]", "[12]", "[-3]", "[007]", "[ 1 ]", '["a"]', "[*]", "[١]", "[1e3]",
                             "[" + "9" * 19 + "]", "[" + "9" * 20 + "]"])


@settings(max_examples=2000, deadline=None)
@given(st.builds(lambda a, b, i, tail: f"{a}.{b}{i}{tail}", _tf_name, _tf_name, _tf_index,
                 st.sampled_from(["", ".id", ".x.y", "[0]", "."]))
       | st.text(alphabet="ab._[]0-\"", max_size=12))
def test_root_address_equals_the_segment_parser(text):
    fast = _root_address(text)
    assert fast is None or fast == _general_address(text), text


def test_root_address_by_hand():
    a = _root_address("aws_subnet.private[3]")
    assert (a.ctx, a.mode, a.type, a.name, a.key) == ((), "managed", "aws_subnet", "private", 3)
    assert a[:4] == (a.ctx, a.mode, a.type, a.name)  # the instances index key, read as a slice
    assert _root_address("aws_vpc.main").key is None
    assert _root_address("data.aws_vpc.main") is None and _general_address("data.aws_vpc.main").mode == "data"
    assert _root_address("module.vpc.aws_subnet.a[0]") is None
    assert _root_address('aws_subnet.a["x"]') is None and _general_address('aws_subnet.a["x"]').key == "x"


_entries = st.fixed_dictionaries({}, optional={
    "address": st.sampled_from(["aws_subnet.a[0]", "module.m.aws_vpc.v", "data.aws_vpc.d", "", "bad address",
                                "aws_subnet.a[*]"]) | st.integers(),
    "mode": st.sampled_from(["managed", "data", "other", None]) | st.integers(),
}) | st.lists(st.integers(), max_size=1) | st.none()


@settings(max_examples=500, deadline=None)
@given(_entries)
def test_entry_address_equals_address_of(entry):
    """A well-formed entry: what _address_of returns; anything else: None, and _address_of refuses it."""
    b = Builder({"format_version": "1.2", "planned_values": {}}, "p.json")
    fast = _entry_address(entry)
    if not isinstance(entry, dict):
        assert fast is None
        return
    try:
        general = b._address_of(entry, "resource_changes[0]")
    except InputError:
        assert fast is None
        return
    assert fast == general


def _merge_reference(after: Any, unknown: Any, where: str) -> Any:
    """``after`` with ``after_unknown`` laid over it, every level by the same recursion (the form the
    in-place leaves short-cut)."""
    if unknown is True:
        return Unknown(AFTER_APPLY, where)
    if isinstance(unknown, dict) and unknown:
        base = after if isinstance(after, dict) else {}
        out = dict(base)
        for k, u in unknown.items():
            if u:
                out[k] = _merge_reference(base.get(k), u, f"{where}[{k}]" if isinstance(k, int) else f"{where}.{k}")
        return out
    if isinstance(unknown, list) and unknown:
        base_list = after if isinstance(after, list) else []
        return [_merge_reference(base_list[i] if i < len(base_list) else None,
                                 unknown[i] if i < len(unknown) else False, f"{where}[{i}]")
                for i in range(max(len(base_list), len(unknown)))]
    return after


_unknowns = st.recursive(st.booleans() | st.none(),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                             st.sampled_from(["id", "arn", "tags", "subnet_ids"]), inner, max_size=3),
                         max_leaves=8)
_afters = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                           st.sampled_from(["id", "arn", "tags", "name"]), inner, max_size=3),
                       max_leaves=8)


@settings(max_examples=500, deadline=None)
@given(_afters, _unknowns)
def test_merge_equals_the_plain_recursion(after, unknown):
    assert _merge_at(after, unknown, "aws_subnet.a") == _merge_reference(after, unknown, "aws_subnet.a")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=6), st.lists(st.text(max_size=4) | st.integers(-2, 3), max_size=3).map(tuple))
def test_where_equals_where_path(address, path):
    assert _where(address, path) == _where_path(address, path)
    if len(path) == 1 and isinstance(path[0], str) and path[0] and not path[0].startswith("["):
        assert _where(address, path) == f"{address}.{path[0]}" == _where_path(address, path)
    assert _path_text(("tags", 0)) == "tags[0]"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=3) | st.integers(), max_size=3) | st.none() | st.text(max_size=2))
def test_str_list_is_a_list_of_strings(v):
    assert _str_list(v) == (isinstance(v, list) and all(isinstance(a, str) for a in v))


def _tf_docs() -> list[tuple[str, dict]]:
    gen = _bench("tfplan_gen")
    out = [("generated", gen.build_plan(60, 6, 3))]
    for path in _plans():
        out.append((str(path), json.loads(path.read_text())))
    return out


def _item_key(i: Any) -> Any:
    if isinstance(i, ResItem):
        return ("res", i.res.address, i.attr, i.ref)
    if isinstance(i, Lit):
        return ("lit", json.dumps(i.value, sort_keys=True, default=str), i.ref)
    return i


def _follow_key(got: Any) -> Any:
    return got if isinstance(got, Unknown) else [_item_key(i) for i in got]


def test_follow_with_its_caches_equals_the_uncached_walk():
    """For every unknown top-level attribute of every resource of every plan, with the predicates the
    readers use: a built plan's (cached) follow, and single, against expression -> resolve_expr -> expand
    on a plan only indexed (nothing cached)."""
    accepts = [(_is_subnet_ref, "subnets"), (_is_type_ref("aws_vpc"), "a VPC"),
               (_is_type_ref("aws_eks_cluster"), "an EKS cluster")]
    checked = 0
    for name, doc in _tf_docs():
        try:
            plan_from_terraform(doc, name)
        except InputError:
            continue
        from podcap.sources import terraform as registry

        built = Builder(doc, name)
        built.build(registry.READERS, registry.FINISHERS)
        fresh = Builder(doc, name)
        fresh._index()
        for address, res in built.managed.items():
            other = fresh.managed[address]
            for attr, value in list(res.values.items()):
                if not isinstance(value, Unknown):
                    continue
                path = (attr,)
                for accept, what in accepts:
                    got = built.follow(res, path, accept, what)
                    where = _where(address, path)
                    expr = fresh.expression(other, path)
                    if expr is None:
                        want: Any = Unknown(AFTER_APPLY, where)
                    else:
                        want = fresh.expand(fresh.resolve_expr(expr, other.ctx, where, 0, own=other), accept, what,
                                            where)
                        if isinstance(want, Unknown):
                            want = Unknown(want.reason, where)
                    assert _follow_key(got) == _follow_key(want), (name, address, attr, what)
                    single = built.single(res, path, accept, what)
                    if isinstance(want, list) and want:
                        distinct = {_item_key(i)[1] for i in want}
                        if len(distinct) == 1:
                            assert _item_key(single) == _item_key(want[0])
                    checked += 1
    assert checked > 50


def test_splat_items_are_fresh_lists_of_equal_items():
    """Two node groups on one subnet family read the same splat: equal items, and a list of their own."""
    doc = _bench("tfplan_gen").build_plan(12, 4, 2)  # 12 subnets in 2 families, 4 groups: 2 per family
    b = Builder(doc, "gen")
    b._index()
    first = b.resolve_ref("aws_subnet.f0", (), "w", 0)
    second = b.resolve_ref("aws_subnet.f0", (), "w", 0)
    assert first == second and first is not second
    assert [i.res.address for i in first] == [f"aws_subnet.f0[{k}]" for k in range(6)]  # 12 / 2 = 6 each
    first.clear()
    assert len(b.resolve_ref("aws_subnet.f0", (), "w", 0)) == 6


def _closure_reference(b: Builder, start: tuple) -> tuple[set[tuple], list[str]]:
    """The dependency closure walked with ``_edges`` called afresh at every node (no cache)."""
    seen: set[tuple] = set()
    blind: list[str] = []
    stack = [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(n for n in b._edges(node, blind) if n not in seen)
    return seen, blind


def test_dependency_closures_with_cached_edges_equal_the_fresh_walk():
    """Every configuration resource of every plan: the closure (and the locals it could not follow, in
    order) with each node's edges worked out once equals the walk that works them out at every visit."""
    checked = 0
    for name, doc in _tf_docs():
        try:
            b = Builder(doc, name)
            b._index()
        except InputError:
            continue
        fresh = Builder(doc, name)
        fresh._index()
        for (names, address) in list(b.config_resources):
            start = ("res", names, address)
            assert b._closure(start) == _closure_reference(fresh, start), (name, address)
            checked += 1
    assert checked > 20
