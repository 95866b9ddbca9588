"""aws-node (VPC CNI) settings, read the way ipamd reads its environment.

ipamd parses each variable with Go's strconv: integers with ``strconv.Atoi`` (optional sign, digits only,
no spaces), booleans with ``strconv.ParseBool``. A value it cannot use is not an error for the CNI: it
silently falls back to a default. podcap falls back the same way and says so in a warning, because a
typo such as ``WARM_IP_TARGET=abc`` changes how many addresses every node takes.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from podcap.model.records import field, record

# Go's strconv.Atoi: an optional sign and ASCII digits, nothing else ("5\n", " 5", "5_0", "٥" all fail),
# and the value must fit Go's int (int64 on the 64-bit nodes EKS runs); re.ASCII keeps \d out of it.
_ATOI = re.compile(r"[+-]?[0-9]+", re.ASCII)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT64_DIGITS = 19
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}

# The values the shipped aws-node manifest and the EKS vpc-cni add-on put in the DaemonSet env. Note that
# ipamd's own code default for WARM_PREFIX_TARGET is 0, but the add-on sets 1, so a cluster whose add-on
# configuration does not mention it runs with 1.
ADDON_DEFAULT_ENV: dict[str, str] = {
    "WARM_ENI_TARGET": "1",
    "WARM_PREFIX_TARGET": "1",
    "ENABLE_PREFIX_DELEGATION": "false",
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false",
    "ENABLE_POD_ENI": "false",
    # ipamd's code default is false (isIPv4Enabled); the manifest and the add-on set true
    "ENABLE_IPv4": "true",
}

ALLOCATION_ENV = (
    "WARM_ENI_TARGET",
    "WARM_IP_TARGET",
    "MINIMUM_IP_TARGET",
    "WARM_PREFIX_TARGET",
    "MAX_ENI",
    "ENABLE_PREFIX_DELEGATION",
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
    "ENABLE_POD_ENI",
    "ENABLE_IPv6",
    "ENABLE_IPv4",
)


@record(frozen=True)
class CniSettings:
    """The allocation-relevant settings as ipamd ends up using them."""

    warm_eni_target: int = 1
    warm_ip_target: int = 0  # 0 = not set (ipamd's noWarmIPTarget)
    minimum_ip_target: int = 0  # 0 = not set
    warm_prefix_target: int = 1
    max_eni: int | None = None  # None = the instance type's limit
    prefix_delegation: bool = False
    custom_networking: bool = False
    pod_eni: bool = False  # security groups for pods (ENABLE_POD_ENI): a trunk ENI takes a slot
    ipv6: bool = False

    @property
    def warm_ip_targets_defined(self) -> bool:
        """ipamd ``warmIPTargetsDefined``: either target set switches WARM_ENI/PREFIX_TARGET off."""
        return self.warm_ip_target != 0 or self.minimum_ip_target != 0

    def describe(self) -> str:
        parts = []
        if self.ipv6:
            parts.append("IPv6")
        parts.append("prefix delegation" if self.prefix_delegation else "secondary IPs")
        if self.custom_networking:
            parts.append("custom networking")
        if self.pod_eni:
            parts.append("security groups for pods")
        if self.ipv6:  # warm targets and MAX_ENI are no-ops in IPv6 mode (ipamd's IPv6 path)
            return ", ".join(parts)
        if self.warm_ip_targets_defined:
            parts.append(f"WARM_IP_TARGET={self.warm_ip_target} MINIMUM_IP_TARGET={self.minimum_ip_target}")
        elif self.prefix_delegation:
            parts.append(f"WARM_PREFIX_TARGET={self.warm_prefix_target}")
        else:
            parts.append(f"WARM_ENI_TARGET={self.warm_eni_target}")
        if self.max_eni is not None:
            parts.append(f"MAX_ENI={self.max_eni}")
        return ", ".join(parts)


@record
class ParsedSettings:
    """The CNI settings read from aws-node's env, with what ipamd would ignore or read differently."""

    settings: CniSettings
    warnings: list[str] = field(default_factory=list)  # values the CNI ignores or reads differently
    notes: list[str] = field(default_factory=list)  # settings that are valid but have no effect here
    # why ipamd exits at start with these settings (isConfigValid false): aws-node never becomes ready and
    # no pod on the node gets an address; None: it starts
    refused: str | None = None


