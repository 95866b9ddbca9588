"""The fast paths behind node pools (Karpenter NodePools, EKS Auto Mode's built-in pools) give exactly what
the type-by-type code gave.

* :func:`podcap.engine.karpenter.select_types` judges the requirements on a label the name tells
  (category, generation, family, size, capability-flex, the type itself) and Auto Mode's ``supported_name``
  first, before it builds a type's limits, and judges the types again in the NodePool's order when a
  requirement before a name-told one could then be reported otherwise. It is held equal to the selection
  as it was written before (kept here as ``_select_reference``: every type built, ``allowed`` first, the
  old ``type_label`` for every requirement in order), over the built-in pools, the NodePools of
  tests/data/k8s, hand-picked orders and generated requirements, on the shipped snapshot and on snapshots
  whose stored names are not their keys; ``matcher`` is held equal to ``requirement_matches``.
* :func:`podcap.analysis.analyse_nodegroup` and ``refine_node_pool`` work a pool's figures once per distinct
  limits (``_figures_key``) and give the other types the same figures under their own names. They are held
  equal to the analysis with every type worked on its own (``_figures_key`` replaced by a key no two types
  share), over generated pools and whole checks of real inputs; so is refine_node_pool keeping the
  allocation analyse_nodegroup made at the same figures (``_allocated_at``).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import podcap.data
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap import analysis
from podcap.analysis import analyse
from podcap.check import CheckOptions, check_plan, load_plans, one_plan
from podcap.engine.auto_mode import builtin_requirements, supported, supported_name
from podcap.engine.karpenter import (
    _TYPE_LABEL,
    INSTANCE_TYPE_SCHEME,
    ZONE_LABELS,
    Requirement,
    TypeSelection,
    _always_true,
    _int,
    _provider_suffix,
    described,
    matcher,
    name_labels,
    narrows_types,
    parse_requirements,
    requirement_matches,
    select_types,
    type_label,
)
from podcap.limits import InstanceLimits, load_snapshot, parse_snapshot
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet
from podcap.model.unknown import Unknown
from podcap.report import FORMATS
from podcap.rules import REGISTRY
from podcap.sources.manifests import load_manifests
from podcap.sources.spec import plan_from_spec_dict

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FIXTURES = ROOT.parent / "shared" / "fixtures"
SNAP = load_snapshot()
NAMES = SNAP.names()


# -- the selection as it was written before the name-first judging -------------------------------------------


def _label_reference(lim: InstanceLimits, key: str):
    """type_label as it was: every name-told label worked from the name at each call."""
    name = lim.name
    suffix = _provider_suffix(key)
    if key in (_TYPE_LABEL, "beta.kubernetes.io/instance-type") or suffix not in (
            "instance-category", "instance-generation", "instance-family", "instance-size",
            "instance-capability-flex"):
        return type_label(lim, key)  # not told by the name: the same code as before
    m = INSTANCE_TYPE_SCHEME.match(name)
    parts = name.split(".")
    if suffix == "instance-category":
        return m.group(1) if m else None
    if suffix == "instance-generation":
        return m.group(3) if m else None
    if suffix == "instance-family":
        return parts[0] if len(parts) == 2 else None
    if suffix == "instance-size":
        return parts[1] if len(parts) == 2 else None
    return "true" if "-flex" in parts[0] else "false"


def _select_reference(requirements, snapshot, where, allowed=None) -> TypeSelection:
    """select_types before the name-first judging: each type built, then judged requirement by requirement."""
    sel = TypeSelection()
    type_reqs = []
    for r in requirements:
        if r.key in ZONE_LABELS:
            if r.operator == "In":
                sel.zones = sorted(set(r.values) & set(sel.zones) if sel.zones is not None else set(r.values))
            elif r.operator == "NotIn":
                sel.zones_excluded.extend(r.values)
            continue
        if narrows_types(r.key) and not _always_true(r):
            type_reqs.append(r)
    for r in type_reqs:
        if _provider_suffix(r.key) == "instance-cpu":
            nums = [v for v in (_int(x) for x in r.values) if v is not None]
            floor = (min(nums) if r.operator == "In" and nums else
                     nums[0] + 1 if r.operator == "Gt" and len(nums) == 1 else None)
            if floor is not None:
                sel.cpu_floor = max(sel.cpu_floor or 0, floor)
    names, unlisted, mac = [], [], []
    undecided: dict = {}
    decided: set = set()
    first_unknown: dict = {}
    named = {v for r in requirements if r.key in (_TYPE_LABEL, "beta.kubernetes.io/instance-type")
             and r.operator == "In" for v in r.values}
    for name in snapshot.names():
        lim = snapshot.types[name]
        if allowed is not None and not allowed(lim):
            continue
        ok = True
        open_reqs = []
        for r in type_reqs:
            value = _label_reference(lim, r.key)
            if isinstance(value, Unknown):
                open_reqs.append(r)
                first_unknown.setdefault(r, value)
                continue
            decided.add(r)
            if not requirement_matches(r, value):
                ok = False
                break
        if ok and lim.architectures == ():  # a Mac type: never listed to Karpenter
            mac.append(name)
        elif ok and not described(lim) and name not in named:
            unlisted.append(name)
        elif ok:
            names.append(name)
            for r in open_reqs:
                undecided.setdefault(r, []).append(name)
    for r, unk in first_unknown.items():
        if r not in decided:
            sel.unknown = Unknown(f"requirement {r.key} {r.operator} {list(r.values)}: {unk.reason}", where)
            return sel
    for r, kept in undecided.items():
        shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
        sel.notes.append(f"requirement {r.key} {r.operator} {list(r.values)} cannot be told for {shown} "
                         f"({first_unknown[r].reason}): kept as candidates, the worst case")
    if mac:
        shown = ", ".join(mac[:5]) + (f" and {len(mac) - 5} more" if len(mac) > 5 else "")
        sel.notes.append(f"{len(mac)} Mac type(s) left out ({shown}): Karpenter lists only x86_64 and "
                         "arm64 types (DescribeInstanceTypes processor-info.supported-architecture)")
    if unlisted:
        shown = ", ".join(unlisted[:5]) + (f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else "")
        sel.notes.append(f"{len(unlisted)} type(s) known only from AWS's published ENI tables, not from the "
                         f"snapshot's DescribeInstanceTypes, left out ({shown}): Karpenter offers the types "
                         "DescribeInstanceTypes lists; name one in node.kubernetes.io/instance-type to keep "
                         "it")
    if not names:
        sel.unknown = Unknown("no instance type in the instance-limits snapshot meets the NodePool's "
                              "requirements", where)
    sel.types = names
    return sel


def _both(reqs, snapshot, auto: bool) -> None:
    fast = select_types(reqs, snapshot, "pool", supported if auto else None, supported_name if auto else None)
    assert fast == _select_reference(reqs, snapshot, "pool", supported if auto else None)
    # without the name prefilter too (a caller that gives only ``allowed``)
    assert select_types(reqs, snapshot, "pool", supported if auto else None) == fast


NAME_KEYS = ["karpenter.k8s.aws/instance-category", "eks.amazonaws.com/instance-generation",
             "karpenter.k8s.aws/instance-family", "eks.amazonaws.com/instance-size",
             "karpenter.k8s.aws/instance-capability-flex", "node.kubernetes.io/instance-type",
             "beta.kubernetes.io/instance-type"]
OTHER_KEYS = ["karpenter.k8s.aws/instance-cpu", "kubernetes.io/arch", "karpenter.k8s.aws/instance-memory",
              "karpenter.k8s.aws/instance-gpu-count", "karpenter.k8s.aws/instance-hypervisor",
              "karpenter.k8s.aws/instance-accelerator-name", "karpenter.k8s.aws/instance-local-nvme",
              "karpenter.sh/capacity-type", "topology.kubernetes.io/zone", "example.com/team"]
VALUES = ["c", "m", "r", "t", "4", "5", "7", "m5", "c7i-flex", "large", "xlarge", "metal", "true", "false",
          "m5.large", "c6g.xlarge", "2", "8", "16384", "amd64", "arm64", "nitro", "xen", "1", "us-east-1a"]
requirements = st.lists(st.builds(Requirement, st.sampled_from(NAME_KEYS + OTHER_KEYS),
                                  st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]),
                                  st.lists(st.sampled_from(VALUES), max_size=3).map(tuple)), max_size=4)


def test_name_labels_are_type_labels_for_every_snapshot_type():
    for name in NAMES:
        lim = SNAP.types[name]
        for key in NAME_KEYS:
            assert type_label(lim, key) == _label_reference(lim, key), (name, key)


@pytest.mark.parametrize("name", ["m5.large", "c7i-flex.2xlarge", "u-6tb1.metal", "x", "a.b.c", "M5.Large",
                                  "p6-b200.48xlarge", ".large", "m5."])
def test_name_labels_of_odd_names(name):
    lim = dataclasses.replace(SNAP.get("m5.large"), name=name)
    for key in NAME_KEYS:
        assert type_label(lim, key) == _label_reference(lim, key), key
    # u-6tb1.metal: the scheme's optional "-6tb" group, so category "u", generation "1", family "u-6tb1"
    if name == "u-6tb1.metal":
        assert name_labels(name)[:4] == ("u", "1", "u-6tb1", "metal")


def test_matcher_is_requirement_matches():
    """Every operator (and one that is none of them) over value lists around the Gt / Lt bounds."""
    candidates = [None, "", "4", "5", "6", "-1", "x", "m", "04", " 5"]
    value_lists = [(), ("5",), ("4", "6"), ("x",), ("m", "5"), ("",), ("5", "5")]
    for op in ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Bogus"]:
        for values in value_lists:
            req = Requirement("karpenter.k8s.aws/instance-cpu", op, values)
            match = matcher(req)
            for v in candidates:
                assert match(v) == requirement_matches(req, v), (op, values, v)
    # Gt 4: "5" matches, "4" does not, "x" is no number (4 < 5 and 4 is not > 4)
    gt = matcher(Requirement("k", "Gt", ("4",)))
    assert (gt("5"), gt("4"), gt("x"), gt(None)) == (True, False, False, False)


@pytest.mark.parametrize("pool", ["general-purpose", "system"])
@pytest.mark.parametrize("auto", [True, False])
def test_builtin_pools_select_as_before(pool, auto):
    _both(builtin_requirements(pool), SNAP, auto)


def _manifest_requirements() -> list[list[Requirement]]:
    out = []
    for f in sorted((DATA / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "NodePool":
                raw = (((doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get("requirements")
                reqs, _ = parse_requirements(raw, f.name)
                out.append(reqs)
    return out


def test_manifest_node_pools_select_as_before():
    pools = _manifest_requirements()
    assert len(pools) >= 4  # the Karpenter v1 and Auto Mode NodePools of tests/data/k8s
    for reqs in pools:
        for auto in (False, True):
            _both(reqs, SNAP, auto)


CPU, FAMILY, TYPE = ("karpenter.k8s.aws/instance-cpu", "karpenter.k8s.aws/instance-family",
                     "node.kubernetes.io/instance-type")


@pytest.mark.parametrize("reqs", [
    # arch first, as Karpenter's examples write it: told for every described type, so judged by name first
    [Requirement("kubernetes.io/arch", "In", ("amd64",)), Requirement("karpenter.k8s.aws/instance-category",
                                                                      "In", ("c", "m"))],
    # a label the snapshot never tells, before a name-told one: judged again in order
    [Requirement("karpenter.k8s.aws/instance-local-nvme", "Exists"), Requirement(FAMILY, "In", ("m5",))],
    # c5a.metal (only in AWS's ENI tables: no vCPUs) named and kept, so instance-cpu is undecided for a kept
    # type; the reason names the first type whose vCPUs are unknown in the NodePool's order, not c5a.metal
    [Requirement(CPU, "Gt", ("2",)), Requirement(FAMILY, "In", ("c5a",)),
     Requirement(TYPE, "In", ("c5a.metal", "c5a.large"))],
    [Requirement(CPU, "Gt", ("2",)), Requirement(FAMILY, "In", ("c5a",))],
    # only c5a.metal passes the name, and its vCPUs are unknown: judged by name first, instance-cpu would be
    # told for no type (the whole set Unknown); in order it is told for the others, and c5a.metal is kept
    [Requirement(CPU, "Gt", ("2",)), Requirement(TYPE, "In", ("c5a.metal",))],
    # the same, c5a.metal then left out by its hypervisor: no type is kept, and in order instance-cpu was
    # told for other types, so the set is Unknown because nothing meets the requirements, not because
    # instance-cpu cannot be told
    [Requirement(CPU, "Gt", ("2",)), Requirement(TYPE, "In", ("c5a.metal",)),
     Requirement("karpenter.k8s.aws/instance-hypervisor", "In", ("nonesuch",))],
], ids=["arch-first", "never-told-first", "cpu-undecided-first", "cpu-first", "cpu-told-only-in-order",
        "cpu-told-only-in-order-none-kept"])
def test_a_requirement_before_a_name_told_one_selects_as_before(reqs):
    for auto in (False, True):
        _both(reqs, SNAP, auto)


def test_cpu_undecided_names_the_first_type_in_order():
    """instance-cpu Gt 2 before the family: the note's reason is that of the first type, in the snapshot's
    order, whose vCPU count is unknown, as judging in order finds it."""
    reqs = [Requirement(CPU, "Gt", ("2",)), Requirement(FAMILY, "In", ("c5a",)),
            Requirement(TYPE, "In", ("c5a.metal", "c5a.large"))]
    if SNAP.types["c5a.metal"].vcpus is not None:
        pytest.skip("the snapshot knows c5a.metal's vCPUs")
    first = next(n for n in NAMES if SNAP.types[n].vcpus is None)
    sel = select_types(reqs, SNAP, "pool")
    assert sel.types == ["c5a.metal"]  # c5a.large has 2 vCPUs: not > 2
    (note,) = [n for n in sel.notes if n.startswith(f"requirement {CPU}")]
    assert f"no vCPU count for {first}" in note


@settings(max_examples=60, deadline=None)
@given(reqs=requirements, auto=st.booleans())
def test_generated_requirements_select_as_before(reqs, auto):
    _both(reqs, SNAP, auto)


def _doc() -> dict:
    """The shipped snapshot as a document, to write a --snapshot of another shape from."""
    return json.loads(Path(podcap.data.__file__).with_name("instance_limits.json").read_text(encoding="utf-8"))


def test_stored_names_that_are_not_keys_select_as_before():
    """A --snapshot whose names are not lower case: the type's own name (M5.Large) gives its labels, and two
    names of one key (m5.xlarge, M5.XLARGE) keep the last one, as parse_snapshot does."""
    doc = _doc()
    recs = doc["instance_types"]
    recs["M5.Large"] = recs.pop("m5.large")
    recs["C6G.xlarge"] = recs.pop("c6g.xlarge")
    snap = parse_snapshot(doc)
    assert snap.types["m5.large"].name == "M5.Large"
    for reqs in [builtin_requirements("system"),
                 [Requirement("karpenter.k8s.aws/instance-family", "In", ("m5",))],
                 [Requirement("karpenter.k8s.aws/instance-category", "NotIn", ("c", "r"))]]:
        for auto in (False, True):
            _both(reqs, snap, auto)
    # the upper-case name matches no category: left out of the system pool, as before
    system = select_types(builtin_requirements("system"), snap, "p", supported, supported_name)
    assert "m5.large" not in system.types
    recs["M5.XLARGE"] = dict(recs["m5.xlarge"])
    dup = parse_snapshot(doc)
    assert len(dup.records) != len(dup.types)
    for auto in (False, True):
        _both([Requirement("karpenter.k8s.aws/instance-family", "In", ("m5",))], dup, auto)


# -- node pool analysis: figures once per distinct limits ------------------------------------------------


def _general(monkeypatch) -> None:
    """Every type worked on its own (a key no two types share), and refine_node_pool allocating every type
    anew rather than keeping analyse_nodegroup's allocation made at the same figures."""
    monkeypatch.setattr(analysis, "_figures_key", lambda lim: (object(),))
    monkeypatch.setattr(analysis, "_allocated_at", lambda t, k, pods: False)


