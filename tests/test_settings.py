"""aws-node integers read as ipamd reads them: Go's strconv.Atoi, then the getter's own default on error.

ipamd (aws/amazon-vpc-cni-k8s pkg/ipamd/ipamd.go: getWarmIPTarget, getMinimumIPTarget, getWarmENITarget,
getWarmPrefixTarget, getMaxENI) does ``if input, err := strconv.Atoi(inputStr); err == nil { ... }``
and otherwise returns its default. Atoi accepts an optional sign and ASCII digits and fails with ErrRange
outside int64 (EKS nodes are 64-bit, so Go's int is int64).
"""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.engine.settings import atoi, parse_env

INT64_MAX = 2**63 - 1


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("5", 5), ("+5", 5), ("-5", -5), ("007", 7),
    (str(INT64_MAX), INT64_MAX), (str(-(2**63)), -(2**63)),
    ("0" * 50 + "1", 1),  # leading zeros do not count towards the range; Go reads 1
])
def test_atoi_accepts_what_go_accepts(text, value):
    assert atoi(text) == value


@pytest.mark.parametrize("text", [
    "", "+", "-", " 5", "5 ", "5\n", "\n5", "5\t", "1_000", "0x10", "1e3", "5.0", "abc",
    "\u0665",  # ARABIC-INDIC DIGIT FIVE: a digit to Python's int(), not to Go
    "\uff15",  # FULLWIDTH DIGIT FIVE
    str(INT64_MAX + 1), "99999999999999999999", "-" + str(2**63 + 1),
])
def test_atoi_refuses_what_go_refuses(text):
    assert atoi(text) is None


def test_atoi_on_a_huge_value_is_instant():
    t0 = time.monotonic()
    assert atoi("9" * 1_000_000) is None  # int() would refuse past 4300 digits; Atoi says ErrRange
    assert time.monotonic() - t0 < 0.5


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(min_value=-(2**63), max_value=INT64_MAX))
def test_atoi_round_trips_every_int64(n):
    assert atoi(str(n)) == n


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=30))
def test_atoi_agrees_with_a_plain_reading_of_gos_grammar(text):
    ok = (text[:1] in "+-" and text[1:].isascii() and text[1:].isdigit()) or (text.isascii() and text.isdigit())
    expect = int(text) if ok and -(2**63) <= int(text) <= INT64_MAX else None
    assert atoi(text) == expect


def test_warm_ip_target_above_int64_is_ipamds_default():
    """WARM_IP_TARGET=99999999999999999999 fails Atoi -> getWarmIPTarget returns noWarmIPTarget (0), so the
    add-on's WARM_ENI_TARGET=1 decides (not a huge warm target)."""
    p = parse_env({"WARM_IP_TARGET": "99999999999999999999"})
    assert p.settings.warm_ip_target == 0 and p.settings.warm_eni_target == 1
    assert not p.settings.warm_ip_targets_defined
    assert any("WARM_IP_TARGET" in w and "int64" in w for w in p.warnings)


def test_m5_24xlarge_at_10_pods_with_an_out_of_range_warm_ip_target_takes_100_addresses():
    """m5.24xlarge: 15 ENIs x 50 IPv4 addresses. With WARM_ENI_TARGET=1 (the target above is ignored):
    10 pods fit on the primary ENI's 49 secondaries, and one more ENI is kept warm with its 49:
    2 ENIs x 49 = 98 secondary IPs + 2 ENI primaries = 100 subnet addresses (not the 300 a huge warm IP
    target would take)."""
    from podcap.engine.allocation import allocate
    from podcap.limits import load_snapshot

    lim = load_snapshot(None).get("m5.24xlarge")
    alloc = allocate(lim, parse_env({"WARM_IP_TARGET": "99999999999999999999"}).settings, 10)
    assert (alloc.enis, alloc.secondary_ips, alloc.subnet_addresses) == (2, 98, 100)


@pytest.mark.parametrize("raw", ["5\n", "\u0665", "+\u0665", " 5"])
def test_values_go_does_not_read_fall_back_to_the_default(raw):
    p = parse_env({"WARM_IP_TARGET": raw, "MINIMUM_IP_TARGET": raw, "MAX_ENI": raw})
    s = p.settings
    assert (s.warm_ip_target, s.minimum_ip_target, s.max_eni) == (0, 0, None)
    assert len(p.warnings) == 3
    assert all("\n" not in w for w in p.warnings)  # the raw newline is shown escaped, never splits a line


def test_a_signed_value_is_read_like_go():
    # "+3" is 3 to Atoi; "-1" parses but ipamd drops negative targets (input >= 0) -> default
    s = parse_env({"WARM_IP_TARGET": "+3", "MINIMUM_IP_TARGET": "-1"}).settings
    assert (s.warm_ip_target, s.minimum_ip_target) == (3, 0)


def test_a_4300_digit_value_is_a_bounded_warning():
    raw = "9" * 5000
    p = parse_env({"WARM_ENI_TARGET": raw})
    assert p.settings.warm_eni_target == 1  # getWarmENITarget's default
    (w,) = p.warnings
    assert len(w) < 300 and "5000 characters" in w