def atoi(value: str) -> int | None:
    """The integer Go's ``strconv.Atoi`` reads from ``value``, or None where Atoi returns an error.

    ipamd's getters (getWarmIPTarget, getMinimumIPTarget, getWarmENITarget, getWarmPrefixTarget, getMaxENI
    in pkg/ipamd/ipamd.go) take the value only when ``err == nil``, so a value out of int64 range
    (ErrRange) means the variable's default, exactly like "abc" (ErrSyntax). Never builds a huge int.
    """
    if not isinstance(value, str) or _ATOI.fullmatch(value) is None:
        return None
    digits = value.lstrip("+-").lstrip("0")
    if len(digits) > _INT64_DIGITS:
        return None
    n = int(value)
    return n if _INT64_MIN <= n <= _INT64_MAX else None


_atoi = atoi


def _parse_bool(env: Mapping[str, str], key: str, warnings: list[str]) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return False
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    warnings.append(f"{key}={_shown(raw)} is not a boolean the CNI understands; it uses the default false")
    return False


def parse_env(env: Mapping[str, object] | None, *, with_addon_defaults: bool = True) -> ParsedSettings:
    """Read an aws-node env mapping exactly as ipamd does (pkg/ipamd/ipamd.go getWarmENITarget & co).

    ``with_addon_defaults`` lays the env over the add-on's shipped env first, so an absent
    WARM_PREFIX_TARGET means 1 (the add-on's value), not ipamd's code default 0.
    """
    # the settings are a function of the env's text alone: worked out once per distinct env (a plan's node
    # groups share their cluster's, ~15 us each on a plan of hundreds). The answer is shared, so no caller
    # may change it (none does: rules and reports only read its warnings and notes).
    return _parse_text(tuple((str(k), _stringify(v)) for k, v in (env or {}).items()), with_addon_defaults)


