"""infra/: the CDK constructs, and podcap's validation plugin during an in-process `app.synth()`.

Synths share module-scoped fixtures (one per app); the built-in CloudFormation validator is switched off
in them (``builtin_cloud_formation_validation=False``): it costs ~9 s per synth and is not what is tested.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from podcap.cdk.cni import CniSettings

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = str(ROOT / "examples" / "reference.yaml")
UNDERSIZED = str(ROOT / "examples" / "undersized.yaml")

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

try:
    import aws_cdk as cdk
    from aws_cdk.assertions import Match, Template

    HAVE_CDK = shutil.which("node") is not None
except ImportError:  # the `cdk` extra is not installed
    HAVE_CDK = False

cdk_only = [pytest.mark.cdk, pytest.mark.skipif(not HAVE_CDK, reason="needs aws-cdk-lib and Node.js")]


def _apply(marks):
    def deco(fn):
        for m in reversed(marks):
            fn = m(fn)
        return fn
    return deco


cdk_test = _apply(cdk_only)


# -- CniSettings: plain Python, no CDK -------------------------------------------------------------------


def test_cni_env_all_strings_only_what_is_set():
    s = CniSettings(prefix_delegation=True, warm_prefix_target=1, max_eni=2,
                    extra_env={"AWS_VPC_K8S_CNI_EXTERNALSNAT": "true"})
    assert s.env() == {"WARM_PREFIX_TARGET": "1", "ENABLE_PREFIX_DELEGATION": "true", "MAX_ENI": "2",
                       "AWS_VPC_K8S_CNI_EXTERNALSNAT": "true"}
    assert CniSettings().env() == {}
    assert s.engine_settings().prefix_delegation and s.engine_settings().max_eni == 2


def test_cni_from_env_round_trip_keeps_unparsable_values_raw():
    s = CniSettings.from_env({"ENABLE_PREFIX_DELEGATION": "true", "WARM_IP_TARGET": "abc", "MAX_ENI": 0,
                              "WARM_ENI_TARGET": 2})
    assert s.prefix_delegation is True and s.warm_eni_target == 2
    # the CNI ignores these values; podcap must still see them (PC003), so they stay as written
    assert s.extra_env == {"WARM_IP_TARGET": "abc", "MAX_ENI": "0"}
    assert s.env()["WARM_IP_TARGET"] == "abc"


def test_cni_custom_networking_configuration_block():
    s = CniSettings(custom_networking=True)
    doc = s.configuration(region="eu-west-1", eni_subnets={"eu-west-1a": "subnet-1"}, security_groups=["sg-1"])
    assert doc == {
        "env": {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true", "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone"},
        "eniConfig": {"create": True, "region": "eu-west-1",
                      "subnets": {"eu-west-1a": {"id": "subnet-1", "securityGroups": ["sg-1"]}}},
    }
    with pytest.raises(ValueError, match="pod subnet per AZ"):
        s.configuration(region="eu-west-1")
    with pytest.raises(ValueError, match="custom_networking is off"):
        CniSettings().configuration(eni_subnets={"a": "subnet-1"})
    with pytest.raises(ValueError, match="typed field"):
        CniSettings(warm_ip_target=3, extra_env={"WARM_IP_TARGET": "3"})
    assert s.needs_kubelet_max_pods() and not CniSettings().needs_kubelet_max_pods()


# -- synth helpers --------------------------------------------------------------------------------------


class Synth:
    """One in-process synth: the assembly folder, the error CDK raised (if any) and the plugin."""

    def __init__(self, outdir: str, error: Exception | None, plugin, stack_name: str) -> None:
        self.outdir, self.error, self.plugin, self.stack_name = outdir, error, plugin, stack_name

    def template(self, name: str | None = None) -> dict:
        with open(os.path.join(self.outdir, f"{name or self.stack_name}.template.json")) as fh:
            return json.load(fh)

    def assertions(self) -> Template:
        return Template.from_json(self.template())

    def report(self) -> dict:
        """podcap's entry in validation-report.json (CDK leaves out a plugin with nothing to say)."""
        with open(os.path.join(self.outdir, "validation-report.json")) as fh:
            reps = [r for r in json.load(fh)["pluginReports"] if r["pluginName"] == "podcap"]
        assert self.plugin.last_result is not None, "the plugin did not run"
        return reps[0] if reps else {"conclusion": "success", "violations": []}


def synth(build, tmp: str, *, context: dict | None = None, plugin_kwargs: dict | None = None) -> Synth:
    """``build(app) -> stack name``; synth in-process with podcap's plugin, catching CDK's ValidationFailed."""
    from podcap.cdk.validation import PodcapValidationPlugin

    app = cdk.App(outdir=tmp, context=context or {}, builtin_cloud_formation_validation=False)
    name = build(app)
    plugin = PodcapValidationPlugin(**(plugin_kwargs or {}))
    cdk.Validations.of(app).add_plugins(plugin)
    error = None
    try:
        app.synth()
    except Exception as e:  # jsii re-raises CDK's UnscopedValidationError
        error = e
    return Synth(tmp, error, plugin, name)


