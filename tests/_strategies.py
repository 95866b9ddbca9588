"""Hypothesis strategies the property tests share: CNI settings across the ranges ipamd treats apart."""
from __future__ import annotations

from hypothesis import strategies as st
from podcap.engine.settings import CniSettings


def cni_settings(*, ipv6: bool = False) -> st.SearchStrategy[CniSettings]:
    """aws-node settings: warm targets around their thresholds, MAX_ENI, prefix delegation, custom
    networking, security groups for pods; ``ipv6`` also draws IPv6 clusters (a quarter of the cases)."""
    return st.builds(
        CniSettings,
        warm_eni_target=st.integers(0, 3),
        warm_ip_target=st.sampled_from([0, 0, 1, 2, 5, 16, 40]),
        minimum_ip_target=st.sampled_from([0, 0, 3, 10, 33]),
        warm_prefix_target=st.integers(0, 3),
        max_eni=st.sampled_from([None, None, 1, 2, 3]),
        prefix_delegation=st.booleans(),
        custom_networking=st.booleans(),
        pod_eni=st.booleans(),
        ipv6=st.sampled_from([False, False, False, True]) if ipv6 else st.just(False),
    )