@lru_cache(maxsize=1024)
def _parse_text(items: tuple[tuple[str, str], ...], with_addon_defaults: bool) -> ParsedSettings:
    """:func:`parse_env` of the env whose ``(name, value as text)`` pairs are ``items``."""
    raw: dict[str, str] = dict(ADDON_DEFAULT_ENV) if with_addon_defaults else {}
    raw.update(items)
    w: list[str] = []
    notes: list[str] = []

    def int_setting(key: str, default: int, *, minimum: int, unset_means: int) -> int:
        if key not in raw:
            return unset_means
        val = _atoi(raw[key])
        if val is None or val < minimum:
            w.append(
                f"{key}={_shown(raw[key])} is ignored by the CNI (Go's strconv.Atoi needs ASCII digits "
                f"within int64, and ipamd a value >= {minimum}); "
                f"it uses {default}"
            )
            return default
        return val

    # getWarmENITarget: missing, unparsable or negative -> 1
    warm_eni = int_setting("WARM_ENI_TARGET", 1, minimum=0, unset_means=1)
    # getWarmIPTarget / getMinimumIPTarget: missing, unparsable or negative -> 0 (not set)
    warm_ip = int_setting("WARM_IP_TARGET", 0, minimum=0, unset_means=0)
    min_ip = int_setting("MINIMUM_IP_TARGET", 0, minimum=0, unset_means=0)
    # getWarmPrefixTarget: missing (with no add-on default), unparsable or negative -> 0
    warm_prefix = int_setting("WARM_PREFIX_TARGET", 0, minimum=0, unset_means=0)
    # getMaxENI: only a whole number >= 1 counts; anything else means the instance type's limit
    max_eni: int | None = None
    if "MAX_ENI" in raw:
        val = _atoi(raw["MAX_ENI"])
        if val is None or val < 1:
            w.append(
                f"MAX_ENI={_shown(raw['MAX_ENI'])} is ignored by the CNI (it needs a whole number >= 1); "
                "the instance type's ENI limit applies"
            )
        else:
            max_eni = val

    pd = _parse_bool(raw, "ENABLE_PREFIX_DELEGATION", w)
    custom = _parse_bool(raw, "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", w)
    pod_eni = _parse_bool(raw, "ENABLE_POD_ENI", w)
    ipv6 = _parse_bool(raw, "ENABLE_IPv6", w)
    ipv4 = _parse_bool(raw, "ENABLE_IPv4", w)
    refused = config_refusal(ipv4, ipv6, pd, custom)
    user = {k for k, _ in items}
    if warm_ip or min_ip:
        if "WARM_ENI_TARGET" in user:
            notes.append("WARM_ENI_TARGET has no effect: WARM_IP_TARGET/MINIMUM_IP_TARGET take precedence")
        if pd and "WARM_PREFIX_TARGET" in user:
            notes.append("WARM_PREFIX_TARGET has no effect: WARM_IP_TARGET/MINIMUM_IP_TARGET take precedence")
    if pd and "WARM_ENI_TARGET" in user and not (warm_ip or min_ip):
        notes.append("WARM_ENI_TARGET has no effect with prefix delegation (WARM_PREFIX_TARGET applies)")
    if pd and not (warm_ip or min_ip) and warm_prefix == 0 and "WARM_PREFIX_TARGET" in user:
        w.append("WARM_PREFIX_TARGET=0 with prefix delegation is not supported (the VPC CNI's "
                 "docs/prefix-and-ip-target.md): ipamd keeps no free /28, so a pod that needs a new prefix waits "
                 "for EC2 to assign it; set WARM_PREFIX_TARGET=1, or WARM_IP_TARGET and MINIMUM_IP_TARGET")
    if not pd and "WARM_PREFIX_TARGET" in user:
        notes.append("WARM_PREFIX_TARGET has no effect without prefix delegation")
    if min_ip and not warm_ip:
        w.append(
            f"MINIMUM_IP_TARGET={min_ip} without WARM_IP_TARGET: once a node has {min_ip} addresses and "
            "all are in use, ipamd sees no shortfall and allocates no more (pods beyond it get no address); "
            "set WARM_IP_TARGET too"
        )
    if ipv6 and any(k in user for k in ("WARM_ENI_TARGET", "WARM_IP_TARGET", "MINIMUM_IP_TARGET",
                                        "WARM_PREFIX_TARGET", "MAX_ENI")):
        notes.append("warm targets and MAX_ENI have no effect in IPv6 mode")

    s = CniSettings(
        warm_eni_target=warm_eni,
        warm_ip_target=warm_ip,
        minimum_ip_target=min_ip,
        warm_prefix_target=warm_prefix,
        max_eni=max_eni,
        prefix_delegation=pd,
        custom_networking=custom,
        pod_eni=pod_eni,
        ipv6=ipv6,
    )
    return ParsedSettings(s, w, notes, refused)


def config_refusal(ipv4: bool, ipv6: bool, prefix_delegation: bool, custom_networking: bool) -> str | None:
    """Why ipamd's ``isConfigValid`` (pkg/ipamd/ipamd.go) fails, which ends aws-node at start (the node
    stays NotReady and no pod gets an address); None when it passes. Prefix delegation on a non-Nitro type
    is judged per type (maxpods: an IPv6 node there holds no pod)."""
    if ipv4 and ipv6:
        return ("ENABLE_IPv4 and ENABLE_IPv6 are both true: the VPC CNI does not support dual stack and "
                "ipamd exits at start (on an IPv6 cluster set ENABLE_IPv4=false)")
    if not ipv4 and not ipv6:
        return "ENABLE_IPv4 and ENABLE_IPv6 are both false: ipamd needs one of them and exits at start"
    if ipv6 and custom_networking:
        return ("custom networking (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG) is not supported in IPv6 mode: "
                "ipamd exits at start")
    if ipv6 and not prefix_delegation:
        return ("IPv6 runs only in prefix-delegation mode (ENABLE_PREFIX_DELEGATION=true): without it "
                "ipamd exits at start")
    return None


def _shown(value: str, limit: int = 60) -> str:
    """A raw env value as a warning quotes it: repr (so a newline shows as \\n), bounded length."""
    text = repr(value[: limit + 1]) if len(value) <= limit else repr(value[:limit]) + f"… ({len(value)} characters)"
    return text


def _stringify(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        try:
            return str(v)
        except ValueError:  # more than 4300 digits: Atoi fails on it anyway (out of int64 range)
            return "9" * 20
    return str(v)