def spec_builder(path: str, waive: list[tuple[str, str]] | None = None):
    def build(app):
        from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document, stack_id_for
        from podcap.cdk.validation import acknowledge

        doc = load_spec_document(path)
        stack = PodcapSpecStack(app, stack_id_for(doc), spec=doc, source=path)
        for subnet, rule in waive or []:
            acknowledge(stack.spec.network.subnet(subnet), rule, "lab cluster, small on purpose")
        return stack.stack_name
    return build


@pytest.fixture(scope="module")
def workdir():
    d = tempfile.mkdtemp(prefix="podcap-infra-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def reference(workdir):
    return synth(spec_builder(REFERENCE), os.path.join(workdir, "reference"))


@pytest.fixture(scope="module")
def undersized(workdir):
    return synth(spec_builder(UNDERSIZED), os.path.join(workdir, "undersized"))


@pytest.fixture(scope="module")
def waived(workdir):
    return synth(spec_builder(UNDERSIZED, [("nodes-a", "PC201"), ("nodes-b", "PC201")]),
                 os.path.join(workdir, "waived"))


def _custom_networking_app(app):
    from podcap.cdk.cluster import NodeGroupSpec, PodcapCluster
    from podcap.cdk.network import PodcapNetwork, Reservation, SubnetSpec

    stack = cdk.Stack(app, "CustomNet")
    net = PodcapNetwork(
        stack, "Net", cidr="10.1.0.0/16", secondary_cidrs=["100.64.0.0/16"],
        node_subnets=[SubnetSpec("nodes-a", "us-east-1a", mask=24,
                                 reservations=[Reservation("10.1.0.128/26")]),
                      SubnetSpec("nodes-b", "us-east-1b", cidr="10.1.1.0/24")],
        pod_subnets=[SubnetSpec("pods-a", "us-east-1a", mask=19), SubnetSpec("pods-b", "us-east-1b", mask=19)],
    )
    PodcapCluster(
        stack, "Eks", network=net, cni=CniSettings(custom_networking=True),
        nodegroups=[NodeGroupSpec("web", ["m5.large", "m5.xlarge"], ["nodes-a", "nodes-b"], min_size=1,
                                  desired_size=2, max_size=4, pods_per_node=12, max_unavailable_percentage=25)],
    )
    return stack.stack_name


@pytest.fixture(scope="module")
def custom_net(workdir):
    return synth(_custom_networking_app, os.path.join(workdir, "custom-net"))


def resources(template: dict, rtype: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == rtype}


def join_to_text(value) -> str:
    """A ConfigurationValues string or Fn::Join, tokens replaced by <Ref:X> / <GetAtt:X.Y> placeholders."""
    if isinstance(value, str):
        return value
    sep, parts = value["Fn::Join"]
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif "Ref" in p:
            out.append(f"<Ref:{p['Ref']}>")
        else:
            out.append(f"<GetAtt:{'.'.join(p['Fn::GetAtt'])}>")
    return sep.join(out)


# -- constructs -----------------------------------------------------------------------------------------


@cdk_test
def test_reference_synthesizes_clean(reference):
    assert reference.error is None, reference.error
    rep = reference.report()
    assert rep["conclusion"] == "success" and rep["violations"] == []


@cdk_test
def test_subnet_cidrs_are_literal_and_exact(reference, custom_net):
    t = reference.assertions()
    t.resource_count_is("AWS::EC2::Subnet", 3)
    t.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": True})
    for cidr, az in [("10.0.0.0/20", "us-east-1a"), ("10.0.16.0/20", "us-east-1b"), ("10.0.32.0/20", "us-east-1c")]:
        t.has_resource_properties("AWS::EC2::Subnet", {"CidrBlock": cidr, "AvailabilityZone": az})

    # masks are allocated in order, around explicit blocks; pod subnets from the secondary CIDR
    cn = custom_net.template()
    cidrs = sorted(r["Properties"]["CidrBlock"] for r in resources(cn, "AWS::EC2::Subnet").values())
    assert cidrs == ["10.1.0.0/24", "10.1.1.0/24", "100.64.0.0/19", "100.64.32.0/19"]
    (block,) = resources(cn, "AWS::EC2::VPCCidrBlock")
    pods = [k for k, r in resources(cn, "AWS::EC2::Subnet").items() if r["Properties"]["CidrBlock"].startswith("100.")]
    assert all(cn["Resources"][k]["DependsOn"] == [block] for k in pods)
    (res,) = resources(cn, "AWS::EC2::SubnetCidrReservation").values()
    assert res["Properties"]["Cidr"] == "10.1.0.128/26" and res["Properties"]["ReservationType"] == "prefix"


@cdk_test
def test_nodegroups_al2023_after_the_addon(reference, custom_net):
    t = reference.assertions()
    t.has_resource_properties("AWS::EKS::Nodegroup", {
        "AmiType": "AL2023_x86_64_STANDARD",
        "InstanceTypes": ["m5.large"],
        "NodegroupName": "general",
        "ScalingConfig": {"MinSize": 2, "DesiredSize": 3, "MaxSize": 6},
        "UpdateConfig": {"MaxUnavailable": 1},
        "CapacityType": "ON_DEMAND",
    })
    for tpl in (reference.template(), custom_net.template()):
        (addon,) = resources(tpl, "AWS::EKS::Addon")
        for ng in resources(tpl, "AWS::EKS::Nodegroup").values():
            assert addon in ng["DependsOn"]
    cn = custom_net.template()
    (ng,) = resources(cn, "AWS::EKS::Nodegroup").values()
    (res,) = resources(cn, "AWS::EC2::SubnetCidrReservation")
    assert res in ng["DependsOn"]  # reserved ranges exist before the first node takes addresses
    assert ng["Properties"]["UpdateConfig"] == {"MaxUnavailablePercentage": 25}


@cdk_test
def test_addon_configuration_values(reference, custom_net):
    t = reference.assertions()
    t.has_resource_properties("AWS::EKS::Addon", {
        "AddonName": "vpc-cni",
        "ResolveConflicts": "OVERWRITE",
        "ConfigurationValues": Match.serialized_json(
            {"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}),
    })
    (addon,) = resources(custom_net.template(), "AWS::EKS::Addon").values()
    text = join_to_text(addon["Properties"]["ConfigurationValues"])
    doc = json.loads(text)
    assert doc["env"] == {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
                          "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone"}
    eni = doc["eniConfig"]
    assert eni["create"] is True and eni["region"] == "<Ref:AWS::Region>"
    assert set(eni["subnets"]) == {"us-east-1a", "us-east-1b"}
    assert re.fullmatch(r"<Ref:NetSubnetPodsA\w+>", eni["subnets"]["us-east-1a"]["id"])
    assert eni["subnets"]["us-east-1a"]["securityGroups"] == [
        f"<GetAtt:{next(iter(resources(custom_net.template(), 'AWS::EKS::Cluster')))}.ClusterSecurityGroupId>"]


@cdk_test
def test_launch_template_sets_max_pods(reference, custom_net, undersized):
    def user_data(tpl):
        (lt,) = resources(tpl, "AWS::EC2::LaunchTemplate").values()
        return lt["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]

    ref = reference.template()
    assert "application/node.eks.aws" in user_data(ref) and "maxPods: 110" in user_data(ref)  # kubelet_max_pods
    (lt_id,) = resources(ref, "AWS::EC2::LaunchTemplate")
    (ng,) = resources(ref, "AWS::EKS::Nodegroup").values()
    assert ng["Properties"]["LaunchTemplate"] == {
        "Id": {"Ref": lt_id}, "Version": {"Fn::GetAtt": [lt_id, "LatestVersionNumber"]}}
    # custom networking: the primary ENI holds no pods -> m5.large (2 x 9 + 2 = 20) is the smaller one
    assert "maxPods: 20\n" in user_data(custom_net.template())
    # default CNI settings: the AMI default is right, no launch template
    assert resources(undersized.template(), "AWS::EC2::LaunchTemplate") == {}


@cdk_test
def test_demand_recorded_in_metadata(custom_net, reference):
    (ng,) = resources(custom_net.template(), "AWS::EKS::Nodegroup").values()
    assert ng["Metadata"]["podcap"] == {"pods_per_node": 12}
    (ng,) = resources(reference.template(), "AWS::EKS::Nodegroup").values()
    assert "podcap" not in ng.get("Metadata", {})


@cdk_test
def test_bad_construct_props_fail_early():
    from podcap.cdk.cluster import NodeGroupSpec, max_pods_user_data
    from podcap.cdk.network import SubnetSpec

    with pytest.raises(ValueError, match="cidr or a mask"):
        SubnetSpec("a", "us-east-1a")
    with pytest.raises(ValueError, match="is not a /24"):
        SubnetSpec("a", "us-east-1a", cidr="10.0.0.0/20", mask=24)
    with pytest.raises(ValueError, match="min"):
        NodeGroupSpec("g", ["m5.large"], ["a"], min_size=3, max_size=2)
    with pytest.raises(ValueError, match="AL2023 or Bottlerocket"):
        max_pods_user_data("AL2_x86_64", 20)
    assert "max-pods = 20" in max_pods_user_data("BOTTLEROCKET_x86_64", 20)


# -- the plugin -----------------------------------------------------------------------------------------


@cdk_test
def test_undersized_fails_synth_naming_subnet_and_numbers(undersized):
    assert undersized.error is not None, "synth of examples/undersized.yaml should fail"
    text = str(undersized.error)
    assert "PC201" in text and "ValidationFailed" in text
    for subnet in ("SubnetNodesA", "SubnetNodesB"):
        assert f"podcap-undersized/Network/{subnet}" in text  # construct path
    assert "NetworkSubnetNodesA82E588ED" in text  # logical id
    assert "needs 182 addresses at max size but has 59 usable" in text
    assert "Suggested fix: needs a /24" in text
    rep = undersized.report()
    assert rep["conclusion"] == "failure"
    v = rep["violations"][0]
    assert v["ruleName"] == "PC201" and v["severity"] == "error"
    (vc,) = v["violatingConstructs"]
    assert vc["constructPath"].startswith("podcap-undersized/Network/Subnet")
    assert vc["cloudFormationResource"]["templatePath"] == "podcap-undersized.template.json"


@cdk_test
def test_acknowledged_waiver(waived):
    assert waived.error is None, waived.error
    rep = waived.report()
    assert rep["violations"] == []
    acked = rep["suppressedViolations"]
    assert {(s["ruleName"], s["acknowledgedId"]) for s in acked} == {("PC201", "podcap::PC201")}
    assert {s["acknowledgedAt"] for s in acked} == {"podcap-undersized/Network/SubnetNodesA",
                                                    "podcap-undersized/Network/SubnetNodesB"}
    assert all(s["reason"] == "lab cluster, small on purpose" for s in acked)
    # ... and written where `podcap check cdk.out` reads it
    subnets = resources(waived.template(), "AWS::EC2::Subnet").values()
    assert all(s["Metadata"]["podcap"]["suppress"] == [{"id": "PC201", "reason": "lab cluster, small on purpose"}]
               for s in subnets)
    from podcap.check import CheckOptions, run_check

    result, _ = run_check(CheckOptions(paths=[waived.outdir]))
    assert result.exit_code() == 0
    assert {f.rule_id for f in result.findings if f.suppressed} == {"PC201"}


@cdk_test
def test_expired_waiver_does_not_apply(workdir):
    import datetime as dt

    from podcap.cdk.validation import acknowledge

    def build(app):
        from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document

        stack = PodcapSpecStack(app, "Expired", spec=load_spec_document(UNDERSIZED))
        acknowledge(stack.spec.network, "PC201", "was fine until the end of last year", expires="2001-12-31")
        return "Expired"

    s = synth(build, os.path.join(workdir, "expired"))
    assert s.error is not None and "suppression expired on 2001-12-31" in str(s.error)
    with pytest.raises(ValueError, match="reason"):
        acknowledge(cdk.Stack(cdk.App(), "X"), "PC201", "short")
    with pytest.raises(ValueError, match="rule id"):
        acknowledge(cdk.Stack(cdk.App(), "X"), "201", "long enough reason")
    assert dt.date.today().year > 2001


def _plugin_findings(s: Synth) -> set[tuple[str, str]]:
    rep = s.report()
    return {(v["ruleName"], v["ruleMetadata"]["resource"]) for v in rep["violations"]}


def _check_findings(outdir: str) -> set[tuple[str, str]]:
    from podcap.check import CheckOptions, run_check

    result, _ = run_check(CheckOptions(paths=[outdir]))
    return {(f.rule_id, f.resource) for f in result.active() if f.severity.value != "info"}


@cdk_test
def test_plugin_agrees_with_podcap_check(reference, undersized, custom_net, waived):
    for s in (reference, undersized, custom_net, waived):
        assert _plugin_findings(s) == _check_findings(s.outdir), s.stack_name
    assert {r for r, _ in _plugin_findings(undersized)} == {"PC201"}


@cdk_test
def test_strict_context_fails_on_warnings(workdir):
    def build(app):
        from podcap.cdk.cluster import NodeGroupSpec, PodcapCluster
        from podcap.cdk.network import PodcapNetwork, SubnetSpec

        stack = cdk.Stack(app, "Typo")
        net = PodcapNetwork(stack, "Net", cidr="10.2.0.0/16", node_subnets=[SubnetSpec("a", "us-east-1a", mask=20),
                                                                            SubnetSpec("b", "us-east-1b", mask=20)])
        PodcapCluster(stack, "Eks", network=net, cni=CniSettings(extra_env={"WARM_IP_TARGET": "five"}),
                      nodegroups=[NodeGroupSpec("g", ["m5.large"], ["a", "b"], max_size=2)])
        return "Typo"

    lax = synth(build, os.path.join(workdir, "typo"))
    assert lax.error is None
    warned = [v for v in lax.report()["violations"] if v["ruleName"] == "PC003"]
    assert warned and warned[0]["severity"] == "warning"
    strict = synth(build, os.path.join(workdir, "typo-strict"), context={"podcap:strict": "true"})
    assert strict.error is not None and "PC003" in str(strict.error)


@cdk_test
def test_live_context_runs_live_lookup(workdir, monkeypatch):
    from podcap import check

    seen = []
    monkeypatch.setattr(check, "enrich_live", lambda plan, opts: seen.append((plan.kind, opts.live)))
    s = synth(spec_builder(REFERENCE), os.path.join(workdir, "live"), context={"podcap:live": "true"})
    assert s.error is None and seen == [("cdk-assembly", True)]
    seen.clear()
    synth(spec_builder(REFERENCE), os.path.join(workdir, "not-live"))
    assert seen == []


@cdk_test
def test_nested_stack_found_through_the_assembly(workdir):
    """In-process synth writes no aws:asset:path: the plugin links nested templates via the asset manifest."""
    def build(app):
        from podcap.cdk.from_spec import build_from_spec, load_spec_document

        parent = cdk.Stack(app, "Parent")
        build_from_spec(cdk.NestedStack(parent, "Inner"), load_spec_document(UNDERSIZED))
        return "Parent"

    s = synth(build, os.path.join(workdir, "nested"))
    assert s.error is not None
    rep = s.report()
    paths = {vc["constructPath"] for v in rep["violations"] for vc in v["violatingConstructs"]}
    assert paths == {"Parent/Inner/Network/SubnetNodesA", "Parent/Inner/Network/SubnetNodesB"}
    assert {vc["cloudFormationResource"]["templatePath"] for v in rep["violations"]
            for vc in v["violatingConstructs"]} == {"ParentInner571755B8.nested.template.json"}
    assert not any(v["ruleName"] == "PC001" for v in rep["violations"])
    # the assembly is left as CDK wrote it
    parent = s.template("Parent")
    (nested,) = resources(parent, "AWS::CloudFormation::Stack").values()
    assert "aws:asset:path" not in nested.get("Metadata", {})


@cdk_test
def test_spec_suppressions_become_waivers(workdir):
    from podcap.cdk.from_spec import load_spec_document

    doc = load_spec_document(UNDERSIZED)
    doc["suppressions"] = [{"id": "PC201", "resource": "*", "reason": "lab cluster, small on purpose"}]

    def build(app):
        from podcap.cdk.from_spec import PodcapSpecStack

        PodcapSpecStack(app, "Suppressed", spec=doc, source="undersized+suppressions")
        return "Suppressed"

    s = synth(build, os.path.join(workdir, "suppressed"))
    assert s.error is None, s.error
    assert {v["acknowledgedAt"] for v in s.report()["suppressedViolations"]} == {"Suppressed"}
    assert _check_findings(s.outdir) == set()


@cdk_test
def test_bad_spec_fails_with_spec_errors():
    from podcap.cdk.from_spec import build_from_spec, load_spec_document
    from podcap.sources.spec import SpecError

    doc = load_spec_document(UNDERSIZED)
    doc["nodegroups"][0]["subnets"] = ["nodes-x"]
    with pytest.raises(SpecError, match="no subnet named 'nodes-x'"):
        build_from_spec(cdk.Stack(cdk.App(), "Bad"), doc, source="bad.yaml")


# -- CDK acknowledgments, stages, ids, parameters, .podcap.yaml names ------------------------------------


def _check(outdir: str, **kwargs):
    from podcap.check import CheckOptions, run_check

    result, _ = run_check(CheckOptions(paths=[outdir], **kwargs))
    return result


@cdk_test
def test_direct_cdk_acknowledgment_reaches_podcap_check(workdir):
    """`Validations.of(scope).acknowledge(podcap::PC201)` without podcap's helper: synth and `podcap check
    cdk.out` agree, the findings listed as suppressed with the acknowledgment's reason."""
    def build(scope_of):
        def b(app):
            from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document

            stack = PodcapSpecStack(app, "Direct", spec=load_spec_document(UNDERSIZED))
            cdk.Validations.of(scope_of(stack)).acknowledge(
                cdk.Acknowledgment(id="podcap::PC201", reason="lab cluster, acknowledged in CDK"))
            return "Direct"
        return b

    whole = synth(build(lambda st: st), os.path.join(workdir, "direct-stack"))
    assert whole.error is None, whole.error
    assert {s["acknowledgedAt"] for s in whole.report()["suppressedViolations"]} == {"Direct"}
    result = _check(whole.outdir)
    assert result.exit_code() == 0
    sup = [f for f in result.findings if f.suppressed is not None]
    assert {f.rule_id for f in sup} == {"PC201"} and len(sup) == 2
    assert {(f.suppressed.source, f.suppressed.reason) for f in sup} == {
        ("cdk-acknowledge", "lab cluster, acknowledged in CDK")}
    assert _plugin_findings(whole) == _check_findings(whole.outdir) == set()

    # on one subnet: only that subnet's finding is acknowledged, the other still fails both
    one = synth(build(lambda st: st.spec.network.subnet("nodes-a")), os.path.join(workdir, "direct-subnet"))
    assert one.error is not None
    assert _plugin_findings(one) == _check_findings(one.outdir) == {("PC201", "Direct/NetworkSubnetNodesB57C1B8ED")}
    (acked,) = [f for f in _check(one.outdir).findings if f.suppressed is not None]
    assert acked.resource == "Direct/NetworkSubnetNodesA82E588ED"
    assert acked.location.construct_path.strip("/") == "Direct/Network/SubnetNodesA"


@cdk_test
def test_acknowledge_helper_reason_is_the_closest_one(workdir):
    def build(app):
        from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document
        from podcap.cdk.validation import acknowledge

        stack = PodcapSpecStack(app, "Closest", spec=load_spec_document(UNDERSIZED))
        acknowledge(stack.spec.network.subnet("nodes-a"), "PC201", "subnet a: lab cluster, small on purpose")
        acknowledge(stack, "PC201", "whole stack waived for the lab")
        return "Closest"

    s = synth(build, os.path.join(workdir, "closest"))
    assert s.error is None, s.error
    cdk_reasons = {v["ruleMetadata"]["resource"]: v["reason"] for v in s.report()["suppressedViolations"]}
    check_reasons = {f.resource: f.suppressed.reason for f in _check(s.outdir).findings if f.suppressed}
    assert check_reasons == cdk_reasons == {
        "Closest/NetworkSubnetNodesA82E588ED": "subnet a: lab cluster, small on purpose",
        "Closest/NetworkSubnetNodesB57C1B8ED": "whole stack waived for the lab"}


@cdk_test
def test_stage_stacks_checked_with_their_acknowledgments(workdir):
    """cdk.out of an app with a Stage: `podcap check` reads the stage's nested assembly and its stacks'
    acknowledgments, and reports what the plugin reported."""
    def build(app):
        from podcap.cdk.cluster import NodeGroupSpec, PodcapCluster
        from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document
        from podcap.cdk.network import PodcapNetwork, SubnetSpec

        PodcapSpecStack(app, "Top", spec=load_spec_document(REFERENCE))
        stage = cdk.Stage(app, "Prod")
        st = PodcapSpecStack(stage, "Eks", spec=load_spec_document(UNDERSIZED))
        cdk.Validations.of(st.spec.network.subnet("nodes-a")).acknowledge(
            cdk.Acknowledgment(id="podcap::PC201", reason="prod subnet a is temporary"))
        # a second stage whose cluster stack imports the subnets of its network stack
        split = cdk.Stage(app, "Split")
        net = PodcapNetwork(cdk.Stack(split, "Net"), "Net", cidr="10.4.0.0/16", node_subnets=[
            SubnetSpec("a", "us-east-1a", cidr="10.4.0.0/20"), SubnetSpec("b", "us-east-1b", cidr="10.4.16.0/20")])
        PodcapCluster(cdk.Stack(split, "Eks"), "Eks", network=net,
                      nodegroups=[NodeGroupSpec("web", ["m5.large"], ["a", "b"], min_size=2, max_size=4)])
        return "Top"

    s = synth(build, os.path.join(workdir, "stage"))
    assert s.error is not None and "Prod/Eks/Network/SubnetNodesB" in str(s.error)
    # the plugin read the whole assembly: stack names in the ids, the imports between stacks resolved
    assert _plugin_findings(s) == _check_findings(s.outdir) == {("PC201", "Prod-Eks/NetworkSubnetNodesB57C1B8ED")}
    rep = s.report()
    plugin_paths = {(v["ruleName"], v["ruleMetadata"]["construct path"].strip("/")) for v in rep["violations"]}
    result = _check(s.outdir)
    assert result.exit_code() == 1
    active = {(f.rule_id, f.location.construct_path.strip("/")) for f in result.active()
              if f.severity.value != "info"}
    assert active == plugin_paths == {("PC201", "Prod/Eks/Network/SubnetNodesB")}
    (acked,) = [f for f in result.findings if f.suppressed is not None]
    assert acked.resource == "Prod-Eks/NetworkSubnetNodesA82E588ED"
    assert (acked.suppressed.source, acked.suppressed.reason) == ("cdk-acknowledge", "prod subnet a is temporary")


@cdk_test
def test_acknowledgment_on_the_app_is_not_in_the_assembly(workdir):
    """Documented limit: CDK keeps App/Stage-level metadata in no stack, so `podcap check` cannot see it."""
    def build(app):
        from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document

        PodcapSpecStack(app, "AppWide", spec=load_spec_document(UNDERSIZED))
        cdk.Validations.of(app).acknowledge(cdk.Acknowledgment(id="podcap::PC201", reason="waived app-wide"))
        return "AppWide"

    s = synth(build, os.path.join(workdir, "app-wide"))
    assert s.error is None
    assert _check(s.outdir).exit_code() == 1


@cdk_test
def test_colliding_names_get_distinct_construct_ids():
    from podcap.cdk.cluster import NodeGroupSpec, PodcapCluster
    from podcap.cdk.network import PodcapNetwork, SubnetSpec

    stack = cdk.Stack(cdk.App(), "Ids")
    net = PodcapNetwork(stack, "Net", cidr="10.3.0.0/16", internet_gateway=True, node_subnets=[
        SubnetSpec("a2", "us-east-1a", mask=24), SubnetSpec("a", "us-east-1a", mask=24),
        SubnetSpec("a_", "us-east-1b", mask=24)])
    groups = [NodeGroupSpec(n, ["m5.large"], ["a", "a_"], max_size=2, kubelet_max_pods=20)
              for n in ("web", "web_", "web-1", "web1", "-", "_")]
    cl = PodcapCluster(stack, "Eks", network=net, nodegroups=groups)
    assert {n: s.node.id for n, s in net.subnets.items()} == {"a2": "SubnetA2", "a": "SubnetA", "a_": "SubnetA3"}
    assert {n: g.node.id for n, g in cl.nodegroups.items()} == {
        "web": "WebNodeGroup", "web_": "Web2NodeGroup", "web-1": "Web1NodeGroup", "web1": "Web12NodeGroup",
        "-": "GroupNodeGroup", "_": "Group2NodeGroup"}
    assert len({lt.node.id for lt in cl.launch_templates.values()}) == len(groups)
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::EKS::Nodegroup", len(groups))
    t.resource_count_is("AWS::EC2::SubnetRouteTableAssociation", 3)


@cdk_test
def test_clashing_spec_node_groups_synthesize(workdir, tmp_path):
    from podcap.cdk.from_spec import load_spec_document

    doc = load_spec_document(REFERENCE)
    base = doc["nodegroups"][0]
    doc["nodegroups"] = [{**base, "name": "web"}, {**base, "name": "web_"}]

    def build(app):
        from podcap.cdk.from_spec import PodcapSpecStack

        PodcapSpecStack(app, "Clash", spec=doc)
        return "Clash"

    s = synth(build, os.path.join(workdir, "clash"))
    assert "already a Construct" not in str(s.error or "")
    names = sorted(r["Properties"]["NodegroupName"] for r in resources(s.template(), "AWS::EKS::Nodegroup").values())
    assert names == ["web", "web_"]


@cdk_test
def test_app_turns_construct_errors_into_one_line(monkeypatch, capsys):
    import app as cdk_app

    def clash(*args, **kwargs):
        a = cdk.App()
        cdk.Stack(a, "Twice")
        cdk.Stack(a, "Twice")

    monkeypatch.setattr(cdk_app, "build_app", clash)
    assert cdk_app.main() == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "There is already a Construct with name 'Twice'" in err
    assert err.startswith("podcap: cannot build the CDK app: ")

    def bug(*args, **kwargs):
        raise KeyError("a bug keeps its traceback")

    monkeypatch.setattr(cdk_app, "build_app", bug)
    with pytest.raises(KeyError):
        cdk_app.main()


def _param_assembly(root: Path, manifest_params: dict | None = None) -> Path:
    """A hand-written cdk.out: one stack whose node subnet CIDRs are parameters without defaults."""
    out = root / "cdk.out"
    out.mkdir(parents=True, exist_ok=True)
    template = {
        "Parameters": {"CidrA": {"Type": "String"}, "CidrB": {"Type": "String"}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Ref": "CidrA"}, "AvailabilityZone": "us-east-1a"}},
            "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Ref": "CidrB"}, "AvailabilityZone": "us-east-1b"}},
            "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
                "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}}},
            "Nodes": {"Type": "AWS::EKS::Nodegroup", "Properties": {
                "ClusterName": {"Ref": "Cluster"}, "InstanceTypes": ["m5.large"],
                "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
                "ScalingConfig": {"MinSize": 2, "DesiredSize": 2, "MaxSize": 4}}},
        },
    }
    (out / "Params.template.json").write_text(json.dumps(template))
    props = {"templateFile": "Params.template.json", "stackName": "Params"}
    if manifest_params:
        props["parameters"] = manifest_params
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "Params": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
                   "properties": props}}}))
    return out


