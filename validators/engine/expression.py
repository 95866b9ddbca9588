"""AL2023 nodeadm's ``kubelet.maxPodsExpression``: a CEL expression that computes kubelet's max pods.

Modelled on awslabs/amazon-eks-ami ``nodeadm/internal/kubelet/eni_max_pods.go``
(``evaluateCustomMaxPodsExpression``, ``CalcMaxPods``):

* three CEL ``int`` variables: ``default_enis`` (``defaultMaxENIs``: the maximum network interfaces on the
  default network card), ``ips_per_eni`` (``ipv4AddressesPerInterface``: IPv4 addresses per interface, the
  ENI's primary included) and ``max_pods`` (the *standard* max pods,
  ``default_enis * (ips_per_eni - 1) + 2``: nodeadm's ``calculateStandardMaxPods``, not the calculator's
  recommendation, and never capped or changed by prefix delegation);
* the result is converted to a CEL ``int`` (cel-go ``ConvertToType(IntType)``: an int or uint as is, a
  double truncated toward zero, a numeric string parsed; a bool, list or map is an error) and must be
  ``> 0`` and ``<= 2^31 - 1``.

Where nodeadm's evaluation fails it logs a warning and uses the standard max pods; podcap cannot be sure its
CEL library fails exactly where cel-go does, so a failure here is a ValueError the caller turns into an
Unknown (never a default). Precedence (``api.md``): a ``maxPods`` in ``kubelet.config`` wins over the
expression; that is the user-data reader's concern, not this module's.

The CEL library (PyPI ``common-expression-language``, module ``cel``) is imported only when an expression
is evaluated, so the CLI starts fast.
"""
from __future__ import annotations

import math

INT32_MAX = 2**31 - 1  # nodeadm: "value must be a positive integer less than 2147483647"
MAX_EXPRESSION_CHARS = 4096


def standard_max_pods(default_enis: int, ips_per_eni: int) -> int:
    """nodeadm calculateStandardMaxPods: ENIs on the default card x (IPv4 per ENI - 1) + 2."""
    return default_enis * (ips_per_eni - 1) + 2


def _to_int(value: object, expr: str) -> int:
    """cel-go's ConvertToType(IntType) on the result."""
    if isinstance(value, bool):
        raise ValueError(f"maxPodsExpression {expr!r} gives {str(value).lower()}, not a number of pods")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or not (-(2**63) <= value < 2**63):
            raise ValueError(f"maxPodsExpression {expr!r} gives {value}, which does not convert to an int")
        return int(value)  # toward zero, as Go's int64(float64)
    if isinstance(value, str):
        try:
            return int(value.strip(), 10)
        except ValueError:
            raise ValueError(f"maxPodsExpression {expr!r} gives the string {value!r}, not an integer") from None
    raise ValueError(f"maxPodsExpression {expr!r} gives a {type(value).__name__}, not a number of pods")


def evaluate_max_pods_expression(expr: str, *, default_enis: int, ips_per_eni: int, max_pods: int) -> int:
    """The max pods nodeadm computes from ``expr`` over its three variables; ValueError with the reason
    when the expression does not parse, uses another name, does not give a positive int32, or the CEL
    library is missing."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError("maxPodsExpression is empty")
    if len(expr) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"maxPodsExpression is {len(expr)} characters long, more than podcap evaluates")
    for name, v in (("default_enis", default_enis), ("ips_per_eni", ips_per_eni), ("max_pods", max_pods)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{name} must be an integer to evaluate maxPodsExpression, not {v!r}")
    try:
        import cel  # PyPI common-expression-language
    except ImportError:
        raise ValueError("cannot evaluate maxPodsExpression: the CEL library (pip install "
                         "common-expression-language) is not installed") from None
    context = {"default_enis": default_enis, "ips_per_eni": ips_per_eni, "max_pods": max_pods}
    try:
        raw = cel.evaluate(expr, context)
    except (ValueError, TypeError, RuntimeError, OverflowError, ArithmeticError) as e:
        reason = " ".join(str(e).split())
        if len(reason) > 200:
            reason = reason[:197] + "..."
        raise ValueError(f"maxPodsExpression {expr!r} does not evaluate: {reason}") from None
    except Exception as e:  # the library's own error types: never a traceback for a user's expression
        raise ValueError(f"maxPodsExpression {expr!r} does not evaluate: {type(e).__name__}: {e}") from None
    n = _to_int(raw, expr)
    if n <= 0 or n > INT32_MAX:
        raise ValueError(f"maxPodsExpression {expr!r} gives {n}: nodeadm needs a positive integer up to "
                         f"{INT32_MAX}")
    return n
