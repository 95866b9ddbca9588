"""Max pods from node user data, per AMI family (podcap.sources.objects.user_data.read_user_data).

The rules are the nodes' own boot code: AL2 bootstrap.sh (awslabs/amazon-eks-ami
templates/al2/runtime/bootstrap.sh, before AL2's removal), AL2023 nodeadm (nodeadm/internal/configprovider
and api/merge.go), Bottlerocket settings TOML, the EKS Windows bootstrap script. tests/data/user-data holds
AWS's own nodeadm e2e cases with the max pods nodeadm writes for them (see its PROVENANCE.md).
"""
from __future__ import annotations

import base64
import gzip
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from podcap import limits
from podcap.engine.expression import evaluate_max_pods_expression, standard_max_pods
from podcap.model.unknown import Unknown
from podcap.sources.objects.user_data import UserDataMaxPods, kubelet_max_pods_from_user_data, read_user_data

DATA = Path(__file__).resolve().parent / "data" / "user-data"

NODECONFIG_HEAD = "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n"


def mime(*parts: tuple[str, str]) -> str:
    out = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n'
    for ctype, body in parts:
        out += f"--BOUNDARY\nContent-Type: {ctype}\n\n{body}\n"
    return out + "--BOUNDARY--\n"


# --------------------------------------------------------------------------- AL2 bootstrap.sh


def test_al2_kubelet_extra_args_set_max_pods():
    r = read_user_data("#!/bin/bash\n/etc/eks/bootstrap.sh my-cluster --use-max-pods false "
                       "--kubelet-extra-args '--max-pods=110 --node-labels=a=b'\n")
    assert r == UserDataMaxPods(max_pods=110, origin="bootstrap.sh --kubelet-extra-args --max-pods=110", family="al2")
    # the kubelet flag beats the config file, so --use-max-pods true (the default) changes nothing
    assert read_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods 20'").max_pods == 20
    # repeated: kubelet's pflag keeps the last; repeated --kubelet-extra-args: bootstrap.sh keeps the last
    assert read_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20 --max-pods=30'").max_pods == 30
    assert read_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20' "
                          "--kubelet-extra-args '--node-labels=x=y'").max_pods is None


def test_al2_bootstrap_sh_has_no_max_pods_option():
    # bootstrap.sh's loop keeps "--max-pods" and "17" as positional arguments and uses only $1 (the cluster)
    r = read_user_data("#!/bin/bash\n/etc/eks/bootstrap.sh c --max-pods 17\n")
    assert r.max_pods is None and r.family == "al2"
    assert "no --max-pods option" in r.problem and "--kubelet-extra-args" in r.problem
    r = read_user_data("/etc/eks/bootstrap.sh --max-pods=17 c")
    assert "as the cluster name" in r.problem
    # with --kubelet-extra-args beside it, that one decides
    assert read_user_data("/etc/eks/bootstrap.sh c --max-pods 17 --kubelet-extra-args '--max-pods=25'").max_pods == 25


def test_al2_use_max_pods_false_without_a_value_is_kubelets_default():
    # awslabs/amazon-eks-ami templates/al2/runtime/bootstrap.sh (commit 0ab84280): maxPods goes into
    # kubelet-config.json only under `if [[ "$USE_MAX_PODS" = "true" ]]`, and the AMI's kubelet-config.json
    # has no maxPods: kubelet's own default, 110, applies (not the AMI's eni-max-pods.txt figure)
    r = read_user_data("/etc/eks/bootstrap.sh c --use-max-pods false")
    assert r.max_pods == 110 and r.problem is None and r.family == "al2"
    assert "kubelet's own default 110" in r.origin and "--use-max-pods false" in r.origin
    # the test is `= "true"` exactly: "False" or "no" switch it off too; the env form as well
    assert read_user_data("/etc/eks/bootstrap.sh c --use-max-pods no").max_pods == 110
    r = read_user_data("#!/bin/bash\nUSE_MAX_PODS=false /etc/eks/bootstrap.sh c\n")
    assert r.max_pods == 110 and "USE_MAX_PODS=false" in r.origin
    # --use-max-pods true (the default): the AMI default, nothing set in the user data
    assert read_user_data("/etc/eks/bootstrap.sh c --use-max-pods true").max_pods is None
    # the kubelet flag still decides when given
    assert read_user_data("/etc/eks/bootstrap.sh c --use-max-pods false --kubelet-extra-args '--max-pods=58'"
                          ).max_pods == 58
    # a script that edits kubelet's config itself: podcap does not run it, so the value is unknown
    r = read_user_data("#!/bin/bash\njq '.maxPods=50' /etc/kubernetes/kubelet/kubelet-config.json > /tmp/k\n"
                       "/etc/eks/bootstrap.sh c --use-max-pods false\n")
    assert r.max_pods is None and "outside bootstrap.sh" in r.problem


