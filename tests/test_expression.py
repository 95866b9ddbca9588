"""nodeadm's kubelet.maxPodsExpression, evaluated as awslabs/amazon-eks-ami
nodeadm/internal/kubelet/eni_max_pods.go does (cases after its eni_max_pods_test.go, figures from the
shipped snapshot)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from podcap import limits
from podcap.engine.expression import INT32_MAX, evaluate_max_pods_expression, standard_max_pods

ROOT = Path(__file__).resolve().parent.parent


def _vars(type_name: str) -> dict[str, int]:
    """nodeadm's variables for a type: default card ENIs, IPv4 per ENI, the standard max pods."""
    lim = limits.get(type_name)
    return {"default_enis": lim.enis, "ips_per_eni": lim.ipv4_per_eni,
            "max_pods": standard_max_pods(lim.enis, lim.ipv4_per_eni)}


def test_standard_formula_as_an_expression():
    # t3.medium: 3 ENIs x (6 - 1) + 2 = 17
    assert evaluate_max_pods_expression("(default_enis * (ips_per_eni - 1)) + 2", **_vars("t3.medium")) == 17
    # m5.large: 3 x (10 - 1) + 2 = 29, and max_pods is that same standard figure
    assert evaluate_max_pods_expression("max_pods", **_vars("m5.large")) == 29


def test_custom_networking_reserves_one_eni():
    # nodeadm's documented example: ((default_enis - 1) * (ips_per_eni - 1)) + 2
    # m5.large: (3 - 1) x 9 + 2 = 20; t3.medium: (3 - 1) x 5 + 2 = 12
    expr = "((default_enis - 1) * (ips_per_eni - 1)) + 2"
    assert evaluate_max_pods_expression(expr, **_vars("m5.large")) == 20
    assert evaluate_max_pods_expression(expr, **_vars("t3.medium")) == 12


def test_prefix_delegation_and_a_ceiling():
    # t3.medium unbounded prefix delegation: 3 x ((6 - 1) x 16) + 2 = 242
    v = _vars("t3.medium")
    assert evaluate_max_pods_expression("(default_enis * ((ips_per_eni - 1) * 16)) + 2", **v) == 242
    # capped with a ternary: m5.large 3 x 9 x 16 + 2 = 434 -> 110
    expr = "(default_enis * ((ips_per_eni - 1) * 16)) + 2 > 110 ? 110 : (default_enis * ((ips_per_eni - 1) * 16)) + 2"
    assert evaluate_max_pods_expression(expr, **_vars("m5.large")) == 110
    # max_pods < 30 ? max_pods : 30 on c5.xlarge: 4 x (15 - 1) + 2 = 58 -> 30
    assert evaluate_max_pods_expression("max_pods < 30 ? max_pods : 30", **_vars("c5.xlarge")) == 30


def test_i7ie_uses_the_default_card_figure_from_aws_tables():
    # the tables' 15 ENIs on the default card (not moto's 8): 15 x 49 + 2 = 737; minus 2 ENIs: 13 x 49 + 2 = 639
    v = _vars("i7ie.48xlarge")
    assert v == {"default_enis": 15, "ips_per_eni": 50, "max_pods": 737}
    assert evaluate_max_pods_expression("((default_enis - 2) * (ips_per_eni - 1)) + 2", **v) == 639


def test_results_converted_like_cel_go():
    v = {"default_enis": 3, "ips_per_eni": 6, "max_pods": 17}
    assert evaluate_max_pods_expression("417", **v) == 417  # a literal is itself
    assert evaluate_max_pods_expression("max_pods + 2", **v) == 19  # an offset: 17 + 2
    assert evaluate_max_pods_expression("double(max_pods) / 2.0", **v) == 8  # 8.5 toward zero
    assert evaluate_max_pods_expression("max_pods / 2", **v) == 8  # CEL int division: 17 / 2 = 8
    assert evaluate_max_pods_expression("'42'", **v) == 42  # ConvertToType(IntType) parses a string


@pytest.mark.parametrize("expr, reason", [
    ("default_enis + fake_variable", "fake_variable"),  # an undeclared name
    ("true", "not a number of pods"),  # a bool does not convert to int
    ("max_pods - ((default_enis * (ips_per_eni - 1)) + 2)", "gives 0"),  # 17 - 17 = 0 is not positive
    ("max_pods - 20", "gives -3"),  # 17 - 20
    ("default_enis * 2147483647", "positive integer up to 2147483647"),  # 3 x (2^31 - 1) > int32
    ("9223372036854775807 + default_enis", "does not evaluate"),  # int64 overflow is a CEL error
    ("default_enis * 1.5", "does not evaluate"),  # CEL does not mix int and double
    ("(default_enis", "does not evaluate"),  # syntax
    ("[1, 2]", "not a number of pods"),
    ("", "empty"),
])
def test_bad_expressions_raise_value_error_with_the_reason(expr, reason):
    with pytest.raises(ValueError) as ei:
        evaluate_max_pods_expression(expr, default_enis=3, ips_per_eni=6, max_pods=17)
    assert reason in str(ei.value)
    assert "\n" not in str(ei.value)


@given(enis=st.integers(1, 100), ips=st.integers(2, 100))
def test_standard_expression_equals_the_formula(enis, ips):
    expected = enis * (ips - 1) + 2
    got = evaluate_max_pods_expression("(default_enis * (ips_per_eni - 1)) + 2",
                                       default_enis=enis, ips_per_eni=ips, max_pods=expected)
    assert got == expected <= INT32_MAX


def test_cli_does_not_import_the_cel_library():
    code = "import sys, podcap.cli, podcap.engine.expression; assert 'cel' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