def _view(plan: Plan) -> tuple:
    a = analyse(plan, SNAP)
    return ([(na.types, na.unknowns, na.unknown_types, na.ordering_figures, na.sizes) for na in a.nodegroups],
            plan.notes, [(sid, sa.contributions) for sid, sa in a.subnets.items()])


ENVS = [{}, {"ENABLE_PREFIX_DELEGATION": "true"}, {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"},
        {"ENABLE_POD_ENI": "true"}, {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true", "WARM_ENI_TARGET": "2"},
        {"MAX_ENI": "2", "ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "2"},
        {"ENABLE_IPv6": "true", "ENABLE_PREFIX_DELEGATION": "true"}]


def _pool_plan(types, env, **pool) -> Plan:
    plan = Plan(source="t.yaml", kind="spec")
    plan.subnets["A"] = Subnet(id="A", cidr="10.0.0.0/20", az="us-east-1a")
    plan.subnets["B"] = Subnet(id="B", cidr="10.0.16.0/20", az="us-east-1b")
    plan.subnets["P"] = Subnet(id="P", cidr="10.1.0.0/18", az="us-east-1a")
    plan.clusters["C"] = Cluster(id="C", subnets=["A", "B"], cni_env=dict(env),
                                 eni_configs={"us-east-1a": "P"})
    plan.nodegroups.append(NodeGroup(name="pool", cluster="C", instance_types=list(types), subnets=["A", "B"],
                                     min_size=0, desired_size=3, max_size=7, zone_balanced=False, **pool))
    return plan


pools = st.fixed_dictionaries({
    "provisioner": st.sampled_from(["karpenter", "auto-mode"]),
    "ami_family": st.sampled_from([None, "al2023", "bottlerocket", "al2", "windows2022", "nonesuch"]),
    "kubelet_max_pods": st.sampled_from([None, None, 20, 110, 250]),
    "pods_per_core": st.sampled_from([None, None, 0, 4, 10]),
    "reserved_enis": st.integers(0, 2),
    "pods_per_node": st.sampled_from([None, None, 5, 30, 200]),
    "sgp_pods_per_node": st.sampled_from([None, 0, 3]),
    "max_pods_cap": st.sampled_from([None, 110]),
    "max_pods_expression": st.sampled_from([None, None, "max_pods + 3", "default_enis * 4", "(("]),
    "os": st.sampled_from(["linux", "linux", "windows"]),
    "network_env": st.sampled_from([None, None, {"ENABLE_PREFIX_DELEGATION": "true"}]),
})


@settings(max_examples=40, deadline=None)
@given(types=st.lists(st.sampled_from(NAMES + ["no-such.type"]), min_size=1, max_size=40),
       env=st.sampled_from(ENVS), pool=pools)
def test_generated_pools_analyse_as_type_by_type(types, env, pool):
    fast = _view(_pool_plan(types, env, **pool))
    with pytest.MonkeyPatch.context() as mp:
        _general(mp)
        general = _view(_pool_plan(types, env, **pool))
    assert fast == general


@pytest.mark.parametrize("pool", [
    {"provisioner": "karpenter", "ami_family": "al2023", "pods_per_core": 10},
    {"provisioner": "auto-mode", "ami_family": "bottlerocket", "max_pods_cap": 110, "sgp_pods_per_node": 3,
     "pods_per_node": 30},
], ids=["karpenter", "auto-mode"])
@pytest.mark.parametrize("env", ENVS, ids=lambda e: ",".join(e) or "defaults")
def test_a_pool_of_every_snapshot_type_analyses_as_type_by_type(env, pool, monkeypatch):
    """Every type of the snapshot in one pool: each distinct limits key and every type that shares one."""
    fast = _view(_pool_plan(NAMES, env, **pool))
    _general(monkeypatch)
    assert fast == _view(_pool_plan(NAMES, env, **pool))


def test_figures_key_holds_every_field_the_figures_read():
    """Types that differ in any field but name, sources, architectures, memory, GPUs and accelerators (which
    only choose types and bound a pool's nodes) have different keys."""
    base = SNAP.get("m5.large")
    skipped = {"name", "sources", "architectures", "memory_mib", "gpus", "accelerators"}
    other = {int: 999, str: "other", bool: None, tuple: ((9, 9),), type(None): 7}
    for f in dataclasses.fields(InstanceLimits):
        if f.name in skipped:
            continue
        value = getattr(base, f.name)
        changed = dataclasses.replace(base, **{f.name: other[type(value)]})
        assert analysis._figures_key(changed) != analysis._figures_key(base), f.name
    assert analysis._figures_key(dataclasses.replace(base, name="x.large", memory_mib=1)) == \
        analysis._figures_key(base)


def _report(plans: list[Plan]) -> str:
    (plan,) = plans
    res = check_plan(plan, CheckOptions(paths=[]), SNAP)
    return FORMATS["json"](res, rules=REGISTRY)


SPEC = {
    "version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
    "subnets": [
        {"name": "a", "cidr": "10.0.0.0/24", "az": "us-east-1a", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "b", "cidr": "10.0.1.0/24", "az": "us-east-1b", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1a"},
    ],
    "cluster": {"subnets": ["cp"]},
}


def _inputs() -> list:
    out = [("k8s", f) for f in sorted((DATA / "k8s").glob("*.yaml"))]
    out += [("file", DATA / "eksctl" / "42-auto-mode.yaml"),
            ("file", DATA / "cdk" / "eks-v2-auto-mode-fargate" / "assembly")]
    fixture = FIXTURES / "cdk" / "aws-cdk-eks-v2-alpha-addon" / "EksClusterWithAddonStack.template.json"
    out.append(("file", fixture))
    return out


@pytest.mark.parametrize(("how", "path"), _inputs(), ids=lambda p: getattr(p, "name", p))
def test_whole_checks_report_as_type_by_type(how, path, monkeypatch):
    if not path.exists():
        pytest.skip(f"{path} is absent")

    def plans():
        if how == "k8s":
            return one_plan([plan_from_spec_dict(SPEC, "spec.yaml"), load_manifests(str(path))])
        return one_plan(load_plans([str(path)], CheckOptions(paths=[str(path)])))

    fast = _report(plans())
    _general(monkeypatch)
    assert fast == _report(plans())


def test_a_plan_without_node_pools_does_not_import_the_node_pool_engine():
    """Every check passes through the Kubernetes-object reader; Karpenter's and Auto Mode's engines are
    imported only when a NodePool or an Auto Mode cluster is read."""
    import subprocess
    import sys

    code = ("import sys\n"
            "ENGINES = ('podcap.engine.karpenter', 'podcap.engine.auto_mode')\n"
            "from podcap.limits import load_snapshot\n"
            "from podcap.model.plan import Cluster, Plan\n"
            "from podcap.sources.objects.kubernetes import resolve_kubernetes_objects\n"
            "plan = Plan(source='t.yaml', kind='spec')\n"
            "plan.clusters['C'] = Cluster(id='C')\n"
            "resolve_kubernetes_objects(plan, load_snapshot())\n"
            "print(sorted(m for m in ENGINES if m in sys.modules))\n"
            "plan.clusters['C'].auto_mode = True\n"
            "plan.clusters['C'].auto_mode_pools = ['system']\n"
            "resolve_kubernetes_objects(plan, load_snapshot())\n"
            "print(sorted(m for m in ENGINES if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['podcap.engine.auto_mode', 'podcap.engine.karpenter']"]