def test_al2_bootstrap_without_max_pods_is_the_ami_default():
    assert read_user_data("#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh c --b64-cluster-ca abc "
                          "--apiserver-endpoint https://x\n") == UserDataMaxPods(family="al2")
    assert read_user_data("#!/bin/bash\necho hi\n") == UserDataMaxPods()
    assert read_user_data("") == UserDataMaxPods()


def test_al2_shell_details():
    # line continuations, a variable set earlier, an exported KUBELET_EXTRA_ARGS, a trailing command
    assert read_user_data("#!/bin/bash\nMP=44\n/etc/eks/bootstrap.sh c \\\n  --kubelet-extra-args "
                          "\"--max-pods=$MP\" && echo done\n").max_pods == 44
    r = read_user_data("#!/bin/bash\nexport KUBELET_EXTRA_ARGS='--max-pods=33'\n/etc/eks/bootstrap.sh c\n")
    assert (r.max_pods, r.origin) == (33, "KUBELET_EXTRA_ARGS for bootstrap.sh --max-pods=33")
    # a command substitution inside the call and a redirection after it
    assert read_user_data("/etc/eks/bootstrap.sh c --b64-cluster-ca $(cat /tmp/ca) "
                          "--kubelet-extra-args '--max-pods=30' > /var/log/b.log 2>&1").max_pods == 30
    # a comment is not an argument
    assert read_user_data("/etc/eks/bootstrap.sh c # --kubelet-extra-args '--max-pods=9'").max_pods is None
    assert "not a number" in read_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=$X'").problem
    assert "cannot be split" in read_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=9").problem


def test_al2_max_pods_set_outside_bootstrap_sh_is_unknown():
    # a script editing kubelet's config itself: bootstrap.sh may overwrite it (--use-max-pods true) or not
    r = read_user_data("#!/bin/bash\nC=/etc/kubernetes/kubelet/kubelet-config.json\n"
                       "echo \"$(jq '.maxPods=50' $C)\" > $C\n/etc/eks/bootstrap.sh c\n")
    assert r.max_pods is None and "outside bootstrap.sh" in r.problem
    # a cloud-config runcmd calling bootstrap.sh is read like a script line
    r = read_user_data("#cloud-config\nruncmd:\n  - /etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=21'\n")
    assert (r.max_pods, r.family) == (21, "al2")


def test_al2_mime_user_data_of_a_managed_node_group():
    # EKS needs MIME multi-part user data in a managed node group's launch template; the AL2 script is a part
    shell = "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=58'\n"
    r = read_user_data(mime(('text/x-shellscript; charset="us-ascii"', shell)))
    assert (r.max_pods, r.family) == (58, "al2")


def test_base64_and_gzip_user_data():
    text = "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20'\n"
    assert read_user_data(base64.b64encode(text.encode()).decode()).max_pods == 20
    assert read_user_data(base64.b64encode(gzip.compress(text.encode())).decode()).max_pods == 20


# --------------------------------------------------------------------------- AL2023 nodeadm


def test_nodeadm_mime_merge_from_aws_e2e_case():
    # nodeadm's expected kubelet config for this user data: maxPods 58 (the first part's; later parts add keys)
    r = read_user_data((DATA / "nodeadm-mime-userdata-merge.txt").read_text())
    assert r == UserDataMaxPods(max_pods=58, origin="NodeConfig spec.kubelet.config.maxPods", family="al2023")


