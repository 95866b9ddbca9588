"""`podcap limits refresh`: regenerate the instance-limits snapshot from EC2 DescribeInstanceTypes, merged
with AWS's published per-type tables shipped in the package (:mod:`podcap.limits.published`).

Read-only: ``ec2:DescribeInstanceTypes`` (and ``ec2:DescribeRegions`` for ``--region all``). The document
records where the data came from (date, regions, the endpoint actually used) so a snapshot made against a
test endpoint can never pass for one made against AWS. boto3 is imported only inside the functions.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from podcap.limits import SNAPSHOT_NAME

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

SOURCE = "EC2 DescribeInstanceTypes"
TOOL = "podcap limits refresh"
ALL_REGIONS = "all"
FALLBACK_REGION = "us-east-1"  # only to list regions for "all" when no region is configured
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "data" / SNAPSHOT_NAME
EXIT_OK, EXIT_ERROR = 0, 2


# --------------------------------------------------------------------------- DescribeInstanceTypes -> record


def record_from_api(it: dict[str, Any]) -> dict[str, Any]:
    """One DescribeInstanceTypes entry -> the snapshot record (see :class:`podcap.limits.InstanceLimits`)."""
    net = it["NetworkInfo"]
    max_enis = int(net["MaximumNetworkInterfaces"])
    default_card = int(net.get("DefaultNetworkCardIndex", 0) or 0)
    cards = sorted((int(c["NetworkCardIndex"]), int(c["MaximumNetworkInterfaces"]))
                   for c in net.get("NetworkCards") or [])
    enis = next((n for i, n in cards if i == default_card), None)
    if enis is None:  # no NetworkCards (or none matches the default index): the instance-wide figure
        enis = max_enis
    return {
        "enis": enis,
        "ipv4": int(net["Ipv4AddressesPerInterface"]),
        "ipv6": int(net.get("Ipv6AddressesPerInterface", 0) or 0),
        "vcpus": int(it["VCpuInfo"]["DefaultVCpus"]),
        "hypervisor": it.get("Hypervisor") or "",
        "bare_metal": bool(it.get("BareMetal", False)),
        "cards": [[i, n] for i, n in cards],
        "default_card": default_card,
        "max_enis": max_enis,
        "efa": bool(net.get("EfaSupported", False)),
        "max_efa": int((net.get("EfaInfo") or {}).get("MaximumEfaInterfaces", 0) or 0),
        "trunking": None,  # DescribeInstanceTypes does not report ENI trunking
        # EC2's own names (x86_64, arm64, i386, x86_64_mac ...): InstanceLimits maps them to Kubernetes' names
        "arch": _architectures(it),
        "memory_mib": _memory_mib(it),
        "gpus": _gpus(it),
        "accelerators": _accelerators(it),
    }


def _architectures(it: dict[str, Any]) -> list[str] | None:
    """ProcessorInfo.SupportedArchitectures as EC2 lists them; None when the entry has no processor facts."""
    archs = (it.get("ProcessorInfo") or {}).get("SupportedArchitectures")
    if not isinstance(archs, list) or not archs:
        return None
    return [str(a) for a in archs]


def _gpus(it: dict[str, Any]) -> list[list[Any]]:
    """GpuInfo.Gpus as [name, manufacturer, count, memory MiB per GPU]; [] when EC2 lists no GPU."""
    out = []
    for g in (it.get("GpuInfo") or {}).get("Gpus") or []:
        out.append([str(g.get("Name") or ""), str(g.get("Manufacturer") or ""), int(g.get("Count") or 0),
                    int((g.get("MemoryInfo") or {}).get("SizeInMiB") or 0)])
    return out


def _accelerators(it: dict[str, Any]) -> list[list[Any]]:
    """The accelerators Karpenter labels (types.go computeRequirements) as [name, manufacturer, count]:
    NeuronInfo.NeuronDevices when EC2 lists them (manufacturer "AWS"), else InferenceAcceleratorInfo; []: none."""
    neuron = (it.get("NeuronInfo") or {}).get("NeuronDevices")
    if it.get("NeuronInfo") is not None:
        return [[str(d.get("Name") or ""), "AWS", int(d.get("Count") or 0)] for d in neuron or []]
    return [[str(a.get("Name") or ""), str(a.get("Manufacturer") or ""), int(a.get("Count") or 0)]
            for a in (it.get("InferenceAcceleratorInfo") or {}).get("Accelerators") or []]


def _memory_mib(it: dict[str, Any]) -> int | None:
    """MemoryInfo.SizeInMiB (what Karpenter's karpenter.k8s.aws/instance-memory label holds); None if absent."""
    size = (it.get("MemoryInfo") or {}).get("SizeInMiB")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        return None
    return size


# --------------------------------------------------------------------------- fetching


def _split_regions(regions: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for r in regions or []:
        for part in str(r).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def _resolve_regions(session: Any, regions: list[str], profile: str | None) -> list[str]:
    from botocore.exceptions import NoRegionError
    from podcap import aws_clients

    named = [r for r in regions if r.lower() != ALL_REGIONS]
    if len(named) < len(regions):  # "all": every region enabled for the account
        where = named[0] if named else (session.region_name or FALLBACK_REGION)
        ec2 = aws_clients.client("ec2", region=where, profile=profile, session=session)
        listed = [r["RegionName"] for r in ec2.describe_regions()["Regions"]]
        return sorted(set(listed) | set(named))
    if named:
        return sorted(set(named))
    if not session.region_name:
        raise NoRegionError()
    return [session.region_name]


def fetch_instance_types(regions: list[str] | None, profile: str | None = None, *,
                         note: str | None = None,
                         instance_types: list[str] | None = None) -> dict[str, Any]:
    """Call DescribeInstanceTypes (paginated) in each region and return the snapshot document.

    ``regions``: the regions to read; ``None``/empty: the session's region; ``"all"``: every region
    DescribeRegions lists. Types are merged across regions (the first region, in sorted order, wins).
    ``instance_types`` restricts the call to those names (mainly for tests). Raises botocore exceptions.
    """
    from podcap import aws_clients

    session = aws_clients.make_session(profile=profile)
    wanted = _resolve_regions(session, _split_regions(regions), profile)
    types: dict[str, dict[str, Any]] = {}
    endpoints: list[str] = []
    for region in wanted:
        ec2 = aws_clients.client("ec2", region=region, profile=profile, session=session)
        url = aws_clients.safe_url(ec2.meta.endpoint_url)
        if url not in endpoints:
            endpoints.append(url)
        kwargs: dict[str, Any] = {}
        if instance_types:
            kwargs["InstanceTypes"] = list(instance_types)
        else:
            kwargs["PaginationConfig"] = {"PageSize": 100}
        for page in ec2.get_paginator("describe_instance_types").paginate(**kwargs):
            for it in page.get("InstanceTypes", []):
                name = it.get("InstanceType")
                if not name or name in types:
                    continue
                try:
                    types[name] = record_from_api(it)
                except (KeyError, TypeError, ValueError):
                    continue  # an entry without network figures cannot be used; never guess them
    generated: dict[str, Any] = {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "regions": wanted,
        "endpoint": ", ".join(endpoints),
        "source": SOURCE,
        "tool": TOOL,
        "count": len(types),
    }
    if note:
        generated["note"] = note
    return {"generated": generated, "instance_types": {k: types[k] for k in sorted(types)}}


# --------------------------------------------------------------------------- writing


# the objects written one entry per line: the records, and the selections worked out from them
_ONE_PER_LINE = ("instance_types", "selections")


def dumps_snapshot(doc: dict[str, Any]) -> str:
    """Compact JSON, keys sorted, one instance type (and one stored selection) per line (readable diffs)."""
    def enc(v: Any) -> str:
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    parts = []
    for key in sorted(doc):
        value = doc[key]
        if key in _ONE_PER_LINE and isinstance(value, dict):
            rows = ",\n".join(f"{enc(name)}:{enc(value[name])}" for name in sorted(value))
            parts.append(f"{enc(key)}:{{\n{rows}\n}}" if rows else f"{enc(key)}:{{}}")
        else:
            parts.append(f"{enc(key)}:{enc(value)}")
    return "{" + ",\n".join(parts) + "}\n"


def with_selections(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the selections checks would otherwise work out from its records each time (EKS Auto
    Mode's built-in pools: podcap.engine.auto_mode.stored_selections), stored beside them. Only the shipped
    snapshot's are read (Snapshot.selections): scripts/generate_snapshot.py stores them with
    :func:`store_selections` once the records are written, and tests/test_speed_selections.py holds them
    equal to what this gives for the shipped records."""
    from podcap.engine.auto_mode import stored_selections
    from podcap.limits import SnapshotError, parse_snapshot

    try:
        snapshot = parse_snapshot(doc)
    except SnapshotError:  # records no check can read: nothing to work out, the file says what is wrong
        return doc
    return {**doc, "selections": stored_selections(snapshot)}


def store_selections(path: str | os.PathLike[str]) -> Path:
    """Rewrite the snapshot file at ``path`` with its selections (:func:`with_selections`)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return write_snapshot(with_selections(doc), path)


def write_snapshot(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``doc`` atomically to ``path`` (parent directories created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = dumps_snapshot(doc)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a snapshot is package data, readable by all
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if target.resolve() == DEFAULT_OUTPUT:
        from podcap import limits

        limits._shipped.cache_clear()
    return target


# --------------------------------------------------------------------------- CLI


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", action="append", metavar="REGION",
                   help="region to read (repeatable, or comma-separated); 'all' = every enabled region; "
                        "default: the configured region")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="where to write the snapshot (default: the shipped validators/data/instance_limits.json)")
    p.add_argument("--profile", help="AWS profile (default: boto3's usual configuration)")
    p.add_argument("--note", metavar="TEXT", help="free text stored in the snapshot's provenance")
    p.add_argument("--describe-only", action="store_true",
                   help="write DescribeInstanceTypes' answer alone, without merging AWS's published tables "
                        "(VPC CNI, VPC resource controller, nodeadm) that the package ships")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="podcap limits refresh",
                                description="Regenerate the instance limits snapshot from EC2 DescribeInstanceTypes.")
    add_arguments(p)
    return p


def main(args: argparse.Namespace | Sequence[str] | None = None) -> int:
    if not isinstance(args, argparse.Namespace):
        args = build_parser().parse_args(list(args) if args is not None else None)
    from botocore.exceptions import BotoCoreError, ClientError
    from podcap.aws_clients import AwsAccessError, explain_aws_error

    output = Path(getattr(args, "output", None) or DEFAULT_OUTPUT)
    try:
        doc = fetch_instance_types(getattr(args, "region", None), profile=getattr(args, "profile", None),
                                   note=getattr(args, "note", None))
    except (BotoCoreError, ClientError, AwsAccessError) as e:
        print(f"podcap: error: {explain_aws_error(e)}", file=sys.stderr)
        return EXIT_ERROR
    gen = doc["generated"]
    if not gen["count"]:
        print(f"podcap: error: DescribeInstanceTypes returned no instance types from {gen['endpoint']}; "
              f"{output} not written", file=sys.stderr)
        return EXIT_ERROR
    described = gen["count"]
    if not getattr(args, "describe_only", False):
        from podcap.limits.published import merge

        try:
            doc = merge(doc)
        except (OSError, ValueError, KeyError) as e:  # the package's tables missing or damaged
            print(f"podcap: error: cannot merge AWS's published tables shipped with podcap ({e}); "
                  f"{output} not written (--describe-only writes DescribeInstanceTypes alone)", file=sys.stderr)
            return EXIT_ERROR
        gen = doc["generated"]
    try:
        write_snapshot(doc, output)
    except OSError as e:
        print(f"podcap: error: cannot write {output}: {e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR
    merged = "supplementary" in gen
    added = (f", merged with AWS's published tables (VPC CNI, VPC resource controller, nodeadm): "
             f"{gen['count']} in all") if merged else ""
    print(f"wrote {described} instance types from {', '.join(gen['regions'])} "
          f"(endpoint {gen['endpoint']}){added} to {output}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