def test_cdk_out_takes_parameters(tmp_path, capsys):
    """`--parameter K=V` reaches every stack of a cdk.out, over the manifest's own values."""
    from podcap.cli import main

    out = _param_assembly(tmp_path / "plain")
    unresolved = _check(str(out))
    assert {f.rule_id for f in unresolved.active()} == {"PC001"}

    resolved = _check(str(out), parameters={"CidrA": "10.0.0.0/24", "CidrB": "10.0.1.0/24"})
    assert not [f for f in resolved.findings if f.rule_id == "PC001"]
    assert {s.subnet: s.cidr for s in resolved.subnets} == {"Params/SubnetA": "10.0.0.0/24",
                                                            "Params/SubnetB": "10.0.1.0/24"}

    small = _param_assembly(tmp_path / "manifest", {"CidrA": "10.0.0.0/24", "CidrB": "10.0.1.0/24"})
    assert main(["check", str(small), "--format", "json", "--parameter", "CidrA=10.0.0.0/27",
                 "--parameter", "CidrB=10.0.1.0/27"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {s["subnet"]: s["cidr"] for s in doc["subnets"]} == {"Params/SubnetA": "10.0.0.0/27",
                                                                "Params/SubnetB": "10.0.1.0/27"}
    assert {f["rule_id"] for f in doc["findings"] if f["severity"] == "error"} == {"PC201"}


@cdk_test
def test_podcap_yaml_names_cdk_out_resources(workdir, tmp_path, undersized):
    """A .podcap.yaml entry for a cdk.out may name `Stack/LogicalId`, the construct path, or the bare
    logical id when only one stack of the assembly has it."""
    def config(*entries: tuple[str, str]) -> str:
        path = tmp_path / f"c{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text("suppressions:\n" + "".join(
            f"  - {{id: PC201, resource: \"{r}\", reason: \"{why}\"}}\n" for r, why in entries))
        return str(path)

    by_names = config(("NetworkSubnetNodesA82E588ED", "bare logical id of subnet a"),
                      ("podcap-undersized/Network/SubnetNodesB", "construct path of subnet b"))
    result = _check(undersized.outdir, config=by_names)
    assert result.exit_code() == 0
    assert {f.resource: (f.suppressed.source, f.suppressed.reason) for f in result.findings if f.suppressed} == {
        "podcap-undersized/NetworkSubnetNodesA82E588ED": (".podcap.yaml", "bare logical id of subnet a"),
        "podcap-undersized/NetworkSubnetNodesB57C1B8ED": (".podcap.yaml", "construct path of subnet b")}

    # two stacks with the same logical ids (one of them without findings): the bare id is ambiguous
    def build(app):
        from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document

        PodcapSpecStack(app, "Small", spec=load_spec_document(UNDERSIZED))
        PodcapSpecStack(app, "Fine", spec=load_spec_document(REFERENCE))
        return "Small"

    s = synth(build, os.path.join(workdir, "twins"))
    bare = config(("NetworkSubnetNodesA82E588ED", "which stack is meant here?"))
    assert not [f for f in _check(s.outdir, config=bare).findings if f.suppressed]
    full = config(("Small/NetworkSubnetNodesA82E588ED", "the small stack's subnet a"),
                  ("/Small/Network/SubnetNodesB/", "edge slashes are fine too"))
    assert {f.resource for f in _check(s.outdir, config=full).findings if f.suppressed} == {
        "Small/NetworkSubnetNodesA82E588ED", "Small/NetworkSubnetNodesB57C1B8ED"}