def test_nodeadm_expression_from_aws_e2e_case():
    # on nodeadm's mock m4.xlarge (4 ENIs, 15 IPv4): ((4 - 1) x (15 - 1)) + 2 = 44, as its expected config says
    r = read_user_data((DATA / "nodeadm-custom-max-pods-expression.yaml").read_text())
    assert r.max_pods is None and r.family == "al2023"
    assert r.expression == "((default_enis -1) * (ips_per_eni - 1)) + 2"
    assert r.origin == "NodeConfig spec.kubelet.maxPodsExpression"
    lim = limits.get("m4.xlarge")
    assert (lim.enis, lim.ipv4_per_eni) == (4, 15)
    assert evaluate_max_pods_expression(r.expression, default_enis=lim.enis, ips_per_eni=lim.ipv4_per_eni,
                                        max_pods=standard_max_pods(lim.enis, lim.ipv4_per_eni)) == 44


def test_nodeadm_config_max_pods_beats_the_expression():
    # AWS's case: maxPodsExpression "max_pods + 2" (58 + 2 = 60 in config.json) and config.maxPods 1, written
    # as a kubelet drop-in that wins: the node runs 1
    r = read_user_data((DATA / "nodeadm-kubelet-config-max-pods.yaml").read_text())
    assert (r.max_pods, r.expression, r.origin) == (1, None, "NodeConfig spec.kubelet.config.maxPods")


def test_nodeadm_later_parts_merge_over_earlier_ones():
    first = NODECONFIG_HEAD + "  kubelet:\n    config:\n      maxPods: 35\n"
    second = NODECONFIG_HEAD + "  kubelet:\n    config:\n      maxPods: 50\n"
    expr = NODECONFIG_HEAD + "  kubelet:\n    maxPodsExpression: max_pods\n"
    other = NODECONFIG_HEAD + "  kubelet:\n    config:\n      clusterDNS: [10.100.0.10]\n"
    assert read_user_data(mime(("application/node.eks.aws", first), ("application/node.eks.aws", second))
                          ).max_pods == 50
    # a later part without maxPods keeps the earlier value (config merged key by key)
    assert read_user_data(mime(("application/node.eks.aws", first), ("application/node.eks.aws", other))
                          ).max_pods == 35
    # the expression in one part, maxPods in another: maxPods wins whatever the order
    assert read_user_data(mime(("application/node.eks.aws", first), ("application/node.eks.aws", expr))
                          ).max_pods == 35
    # flags are appended, and a kubelet --max-pods flag beats the config file
    flags = NODECONFIG_HEAD + "  kubelet:\n    flags:\n      - --max-pods=70\n"
    r = read_user_data(mime(("application/node.eks.aws", flags), ("application/node.eks.aws", second)))
    assert (r.max_pods, r.origin) == (70, "NodeConfig spec.kubelet.flags --max-pods=70")
    # parts that are not application/node.eks.aws do not count for nodeadm
    shell = "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=9'\n"
    assert read_user_data(mime(("text/x-shellscript", shell), ("application/node.eks.aws", first))).max_pods == 35
    # a base64 part, as nodeadm's decodeIfBase64 reads it
    b64 = base64.b64encode(second.encode()).decode()
    assert read_user_data(mime(("application/node.eks.aws", b64))).max_pods == 50


def test_nodeadm_without_max_pods_is_the_ami_default_and_bad_values_unknown():
    bare = NODECONFIG_HEAD + "  cluster:\n    name: c\n"
    assert read_user_data(bare) == UserDataMaxPods(family="al2023")
    bad = NODECONFIG_HEAD + "  kubelet:\n    config:\n      maxPods: lots\n"
    assert "not a number of pods" in read_user_data(bad).problem
    assert "not YAML" in read_user_data(NODECONFIG_HEAD + "  kubelet: [\n").problem
    dropin = "#!/bin/bash\ncat > /etc/eks/nodeadm.d/x.yaml <<EOF\nmaxPods: 9\nEOF\n"
    r = read_user_data(mime(("application/node.eks.aws", bare), ("text/x-shellscript", dropin)))
    assert r.max_pods is None and "drop-in" in r.problem


# --------------------------------------------------------------------------- Bottlerocket and Windows


