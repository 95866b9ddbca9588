#!/usr/bin/env python3
"""Regenerate the shipped instance-limits data, in two steps anyone can rerun:

1. ``--reference DIR``: rebuild ``validators/data/aws_published_limits.json.gz`` from the JSON conversions of
   AWS's per-type tables (vpc-cni-limits.json, vpc-resource-controller-limits.json, nodeadm-instance-info.jsonl
   and the SOURCES.md that names their commits). Default DIR: ../shared/reference/aws-limits beside the
   checkout, when it is there; without it the shipped file is kept as it is.
2. DescribeInstanceTypes (network figures, vCPUs, CPU architectures, memory, GPUs and accelerators), merged
   with those tables, into ``validators/data/instance_limits.json``:
   ``--moto`` (default) reads moto's recorded copy through a local moto server
   (scripts/refresh_snapshot_moto.sh); ``--account --region R ...`` reads an AWS account with boto3's usual
   credentials (read-only ``ec2:DescribeInstanceTypes``).
3. The instance types of EKS Auto Mode's built-in pools, worked out from those records and stored beside
   them (``selections``), so that checks need not judge every type again
   (podcap.limits.refresh.store_selections).

Usage: .venv/bin/python scripts/generate_snapshot.py [--reference DIR] [--moto | --account --region R] [-o OUT]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "validators" / "data"
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference" / "aws-limits"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="generate_snapshot.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--reference", metavar="DIR", type=Path,
                   help=f"folder with AWS's tables as JSON (default: {DEFAULT_REFERENCE} when present)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--moto", action="store_true", help="DescribeInstanceTypes from moto's recording (default)")
    src.add_argument("--account", action="store_true", help="DescribeInstanceTypes from an AWS account")
    p.add_argument("--region", action="append", metavar="REGION", help="with --account: region(s), or 'all'")
    p.add_argument("--profile", help="with --account: AWS profile")
    p.add_argument("-o", "--output", type=Path, default=DATA / "instance_limits.json")
    p.add_argument("--tables-only", action="store_true", help="rebuild the tables file only")
    a = p.parse_args(argv)

    try:
        from podcap.limits import published
    except ImportError:
        print("generate_snapshot.py: install the package first (bash scripts/setup.sh)", file=sys.stderr)
        return 2

    ref = a.reference or (DEFAULT_REFERENCE if DEFAULT_REFERENCE.is_dir() else None)
    if ref is not None:
        try:
            doc = published.build_published(ref)
        except published.PublishedDataError as e:
            print(f"generate_snapshot.py: error: {e}", file=sys.stderr)
            return 2
        out = published.write_published(doc, DATA / published.PUBLISHED_NAME)
        counts = ", ".join(f"{c}: {s['count']} types at {s['commit'][:12]}" for c, s in doc["sources"].items())
        print(f"wrote {out.relative_to(ROOT)} ({counts})")
    else:
        print(f"no reference folder: keeping the shipped {published.PUBLISHED_NAME}")
    if a.tables_only:
        return 0

    if a.account:
        cmd = [sys.executable, "-m", "podcap.limits.refresh", "--output", str(a.output)]
        for r in a.region or []:
            cmd += ["--region", r]
        if a.profile:
            cmd += ["--profile", a.profile]
        rc = subprocess.call(cmd, cwd=ROOT)
    else:
        env = dict(os.environ, PYTHON=os.environ.get("PYTHON", sys.executable))
        rc = subprocess.call(["bash", str(ROOT / "scripts" / "refresh_snapshot_moto.sh"), str(a.output)],
                             cwd=ROOT, env=env)
    if rc != 0:
        return rc
    from podcap.limits.refresh import store_selections

    out = store_selections(a.output)
    print(f"stored the built-in pools' instance types in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