@cdk_test
def test_managed_max_pods_recorded_sgp_metadata_and_windows():
    """What the constructs' nodes really run: EKS's managed-node-group figure (no ImageId is ever set), user
    data counting up to its cap; security-group pods recorded for PC106; no Linux max-pods user data on
    Windows AMI types."""
    from podcap.cdk.cluster import NodeGroupSpec, PodcapCluster, managed_max_pods_of
    from podcap.cdk.network import PodcapNetwork, SubnetSpec

    # m5.4xlarge: calculator 8 x (30 - 1) + 2 = 234, 16 vCPUs -> capped at 110; user data 300 counts up to 110
    assert managed_max_pods_of(["m5.4xlarge"], CniSettings(), None) == 110
    assert managed_max_pods_of(["m5.4xlarge"], CniSettings(), 300) == 110
    # m5.large with prefix delegation: 3 x 9 x 16 + 2 = 434 -> 110; with t3.medium too the smaller wins:
    # t3.medium 3 x 5 x 16 + 2 = 242 -> 110, so still 110; without prefix delegation t3.medium's 17
    assert managed_max_pods_of(["m5.large", "t3.medium"], CniSettings(prefix_delegation=True), None) == 110
    assert managed_max_pods_of(["m5.large", "t3.medium"], CniSettings(), None) == 17
    # Windows: IPv4 per ENI - 1 = 9 on m5.large
    assert managed_max_pods_of(["m5.large"], CniSettings(), None, "WINDOWS_CORE_2022_x86_64") == 9

    stack = cdk.Stack(cdk.App(), "Mng")
    net = PodcapNetwork(stack, "Net", cidr="10.4.0.0/16", internet_gateway=True, node_subnets=[
        SubnetSpec("a", "us-east-1a", mask=24), SubnetSpec("b", "us-east-1b", mask=24)])
    cl = PodcapCluster(stack, "Eks", network=net, cni=CniSettings(security_groups_for_pods=True), nodegroups=[
        NodeGroupSpec("sgp", ["m5.large"], ["a", "b"], max_size=2, sgp_pods_per_node=4),
        NodeGroupSpec("win", ["m5.large"], ["a", "b"], max_size=2, ami_type="WINDOWS_CORE_2022_x86_64")])
    # security groups for pods on a trunking m5.large: network 2 x 9 + 2 = 20 < EKS's 29, so the user data
    # sets 20 (under the 110 cap it counts in full); Windows gets no Linux user data
    assert cl.kubelet_max_pods == {"sgp": 20, "win": None}
    assert cl.managed_max_pods == {"sgp": 20, "win": 9}
    assert set(cl.launch_templates) == {"sgp"}
    t = Template.from_stack(stack).to_json()
    (ng,) = [r for r in t["Resources"].values()
             if r["Type"] == "AWS::EKS::Nodegroup" and r["Properties"]["NodegroupName"] == "sgp"]
    assert ng["Metadata"]["podcap"] == {"sgp_pods_per_node": 4}