def test_bottlerocket_settings():
    r = read_user_data('[settings.kubernetes]\napi-server = "https://x"\nmax-pods = 40\n')
    assert r == UserDataMaxPods(max_pods=40, origin="Bottlerocket settings.kubernetes.max-pods", family="bottlerocket")
    assert read_user_data("settings.kubernetes.max-pods = 41\n").max_pods == 41  # dotted keys
    assert read_user_data('[settings.kubernetes]\ncluster-name = "c"\n') == UserDataMaxPods(family="bottlerocket")
    assert "not a number" in read_user_data('[settings.kubernetes]\nmax-pods = "many"\n').problem
    assert "not TOML" in read_user_data("[settings.kubernetes\nmax-pods = 4\n").problem


def test_windows_kubelet_extra_args():
    ud = ("<powershell>\n[string]$EKSBootstrapScriptFile = \"$env:ProgramFiles\\Amazon\\EKS\\Start-EKSBootstrap.ps1\"\n"
          "& $EKSBootstrapScriptFile -EKSClusterName \"c\" -KubeletExtraArgs \"--node-labels=a=b --max-pods=12\" 3>&1\n"
          "</powershell>\n")
    r = read_user_data(ud)
    assert (r.max_pods, r.family) == (12, "windows")
    assert read_user_data("<powershell>\n& $f -EKSClusterName c\n</powershell>") == UserDataMaxPods(family="windows")


# --------------------------------------------------------------------------- unknown pieces


def test_unknown_pieces_stay_unknown():
    unk = Unknown("parameter P has no default", "Parameters.P")
    partial = {"@@podcap-unknown-1@@": unk}
    # the value itself unknown
    r = read_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=@@podcap-unknown-1@@'", partial)
    assert r.max_pods is None and "parameter P has no default" in r.problem
    r = read_user_data("[settings.kubernetes]\nmax-pods = @@podcap-unknown-1@@\n", partial)
    assert r.max_pods is None and "parameter P" in r.problem
    r = read_user_data(NODECONFIG_HEAD + "  kubelet:\n    maxPodsExpression: @@podcap-unknown-1@@\n", partial)
    assert r.expression is None and "parameter P" in r.problem
    # a later unknown piece could set it again
    r = read_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20'\n@@podcap-unknown-1@@\n", partial)
    assert "set to 20, but a later part" in r.problem
    # harmless: the cluster name and a named flag that does not carry kubelet settings
    r = read_user_data("/etc/eks/bootstrap.sh @@podcap-unknown-1@@ --apiserver-endpoint @@podcap-unknown-1@@", partial)
    assert r == UserDataMaxPods(family="al2")
    # the whole user data unknown
    assert "could set max-pods" in read_user_data("@@podcap-unknown-1@@", partial).problem


def test_legacy_tuple_api():
    assert kubelet_max_pods_from_user_data("/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20'") == (20, None)
    assert kubelet_max_pods_from_user_data("[settings.kubernetes]\nmax-pods = 40\n") == (40, None)
    assert kubelet_max_pods_from_user_data("#!/bin/bash\necho hi\n") == (None, None)
    value, problem = kubelet_max_pods_from_user_data(NODECONFIG_HEAD + "  kubelet:\n    maxPodsExpression: max_pods\n")
    assert value is None and "maxPodsExpression" in problem


@given(n=st.integers(1, 10_000), family=st.sampled_from(["al2", "al2023", "bottlerocket", "windows"]))
def test_every_family_reads_back_the_value_written(n, family):
    text = {
        "al2": f"#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--node-labels=a=b --max-pods={n}'\n",
        "al2023": mime(("application/node.eks.aws", NODECONFIG_HEAD + f"  kubelet:\n    config:\n      maxPods: {n}\n")),
        "bottlerocket": f"[settings.kubernetes]\nmax-pods = {n}\n",
        "windows": f"<powershell>\n& $f -EKSClusterName c -KubeletExtraArgs '--max-pods={n}'\n</powershell>\n",
    }[family]
    r = read_user_data(text)
    assert (r.max_pods, r.family, r.problem) == (n, family, None)
    assert read_user_data(base64.b64encode(text.encode()).decode()).max_pods == n


@given(st.text(max_size=300))
def test_any_text_gives_an_answer_never_an_exception(text):
    r = read_user_data(text)
    assert r.max_pods is None or r.max_pods > 0
    assert not (r.max_pods is not None and r.problem is not None)


@pytest.mark.parametrize("bad", [None, 42, b"bytes"])
def test_non_text_is_a_problem(bad):
    assert read_user_data(bad).problem  # type: ignore[arg-type]
