"""`podcap limits show [TYPE]`: where the snapshot, and each field of one type, came from.

Without a type: the snapshot's provenance (DescribeInstanceTypes' endpoint and note, and the AWS tables
merged with their repositories and commits) and how many types and fields each source gave. With a type:
every field with its value and its source, DescribeInstanceTypes' own figures where AWS's tables overrode
them, and each table's row for the type as the package ships it, so a disagreement can be seen.
"""
from __future__ import annotations

from collections import Counter

from podcap.limits import Snapshot
from podcap.limits.published import EC2, TABLES, load_published, source_label, table_facts

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# InstanceLimits attribute -> the record key it is read from
FIELD_KEYS = {
    "enis": "enis", "ipv4_per_eni": "ipv4", "ipv6_per_eni": "ipv6", "vcpus": "vcpus",
    "hypervisor": "hypervisor", "bare_metal": "bare_metal", "network_cards": "cards",
    "default_card": "default_card", "max_enis_all_cards": "max_enis", "efa": "efa",
    "max_efa_interfaces": "max_efa", "trunking": "trunking", "branch_enis": "branch_enis",
    "architectures": "arch", "memory_mib": "memory_mib", "gpus": "gpus", "accelerators": "accelerators",
}


def ec2_label(provenance: dict[str, Any]) -> str:
    """DescribeInstanceTypes, and whether it was moto's recording or an account's answer."""
    note = str(provenance.get("note", ""))
    if "moto" in note.lower():
        return "DescribeInstanceTypes (moto's recording)"
    regions = provenance.get("regions") or []
    return f"DescribeInstanceTypes ({', '.join(regions)})" if regions else "DescribeInstanceTypes"


def describe_snapshot(snap: Snapshot) -> dict[str, Any]:
    gen = snap.provenance
    per_source: Counter[str] = Counter()
    fields_from: dict[str, Counter[str]] = {}
    overridden = []
    for name, rec in snap.records.items():
        for code in rec.get("in", [EC2]):
            per_source[code] += 1
        for key, code in (rec.get("src") or {}).items():
            fields_from.setdefault(source_label(code), Counter())[key] += 1
        if rec.get("ec2"):
            overridden.append(name)
    label = ec2_label(gen)
    return {
        **gen,
        "instance_types": len(snap.types),
        "types_per_source": {(label if c == EC2 else source_label(c)): n for c, n in sorted(per_source.items())},
        "only_in_aws_tables": sorted(n for n, r in snap.records.items() if EC2 not in r.get("in", [EC2])),
        "tables_overrode_describe_instance_types": sorted(overridden),
        "fields_from_tables": {k: dict(sorted(v.items())) for k, v in sorted(fields_from.items())},
    }


def describe_type(snap: Snapshot, name: str) -> dict[str, Any]:
    """One type's provenance (raises UnknownInstanceType)."""
    lim = snap.get(name)
    rec = snap.record(name)
    label = ec2_label(snap.provenance)
    src = rec.get("src") or {}
    present = rec.get("in", [EC2])
    fields: dict[str, Any] = {}
    for attr, key in FIELD_KEYS.items():
        value = getattr(lim, attr)
        if isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        if rec.get(key) is None:
            where = "unknown: no source has it"
        else:
            code = src.get(key, EC2 if EC2 in present else "")
            where = label if code == EC2 else source_label(code)
        fields[attr] = {"value": value, "source": where}
        if attr == "architectures" and rec.get(key) is not None:
            fields[attr]["ec2_names"] = list(rec[key])  # as DescribeInstanceTypes lists them, before mapping
    try:
        tables = load_published().get("instance_types", {}).get(lim.name, {})
    except (OSError, ValueError):
        tables = {}
    rows = {}
    for code in TABLES:
        raw = tables.get(code)
        rows[source_label(code)] = None if raw is None else {"row": raw, "as_fields": table_facts(code, raw)}
    return {
        "instance_type": lim.name,
        "in": [label if c == EC2 else source_label(c) for c in present],
        "fields": fields,
        "describe_instance_types_overridden": rec.get("ec2") or {},
        "tables": rows,
    }
