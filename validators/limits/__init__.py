"""Instance-type network limits, as EC2 DescribeInstanceTypes reports them.

The package ships a generated snapshot (``validators/data/instance_limits.json``, written by
``podcap limits refresh``) so checks run offline; nothing here calls AWS.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

SNAPSHOT_NAME = "instance_limits.json"


class UnknownInstanceType(LookupError):
    """An instance type the snapshot does not know: never guessed, always reported with close names."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown instance type {name!r}{hint} (run `podcap limits refresh` if it is new)")


@dataclass(frozen=True)
class InstanceLimits:
    name: str
    enis: int  # MaximumNetworkInterfaces of the DEFAULT network card: what the VPC CNI uses
    ipv4_per_eni: int  # Ipv4AddressesPerInterface, the ENI's own primary address included
    ipv6_per_eni: int
    vcpus: int
    hypervisor: str  # "nitro", "xen", or "" for bare metal
    bare_metal: bool
    network_cards: tuple[tuple[int, int], ...]  # (NetworkCardIndex, MaximumNetworkInterfaces)
    default_card: int
    max_enis_all_cards: int
    efa: bool
    max_efa_interfaces: int
    trunking: bool | None  # ENI trunking (security groups for pods); None: not known from EC2

    @property
    def nitro(self) -> bool:
        """Prefix delegation needs the Nitro system; the CNI treats bare metal as Nitro too."""
        return self.hypervisor == "nitro" or self.bare_metal

    @property
    def supports_trunking(self) -> bool:
        """Trunking is a Nitro feature; where EC2 does not say, assume Nitro types have it."""
        return self.trunking if self.trunking is not None else self.nitro

    @classmethod
    def from_record(cls, name: str, rec: dict[str, Any]) -> InstanceLimits:
        return cls(
            name=name,
            enis=int(rec["enis"]),
            ipv4_per_eni=int(rec["ipv4"]),
            ipv6_per_eni=int(rec.get("ipv6", 0)),
            vcpus=int(rec["vcpus"]),
            hypervisor=rec.get("hypervisor") or "",
            bare_metal=bool(rec.get("bare_metal", False)),
            network_cards=tuple((int(i), int(n)) for i, n in rec.get("cards", [])),
            default_card=int(rec.get("default_card", 0)),
            max_enis_all_cards=int(rec.get("max_enis", rec["enis"])),
            efa=bool(rec.get("efa", False)),
            max_efa_interfaces=int(rec.get("max_efa", 0)),
            trunking=rec.get("trunking"),
        )


@dataclass(frozen=True)
class Snapshot:
    provenance: dict[str, Any]
    types: dict[str, InstanceLimits]

    def get(self, name: str) -> InstanceLimits:
        key = name.strip().lower() if isinstance(name, str) else name
        try:
            return self.types[key]
        except (KeyError, TypeError):
            raise UnknownInstanceType(str(name), self.suggest(str(name))) from None

    def suggest(self, name: str, n: int = 3) -> list[str]:
        return difflib.get_close_matches(name.strip().lower(), self.types.keys(), n=n, cutoff=0.6)

    def names(self) -> list[str]:
        return sorted(self.types)


def parse_snapshot(doc: dict[str, Any]) -> Snapshot:
    types = {name: InstanceLimits.from_record(name, rec) for name, rec in doc["instance_types"].items()}
    return Snapshot(provenance=doc.get("generated", {}), types=types)


def load_snapshot(path: str | Path | None = None) -> Snapshot:
    """The shipped snapshot, or another file written by ``podcap limits refresh --output``."""
    if path is not None:
        return parse_snapshot(json.loads(Path(path).read_text()))
    return _shipped()


@lru_cache(maxsize=1)
def _shipped() -> Snapshot:
    text = resources.files("podcap.data").joinpath(SNAPSHOT_NAME).read_text()
    return parse_snapshot(json.loads(text))


def get(name: str) -> InstanceLimits:
    return _shipped().get(name)
