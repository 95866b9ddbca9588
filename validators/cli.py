"""The `podcap` command line. Imports stay inside the handlers so `podcap --help` starts instantly."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from podcap import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
REPORT_FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html")


class UsageError(Exception):
    """Bad invocation or unreadable input: one line on stderr, exit 2."""


def _whole_number(text: str, least: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
    if v < least:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {v}")
    return v


def _nonneg_int(text: str) -> int:
    return _whole_number(text, 0)


def _pos_int(text: str) -> int:
    return _whole_number(text, 1)


def _key_value(text: str) -> tuple[str, str]:
    if "=" not in text or not text.split("=", 1)[0]:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    return k.strip(), v


def _add_mode_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("CNI mode")
    g.add_argument("--prefix-delegation", action="store_true", help="ENABLE_PREFIX_DELEGATION=true (/28 prefixes)")
    g.add_argument("--custom-networking", action="store_true",
                   help="AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true (pods in ENIConfig subnets; primary ENI carries none)")
    g.add_argument("--security-groups-for-pods", action="store_true", help="ENABLE_POD_ENI=true (trunk ENI takes a slot)")
    g.add_argument("--max-eni", type=_pos_int, metavar="N", help="MAX_ENI")
    g.add_argument("--ipv6", action="store_true", help="IPv6 cluster (prefix delegation, one /80 per node)")
    g.add_argument("--os", choices=["linux", "windows"], default="linux",
                   help="node OS: Windows pods use the primary ENI only (VPC resource controller)")
    g.add_argument("--managed", action="store_true",
                   help="a managed node group without a custom AMI: the max pods EKS writes (recommended, "
                        "capped at 110 up to 30 vCPUs, 250 above)")


def _mode_env(a: argparse.Namespace) -> dict[str, str]:
    env: dict[str, str] = {}
    if a.prefix_delegation or a.ipv6:
        env["ENABLE_PREFIX_DELEGATION"] = "true"
    if a.custom_networking:
        env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] = "true"
    if a.security_groups_for_pods:
        env["ENABLE_POD_ENI"] = "true"
    if a.max_eni is not None:
        env["MAX_ENI"] = str(a.max_eni)
    if a.ipv6:
        env["ENABLE_IPv6"] = "true"
        env["ENABLE_IPv4"] = "false"  # as on an IPv6 cluster: ipamd refuses dual stack
    return env


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns without importing shutil (and with it zlib, bz2 and lzma: ~4 ms of
    every start, since argparse builds a formatter, which asks the width, for every add_argument): $COLUMNS,
    else the terminal's width, else 80, as shutil computes it."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, with the terminal width from :func:`_terminal_columns`."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else _terminal_columns() - 2)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad invocation is one line (as in CI logs), not the usage block."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")


class _LazyParser(_Parser):
    """A sub-command parser whose arguments are added on first use (so start-up does not import their module)."""

    def __init__(self, *args, add_arguments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_later = add_arguments

    def _ready(self) -> None:
        if self._add_later is not None:
            add, self._add_later = self._add_later, None
            add(self)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        self._ready()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._ready()
        return super().format_help()


class _Pending:
    """A sub-command parser not made yet: its class and arguments (see _Commands)."""

    def __init__(self, make: type, kwargs: dict) -> None:
        self.make, self.kwargs = make, kwargs


class _CommandMap(dict):
    """Command name -> its parser, made at its first lookup: argparse's sub-parsers action looks up only
    the command given (membership and listing, for "invalid choice", read the names alone)."""

    def __getitem__(self, name: str) -> argparse.ArgumentParser:
        v = dict.__getitem__(self, name)
        if isinstance(v, _Pending):
            v = v.make(**v.kwargs)
            dict.__setitem__(self, name, v)
        return v

    def get(self, name, default=None):  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default


class _Commands(argparse._SubParsersAction):
    """Sub-commands whose parsers are made only when run: each ArgumentParser asks gettext for its titles
    and help texts (a search for message catalogues each time), so making the eight a check does not run
    cost more than the one it does. ``add_parser`` makes the parser at once (its arguments may be added
    next); ``add_later`` keeps a command's parser for its first use. Help lists every command either way."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._name_parser_map = self.choices = _CommandMap()

    def add_later(self, name: str, **kwargs) -> None:
        real = self._parser_class
        self._parser_class = lambda **kw: _Pending(real, kw)
        try:
            super().add_parser(name, **kwargs)
        finally:
            self._parser_class = real


def _refresh_arguments(p: argparse.ArgumentParser) -> None:
    from podcap.limits import refresh

    refresh.add_arguments(p)
    p.set_defaults(func=cmd_limits_refresh)


def _maxpods_arguments(mp: argparse.ArgumentParser) -> None:
    mp.add_argument("types", nargs="*", metavar="TYPE")
    mp.add_argument("--all", action="store_true", help="every instance type in the snapshot")
    _add_mode_flags(mp)
    mp.add_argument("--kubelet-max-pods", type=_nonneg_int, metavar="N",
                    help="compare a kubelet max-pods value with each type's capacity")
    mp.add_argument("--format", choices=["text", "json"], default="text")
    mp.set_defaults(func=cmd_maxpods)


def _node_arguments(nd: argparse.ArgumentParser) -> None:
    nd.add_argument("type", metavar="TYPE")
    nd.add_argument("--pods", type=_nonneg_int, required=True, metavar="N",
                    help="pods that take a VPC address (host-network pods such as aws-node and kube-proxy take none)")
    g = nd.add_argument_group("warm pool")
    g.add_argument("--warm-eni-target", type=_nonneg_int, metavar="N")
    g.add_argument("--warm-ip-target", type=_nonneg_int, metavar="N")
    g.add_argument("--minimum-ip-target", type=_nonneg_int, metavar="N")
    g.add_argument("--warm-prefix-target", type=_nonneg_int, metavar="N")
    _add_mode_flags(nd)
    nd.add_argument("--env", action="append", type=_key_value, default=[], metavar="KEY=VALUE",
                    help="raw aws-node env, read as the CNI reads it (flags above win)")
    nd.add_argument("--kubelet-max-pods", type=_nonneg_int, metavar="N",
                    help="kubelet max-pods (default: the EKS AMI's default, what a self-managed node runs; "
                         "with --managed, the figure EKS writes for a managed node group)")
    nd.add_argument("--format", choices=["text", "json"], default="text")
    nd.set_defaults(func=cmd_node)


def _check_arguments(ck: argparse.ArgumentParser) -> None:
    ck.add_argument("paths", nargs="+", metavar="PATH")
    ck.add_argument("--format", choices=list(REPORT_FORMATS), default=None,
                    help="the report on stdout (default text; with -o FILE, the format of that file)")
    ck.add_argument("-o", "--output", action="append", default=[], metavar="FORMAT[=PATH]", dest="outputs",
                    help="write a report in FORMAT to PATH, or to stdout without a path; repeatable (several "
                         "formats in one run). A bare PATH writes the --format report there")
    ck.add_argument("--fail-on", choices=["error", "warning", "info", "none"], default=None,
                    help="lowest severity that fails the run (exit 1); default error")
    ck.add_argument("--strict", action="store_true", help="same as --fail-on warning (unresolved values included)")
    ck.add_argument("--skip-unrecognized", action="store_true",
                    help="skip a file that is none of the kinds podcap reads (pre-commit passes every matching "
                         "file) instead of failing with exit 2")
    ck.add_argument("--baseline", metavar="FILE",
                    help="an earlier --format json report: findings already in it are marked and do not fail; "
                         "every subnet's change in free addresses at max is reported")
    ck.add_argument("--parameter", action="append", type=_key_value, default=[], metavar="K=V",
                    help="CloudFormation parameter value")
    ck.add_argument("--config", metavar="FILE", help="podcap config with suppressions (default: ./.podcap.yaml)")
    ck.add_argument("--live", action="store_true", help="read existing subnets, ENIs and clusters from AWS (read-only)")
    ck.add_argument("--region", help="AWS region for --live")
    ck.add_argument("--profile", help="AWS profile for --live")
    ck.add_argument("--live-timeout", type=float, metavar="SECONDS",
                    help="deadline for all --live AWS reads (default 120, or PODCAP_LIVE_TIMEOUT)")
    ck.set_defaults(func=cmd_check)


def _size_arguments(sz: argparse.ArgumentParser) -> None:
    sz.add_argument("--instance-type", action="append", required=True, metavar="TYPE", dest="instance_types",
                    help="instance type (repeat for a node group of several types: sized for the worst)")
    sz.add_argument("--nodes", type=_pos_int, required=True, metavar="N", help="nodes at max size")
    sz.add_argument("--azs", type=_pos_int, required=True, metavar="K", help="AZs the nodes spread over")
    sz.add_argument("--pods-per-node", type=_nonneg_int, metavar="P",
                    help="address-taking pods per node (default: as many as max pods allows)")
    sz.add_argument("--prefix-delegation", action="store_true", help="ENABLE_PREFIX_DELEGATION=true (/28 prefixes)")
    g = sz.add_argument_group("warm pool")
    g.add_argument("--warm-eni-target", type=_nonneg_int, metavar="N")
    g.add_argument("--warm-ip-target", type=_nonneg_int, metavar="N")
    g.add_argument("--minimum-ip-target", type=_nonneg_int, metavar="N")
    g.add_argument("--warm-prefix-target", type=_nonneg_int, metavar="N")
    sz.add_argument("--env", action="append", type=_key_value, default=[], metavar="KEY=VALUE",
                    help="raw aws-node env, read as the CNI reads it (flags above win)")
    sz.add_argument("--kubelet-max-pods", type=_nonneg_int, metavar="M", help="kubelet max-pods set on the nodes")
    sz.add_argument("--managed", action="store_true",
                    help="an EKS managed node group: max pods as EKS writes it for the CNI settings")
    sz.add_argument("--surge", type=_nonneg_int, nargs="?", const=-1, metavar="S",
                    help="also size for a managed node group update adding S nodes, at most EKS's "
                         "max(2 x AZs, 100) (no value: EKS's max(2 x AZs, maxUnavailable 1))")
    sz.add_argument("--survive-az-loss", action="store_true",
                    help="also size for a lost AZ whose nodes move to the other AZs")
    sz.add_argument("--vpc-cidr", metavar="CIDR", help="lay out aligned, non-overlapping subnet CIDRs in this VPC CIDR")
    sz.add_argument("--format", choices=["text", "json"], default="text")
    sz.set_defaults(func=cmd_size)


def _rules_arguments(rl: argparse.ArgumentParser) -> None:
    rl.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    rl.add_argument("-o", "--output", metavar="FILE")
    rl.set_defaults(func=cmd_rules)


def _limits_arguments(lm: argparse.ArgumentParser) -> None:
    lsub = lm.add_subparsers(dest="limits_command", metavar="SUBCOMMAND", parser_class=_LazyParser,
                             action=_Commands)
    lsub.add_later("refresh", help="regenerate the snapshot from EC2 DescribeInstanceTypes, merged with AWS's "
                                   "published per-type tables", add_arguments=_refresh_arguments)
    lsub.add_later("show", help="where the snapshot came from, or each field of one instance type",
                   description="JSON: the snapshot's provenance (DescribeInstanceTypes and the AWS tables "
                               "merged), or with TYPE each field's value and source, and each table's row.",
                   add_arguments=_show_arguments)
    lm.set_defaults(func=lambda a: (lm.print_help(), EXIT_USAGE)[1])


def _show_arguments(sh: argparse.ArgumentParser) -> None:
    sh.add_argument("type", nargs="?", metavar="TYPE", help="an instance type: where each of its fields came from")
    sh.set_defaults(func=cmd_limits_show)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="podcap",
        description="Check EKS pod networking capacity (VPC CNI ENIs, IPs, /28 prefixes, subnets) before you deploy.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--snapshot", metavar="PATH", help="instance limits snapshot to use instead of the shipped one")
    p.add_argument("--max-input-mb", type=float, metavar="MB",
                   help="refuse input files larger than this (default 256, or PODCAP_MAX_INPUT_MB)")
    # each command's arguments are added when it runs (or shows its help): start-up builds one parser
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_LazyParser, action=_Commands)

    sub.add_later("maxpods", help="max pods per instance type and CNI mode",
                  description="Max pods: address capacity, AWS's recommended value, and the EKS AMI default.",
                  add_arguments=_maxpods_arguments)

    sub.add_later("node", help="what one node takes from its subnets at N pods",
                  description="ENIs, secondary IPs or prefixes, and subnet addresses one node holds with N "
                              "address-taking pods, as ipamd reaches it while the node fills up.",
                  add_arguments=_node_arguments)

    sub.add_later("check", help="check a spec, CloudFormation template, cdk.out or Terraform plan",
                  description="Exit 0: no finding at or above --fail-on (default error) outside the "
                              "--baseline; 1: such a finding; 2: bad invocation or unreadable input.",
                  add_arguments=_check_arguments)

    sub.add_later("size", help="how big the subnets must be for N nodes of a type over K AZs",
                  description="Addresses per AZ at max size (EKS control-plane ENIs included), the smallest "
                              "subnet prefix that holds them, a comparison of CNI settings, and with "
                              "--vpc-cidr concrete subnet CIDRs. Same engine as `podcap check`. Exit 0: "
                              "an answer; 1: nothing fits as asked; 2: bad invocation.",
                  add_arguments=_size_arguments)

    sub.add_later("rules", help="list the rules, or write docs/rules.md", add_arguments=_rules_arguments)
    sub.add_later("limits", help="instance-type limits snapshot", add_arguments=_limits_arguments)
    return p


def _snapshot(a: argparse.Namespace):
    from podcap.limits import load_snapshot

    try:
        return load_snapshot(a.snapshot)
    except (OSError, ValueError, KeyError) as e:
        raise UsageError(f"cannot read instance limits snapshot {a.snapshot}: {e}") from None


def _lookup(snap, names: Sequence[str]):
    from podcap.limits import UnknownInstanceType

    out = []
    for n in names:
        try:
            out.append(snap.get(n))
        except UnknownInstanceType as e:
            raise UsageError(str(e)) from None
    return out


def cmd_maxpods(a: argparse.Namespace) -> int:
    from podcap.engine.managed import managed_max_pods
    from podcap.engine.maxpods import max_pods
    from podcap.engine.settings import parse_env

    snap = _snapshot(a)
    if not a.types and not a.all:
        raise UsageError("name at least one instance type, or --all")
    lims = list(snap.types.values()) if a.all else _lookup(snap, a.types)
    parsed = parse_env(_mode_env(a))
    if parsed.refused and a.os != "windows":  # ipamd's isConfigValid fails: no type holds a pod (see cmd_node)
        if a.format == "json":
            print(json.dumps({"error": f"aws-node does not start: {parsed.refused}", "refused": parsed.refused,
                              "instance_types": [lim.name for lim in lims], "settings": parsed.settings.__dict__},
                             indent=2))
        print(f"podcap: error: aws-node does not start with these settings, so no pod on any of these types gets "
              f"an address: {parsed.refused}", file=sys.stderr)
        return EXIT_FINDINGS
    rows = []
    exit_code = EXIT_OK
    for lim in lims:
        if a.os == "windows":
            row = _windows_row(lim, a.prefix_delegation)
        else:
            m = max_pods(lim, parsed.settings)
            mm = managed_max_pods(lim, parsed.settings)
            row = {
                "instance_type": m.instance_type,
                "enis": m.enis,
                "ipv4_per_eni": m.ipv4_per_eni,
                "vcpus": m.vcpus,
                "hypervisor": lim.hypervisor or ("bare metal" if lim.bare_metal else ""),
                "mode": m.mode,
                "pod_enis": m.pod_enis,
                "network_max_pods": m.network_max_pods,
                "max_pods": m.max_pods,
                "ami_default_max_pods": m.ami_default_max_pods,
                "managed_max_pods": mm.value,
                "managed_note": mm.note,
                "trunking": lim.trunking,
                "branch_enis": getattr(lim, "branch_enis", None),
                "notes": list(m.notes),
            }
            if m.max_pods is None:
                row["notes"].append(f"recommended 110 or {min(m.uncapped_max_pods, 250)}, vCPUs unknown")
        if a.kubelet_max_pods is not None:
            k = a.kubelet_max_pods
            row["kubelet_max_pods"] = k
            cap, rec = row["network_max_pods"], row["max_pods"]
            if k > cap:
                row["kubelet_status"] = "above-capacity"
                row["notes"].append(
                    f"kubelet max-pods {k} > network capacity {cap}: "
                    f"{k - cap} pods would stick in ContainerCreating")
                exit_code = EXIT_FINDINGS
            elif rec is not None and k * 2 <= rec:
                row["kubelet_status"] = "far-below"
                row["notes"].append(f"kubelet max-pods {k} is far below the recommended {rec}")
            else:
                row["kubelet_status"] = "ok"
        rows.append(row)
    if a.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        cols = ["instance_type", "enis", "ipv4_per_eni", "vcpus", "network_max_pods", "max_pods", "ami_default_max_pods"]
        heads = ["TYPE", "ENIS", "IPV4/ENI", "VCPUS", "CAPACITY", "RECOMMENDED", "AMI DEFAULT"]
        if a.managed:
            cols.append("managed_max_pods")
            heads.append("MANAGED")
        if a.kubelet_max_pods is not None:
            cols.append("kubelet_status")
            heads.append("KUBELET")
        print("mode: " + (("Windows (primary ENI, VPC resource controller"
                           + (", prefix delegation)" if a.prefix_delegation else ")")) if a.os == "windows"
                          else parsed.settings.describe()))
        _table(heads, [["?" if r.get(c) is None else r.get(c) for c in cols] for r in rows])
        for r in rows:
            for n in r["notes"]:
                print(f"  {r['instance_type']}: {n}")
            if a.managed and r.get("managed_note"):
                print(f"  {r['instance_type']}: {r['managed_note']}")
    for wmsg in parsed.warnings:
        print(f"warning: {wmsg}", file=sys.stderr)
    return exit_code


def _windows_row(lim, prefix_delegation: bool = False) -> dict:
    """`podcap maxpods --os windows`: EKS user guide windows-support. Secondary IPs (the VPC resource
    controller's default): the primary ENI offers IPv4 per ENI - 1 addresses; with Windows prefix
    delegation (``enable-windows-prefix-delegation`` in the ``amazon-vpc-cni`` ConfigMap) it offers
    (IPv4 per ENI - 1) x 16, as `podcap node --os windows --prefix-delegation` says. The Windows AMI's max
    pods stays IPv4 per ENI - 1 either way unless the user data raises it."""
    from podcap.engine.windows import (
        parse_windows_config,
        windows_capacity,
        windows_max_pods,
        windows_notes,
        windows_settings_for,
    )

    ws = parse_windows_config({"enable-windows-prefix-delegation": "true"} if prefix_delegation else None)
    cap = windows_capacity(lim, ws)
    ami = windows_max_pods(lim)
    notes = ["Windows pods use only the primary ENI's secondary addresses (EKS user guide, windows-support)"]
    if windows_settings_for(lim, ws).prefix_delegation and cap:
        notes = [(f"Windows prefix delegation: the primary ENI holds ({lim.ipv4_per_eni} - 1) x 16 = {cap} "
                 f"addresses (EKS user guide, windows-support); the Windows AMI still sets max pods {ami} "
                 "unless the user data raises it")]
    notes += windows_notes(lim, ws)
    return {
        "instance_type": lim.name,
        "enis": lim.enis,
        "ipv4_per_eni": lim.ipv4_per_eni,
        "vcpus": lim.vcpus,
        "hypervisor": lim.hypervisor or ("bare metal" if lim.bare_metal else ""),
        "mode": "windows",
        "pod_enis": 1,
        "network_max_pods": cap,
        "max_pods": ami,
        "ami_default_max_pods": ami,
        "managed_max_pods": ami,
        "managed_note": "Windows: EKS writes no max pods; the Windows AMI sets IPv4 per ENI - 1",
        "trunking": False,
        "branch_enis": 0,
        "notes": notes,
    }


def _table(heads: list[str], rows: list[list[object]]) -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(heads)]
    print("  ".join(str(h).ljust(w) for h, w in zip(heads, widths)).rstrip())
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def cmd_node(a: argparse.Namespace) -> int:
    from podcap.engine.allocation import CapacityError, allocate
    from podcap.engine.managed import managed_max_pods
    from podcap.engine.maxpods import max_pods
    from podcap.engine.settings import parse_env

    snap = _snapshot(a)
    (lim,) = _lookup(snap, [a.type])
    if a.os == "windows":
        return _windows_node(a, lim)
    env: dict[str, str] = dict(a.env)
    for flag, key in [("warm_eni_target", "WARM_ENI_TARGET"), ("warm_ip_target", "WARM_IP_TARGET"),
                      ("minimum_ip_target", "MINIMUM_IP_TARGET"), ("warm_prefix_target", "WARM_PREFIX_TARGET")]:
        if getattr(a, flag) is not None:
            env[key] = str(getattr(a, flag))
    env.update(_mode_env(a))
    parsed = parse_env(env)
    s = parsed.settings
    mp = max_pods(lim, s)
    mm = managed_max_pods(lim, s)
    # kubelet max-pods: given, else what the node runs when nobody sets it: the AMI default on a
    # self-managed node, EKS's figure on a managed node group (--managed)
    if a.kubelet_max_pods is not None:
        kubelet, kubelet_why = a.kubelet_max_pods, "given"
    elif a.managed:
        if mm.value is None:
            raise UsageError(f"{lim.name}: {mm.note}; give --kubelet-max-pods")
        kubelet, kubelet_why = mm.value, mm.note
    else:
        kubelet = mp.ami_default_max_pods
        kubelet_why = (f"the AMI default, as on a self-managed node; a managed node group gets "
                       f"{mm.value if mm.value is not None else f'110 or {min(mm.recommended, 250)}'} from EKS: --managed")
    if parsed.refused:
        if a.format == "json":
            print(json.dumps({"error": f"aws-node does not start: {parsed.refused}", "refused": parsed.refused,
                              "instance_type": lim.name, "pods": a.pods, "starved_pods": a.pods,
                              "settings": s.__dict__, "warnings": parsed.warnings}, indent=2))
        print(f"podcap: error: {lim.name}: aws-node does not start, so none of the {a.pods} pods gets an "
              f"address: {parsed.refused}", file=sys.stderr)
        return EXIT_FINDINGS
    try:
        alloc = allocate(lim, s, a.pods, kubelet)
    except CapacityError as e:
        if a.format == "json":
            print(json.dumps({"error": str(e), "instance_type": lim.name, "pods": a.pods,
                              "network_max_pods": mp.network_max_pods,
                              "pod_address_capacity": mp.pod_address_capacity,
                              "kubelet_max_pods": kubelet, "kubelet_max_pods_source": kubelet_why}, indent=2))
        print(f"podcap: error: {e} (kubelet max-pods {kubelet}: {kubelet_why})", file=sys.stderr)
        return EXIT_FINDINGS
    for wmsg in parsed.warnings:
        print(f"warning: {wmsg}", file=sys.stderr)
    if a.format == "json":
        d = alloc.to_dict()
        d.update(settings=s.__dict__, warnings=parsed.warnings, setting_notes=parsed.notes,
                 network_max_pods=mp.network_max_pods, max_pods=mp.max_pods,
                 ami_default_max_pods=mp.ami_default_max_pods, managed_max_pods=mm.value,
                 kubelet_max_pods_source=kubelet_why, trunking=lim.trunking,
                 branch_enis=getattr(lim, "branch_enis", None))
        print(json.dumps(d, indent=2))
        return EXIT_FINDINGS if alloc.starved_pods else EXIT_OK
    print(explain_allocation(alloc, mp, s, parsed.notes, kubelet_why=kubelet_why, managed=mm.value))
    return EXIT_FINDINGS if alloc.starved_pods else EXIT_OK


def _windows_node(a: argparse.Namespace, lim) -> int:
    """`podcap node --os windows`: the VPC resource controller's pool on the primary ENI (engine.windows)."""
    from podcap.engine.windows import (
        parse_windows_config,
        windows_allocation,
        windows_capacity,
        windows_max_pods,
        windows_notes,
        windows_settings_for,
    )

    cfg: dict[str, str] = {}
    if a.prefix_delegation:
        cfg["enable-windows-prefix-delegation"] = "true"
    for flag, key in [("warm_ip_target", "warm-ip-target"), ("minimum_ip_target", "minimum-ip-target"),
                      ("warm_prefix_target", "warm-prefix-target")]:
        if getattr(a, flag) is not None:
            cfg[key] = str(getattr(a, flag))
    cfg.update({k: v for k, v in a.env})
    asked = parse_windows_config(cfg or None)
    ws = windows_settings_for(lim, asked)  # what the controller applies on this type
    cap = windows_capacity(lim, asked)
    ami = windows_max_pods(lim)
    kubelet = a.kubelet_max_pods if a.kubelet_max_pods is not None else ami
    why = "given" if a.kubelet_max_pods is not None else "Windows AMI default: IPv4 per ENI - 1"
    limit = min(kubelet, cap)
    if a.pods > limit:
        msg = (f"{lim.name} (Windows, {ws.describe()}) runs at most {limit} pods (primary ENI capacity {cap}, "
               f"kubelet max-pods {kubelet}: {why}); {a.pods} requested"
               + "".join(f"; {n}" for n in windows_notes(lim, asked)))
        if a.format == "json":
            print(json.dumps({"error": msg, "instance_type": lim.name, "pods": a.pods,
                              "network_max_pods": cap, "kubelet_max_pods": kubelet}, indent=2))
        print(f"podcap: error: {msg}", file=sys.stderr)
        return EXIT_FINDINGS
    wa = windows_allocation(lim, asked, a.pods)
    code = EXIT_FINDINGS if wa.starved_pods else EXIT_OK
    if a.format == "json":
        print(json.dumps({"instance_type": lim.name, "os": "windows", "pods": a.pods, "kubelet_max_pods": kubelet,
                          "kubelet_max_pods_source": why, "enis": 1, "secondary_ips": wa.secondary_ips,
                          "prefixes": wa.prefixes, "pool_addresses": wa.pool_addresses,
                          "warm_addresses": max(wa.pool_addresses - a.pods, 0), "starved_pods": wa.starved_pods,
                          "node_subnet_addresses": wa.subnet_addresses, "pod_subnet_addresses": wa.subnet_addresses,
                          "subnet_addresses": wa.subnet_addresses, "network_max_pods": cap, "max_pods": ami,
                          "ami_default_max_pods": ami, "managed_max_pods": ami,
                          "settings": ws.__dict__, "notes": list(wa.notes)}, indent=2))
        return code
    unit = "prefixes (/28)" if ws.prefix_delegation else "secondary IPs"
    print("\n".join([
        f"{lim.name} (Windows), {a.pods} pods, kubelet max-pods {kubelet} ({why})",
        f"VPC resource controller: {ws.describe()}",
        f"  capacity: primary ENI, {lim.ipv4_per_eni - 1 if cap else 0} slots = {cap} pods",
        f"  {unit + ':':23} {wa.prefixes or wa.secondary_ips}",
        f"  warm (free) addresses:  {max(wa.pool_addresses - a.pods, 0)}",
        f"  subnet addresses taken: {wa.subnet_addresses}  (the node's own address + {wa.pool_addresses} pool)",
    ] + [f"  note: {n}" for n in wa.notes]))
    return code


def explain_allocation(alloc, mp, s, notes, kubelet_why: str | None = None, managed: int | None = None) -> str:
    unit = "prefixes (/28)" if alloc.prefixes else "secondary IPs"
    held = alloc.prefixes or alloc.secondary_ips
    rec = f"110 or {min(mp.uncapped_max_pods, 250)}, vCPUs unknown" if mp.max_pods is None else mp.max_pods
    figures = (f"recommended {rec}, AMI default {mp.ami_default_max_pods}"
               + (f", managed node group {managed}" if managed is not None else ""))
    capacity = (f"  capacity: one /80 on the primary ENI: addresses never limit pods ({figures})" if alloc.ipv6_prefixes
                else f"  capacity: {mp.pod_enis} ENIs for pods x {mp.slots_per_eni} slots x {mp.addresses_per_slot} "
                     f"+ 2 host-network = {mp.network_max_pods} pods ({figures})")
    lines = [
        f"{alloc.instance_type}, {alloc.pods} address-taking pods, kubelet max-pods {alloc.kubelet_max_pods}"
        + (f" ({kubelet_why})" if kubelet_why else ""),
        f"CNI: {s.describe()}",
        capacity,
        f"  ENIs attached:          {alloc.enis}" + (" + trunk ENI" if alloc.trunk_eni else ""),
        f"  {unit + ':':23} {held}" + (f"  ({alloc.pool_addresses} addresses)" if alloc.prefixes else ""),
        f"  warm (free) addresses:  {alloc.warm_addresses}",
    ]
    if s.custom_networking:
        lines.append(f"  node subnet addresses:  {alloc.node_subnet_addresses}  (the node's own address)")
        lines.append(f"  pod subnet addresses:   {alloc.pod_subnet_addresses}  (ENI primaries + pod pool"
                     + (" + trunk" if alloc.trunk_eni else "") + ")")
    lines.append(f"  subnet addresses taken: {alloc.subnet_addresses}"
                 + ("" if s.custom_networking else f"  ({alloc.enis} ENI primary address{'es' if alloc.enis != 1 else ''} + {alloc.pool_addresses} pool"
                    + (" + 1 trunk" if alloc.trunk_eni else "") + ")"))
    if alloc.ipv6_prefixes:
        lines.append("  IPv6: one /80 prefix on the primary ENI for pods")
    for n in list(alloc.notes) + list(notes):
        lines.append(f"  note: {n}")
    return "\n".join(lines)


def _outputs(a: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(format, path or None for stdout) for every report to write.

    ``-o FORMAT=PATH`` and ``-o FORMAT`` (stdout) name a format; a bare ``-o PATH`` (no known format
    before an ``=``) writes the ``--format`` report to PATH, as before. The ``--format`` report (text by
    default) also goes to stdout unless an output takes stdout or a bare path took it.
    """
    fmt = a.format or "text"
    outs: list[tuple[str, str | None]] = []
    bare = False
    for spec in a.outputs:
        name, sep, path = spec.partition("=")
        if sep and name in REPORT_FORMATS:
            if not path:
                raise UsageError(f"--output {spec}: no path after '='")
            outs.append((name, path))
        elif not sep and spec in REPORT_FORMATS:
            outs.append((spec, None))
        elif sep and name.isascii() and name.isalpha():
            shown = spec if len(spec) <= 80 else spec[:80] + "…"
            raise UsageError(f"--output {shown}: unknown format {name!r} (formats: {', '.join(REPORT_FORMATS)}); "
                             f"a file whose name holds '=' is written as ./{shown}")
        else:
            outs.append((fmt, spec))
            bare = True
    if not bare and not any(p is None for _, p in outs):
        outs.insert(0, (fmt, None))
    on_stdout = [f for f, p in outs if p is None]
    if len(on_stdout) > 1:
        raise UsageError(f"--output: {' and '.join(on_stdout)} would both go to standard output, one after the "
                         "other; give all but one a path (-o FORMAT=PATH)")
    paths = [p for _, p in outs if p is not None]
    dup = next((p for p in paths if paths.count(p) > 1), None)
    if dup is not None:
        raise UsageError(f"--output: {dup} named twice")
    for p in paths:  # a report must never replace an input it judged
        _refuse_overwriting_inputs(argparse.Namespace(output=p, paths=a.paths, config=a.config,
                                                      snapshot=a.snapshot))
    return outs


def _recognized(paths: list[str]) -> list[str]:
    """The paths podcap can read; the others named on stderr (``--skip-unrecognized``)."""
    from podcap.check import CheckInputError, detect_kind

    keep = []
    for p in paths:
        try:
            detect_kind(p)
        except CheckInputError as e:
            text = str(e)
            if "cannot tell what this is" in text or "neither a Terraform plan" in text:
                print(f"podcap: skipped {p}: not a kind podcap reads", file=sys.stderr)
                continue
        keep.append(p)
    return keep


def _without_cyclic_gc(fn):
    """Run ``fn`` with Python's cyclic garbage collector paused (restored afterwards, also in process).

    A check builds millions of long-lived objects from a large plan (the parsed JSON, the plan model, the
    analysis) and almost no reference cycles (a few hundred objects on a 50 MB Terraform plan); every full
    collection walks the whole heap, which cost ~8% of such a check. Reference counting still frees
    everything else as usual."""
    import functools
    import gc

    @functools.wraps(fn)
    def run(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run


@_without_cyclic_gc
def cmd_check(a: argparse.Namespace) -> int:
    from podcap.check import CheckOptions, apply_baseline, exit_code, fail_threshold, run_check

    outs = _outputs(a)
    if a.skip_unrecognized:
        a.paths = _recognized(a.paths)
        if not a.paths:
            print("podcap: nothing to check in the files given", file=sys.stderr)
            return EXIT_OK
    opts = CheckOptions(
        paths=a.paths,
        parameters=dict(a.parameter),
        config=a.config,
        strict=a.strict,
        live=a.live,
        region=a.region,
        profile=a.profile,
        snapshot=a.snapshot,
        fail_on=a.fail_on,
        baseline=a.baseline,
        live_timeout=getattr(a, "live_timeout", None),
    )
    result, strict = run_check(opts)
    if a.baseline:
        from podcap.check import CheckInputError

        try:
            apply_baseline(result, a.baseline)
        except CheckInputError as e:
            raise UsageError(str(e)) from None
    from podcap.report import FORMATS
    from podcap.rules import REGISTRY

    stdout: list[str] = []
    # files first: a report that cannot be written is exit 2, with nothing on stdout
    for fmt, path in sorted(outs, key=lambda o: o[1] is None):
        kwargs = {}
        if fmt == "text" and path is None:
            from podcap.report.text import output_width

            kwargs["width"] = output_width()
        text = FORMATS[fmt](result, rules=REGISTRY, **kwargs)
        if path:
            try:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
            except OSError as e:
                raise UsageError(f"cannot write {path}: {e.strerror}") from None
        else:
            stdout.append(text if text.endswith("\n") else text + "\n")
    for text in stdout:
        sys.stdout.write(text)
    return exit_code(result, fail_threshold(opts, strict))


def cmd_size(a: argparse.Namespace) -> int:
    from podcap.sizing import SizeRequest, SizingError, render_text, size

    snap = _snapshot(a)
    _lookup(snap, a.instance_types)  # an unknown type: exit 2 with close names
    if a.managed:
        try:
            import podcap.engine.managed  # noqa: F401  (EKS's managed-node-group max pods)
        except ImportError:
            raise UsageError("--managed needs podcap.engine.managed, which this installation lacks") from None
    env: dict[str, str] = dict(a.env)
    for flag, key in [("warm_eni_target", "WARM_ENI_TARGET"), ("warm_ip_target", "WARM_IP_TARGET"),
                      ("minimum_ip_target", "MINIMUM_IP_TARGET"), ("warm_prefix_target", "WARM_PREFIX_TARGET")]:
        if getattr(a, flag) is not None:
            env[key] = str(getattr(a, flag))
    if a.prefix_delegation:
        env["ENABLE_PREFIX_DELEGATION"] = "true"
    req = SizeRequest(instance_types=list(a.instance_types), nodes=a.nodes, azs=a.azs, pods_per_node=a.pods_per_node,
                      env=env, kubelet_max_pods=a.kubelet_max_pods, managed=a.managed, surge=a.surge,
                      survive_az_loss=a.survive_az_loss, vpc_cidr=a.vpc_cidr)
    try:
        ans = size(req, snap)
    except SizingError as e:
        raise UsageError(str(e)) from None
    if a.format == "json":
        sys.stdout.write(json.dumps(ans.to_dict(), indent=2) + "\n")
    else:
        from podcap.report.text import output_width

        sys.stdout.write(render_text(ans, output_width()))
    for e in ans.errors:
        print(f"podcap: error: {e}", file=sys.stderr)
    return EXIT_OK if ans.ok else EXIT_FINDINGS


def cmd_rules(a: argparse.Namespace) -> int:
    from podcap.rules import REGISTRY, rules_markdown

    if a.format == "markdown":
        text = rules_markdown()
    elif a.format == "json":
        text = json.dumps([r.to_dict() for r in REGISTRY.values()], indent=2) + "\n"
    else:
        text = "".join(f"{r.id}  {r.severity.value:7}  {r.title}\n" for r in REGISTRY.values())
    if a.output:
        with open(a.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_limits_refresh(a: argparse.Namespace) -> int:
    from podcap.limits import refresh

    return refresh.main(a)


def cmd_limits_show(a: argparse.Namespace) -> int:
    from podcap.limits import UnknownInstanceType
    from podcap.limits.show import describe_snapshot, describe_type

    snap = _snapshot(a)
    if getattr(a, "type", None):
        try:
            doc = describe_type(snap, a.type)
        except UnknownInstanceType as e:
            raise UsageError(str(e)) from None
    else:
        doc = describe_snapshot(snap)
    print(json.dumps(doc, indent=2))
    return EXIT_OK


MAX_MESSAGE = 1000  # characters of one error line (a long name or raw value is cut)
MAX_LINES = 60  # lines of one error (a spec or config lists its problems one a line, capped at the source)


def _one_line(message: object, limit: int = MAX_MESSAGE) -> str:
    """A message as one line: line breaks and other control characters never split it; long text is cut."""
    text = str(message)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else (" " if ch in "\n\r\t\v\f" else repr(ch)[1:-1])
                       for ch in text)
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lines(message: object) -> str:
    """An error as printed: one line per problem (sources that list several problems put one a line), each
    line cleaned as :func:`_one_line` does, at most MAX_LINES lines."""
    lines = [_one_line(ln) for ln in str(message).splitlines() if ln.strip()] or [""]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"… and {len(lines) - MAX_LINES} more lines"]
    return "\n".join(lines)


def _fail(message: object) -> int:
    try:
        print(f"podcap: error: {_lines(message)}", file=sys.stderr)
    except (OSError, ValueError):
        pass
    return EXIT_USAGE


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.abspath(a) == os.path.abspath(b)


def _refuse_overwriting_inputs(a: argparse.Namespace) -> None:
    """`-o` must not name an input: the report would silently replace the template or plan it judged."""
    out = getattr(a, "output", None)
    if not out:
        return
    inputs = [*(getattr(a, "paths", None) or []), getattr(a, "config", None), getattr(a, "snapshot", None)]
    for p in inputs:
        if p and os.path.exists(out) and (_same_file(out, p) or (os.path.isdir(p) and _inside(out, p))):
            raise UsageError(f"-o {out} names an input ({p}); write the report elsewhere")


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([os.path.realpath(path), os.path.realpath(folder)]) == os.path.realpath(folder)
    except ValueError:
        return False


def _flush_stdout() -> None:
    """Flush now, so a full disk or closed pipe is seen here (one line, exit 2), not at interpreter exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise
    except OSError:
        _silence_stdout()
        raise


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's own final flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Every failure ends in one line on stderr and exit 2, never a traceback."""
    parser = build_parser()
    a = parser.parse_args(argv)
    if not getattr(a, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        if getattr(a, "max_input_mb", None) is not None:
            from podcap.sources.reading import set_max_input_mb

            set_max_input_mb(a.max_input_mb)
        _refuse_overwriting_inputs(a)
        code = int(a.func(a))
        _flush_stdout()
        return code
    except UsageError as e:
        return _fail(e)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except RecursionError:
        return _fail("input nested too deeply to read")
    except MemoryError:
        return _fail("out of memory reading the input")
    except OSError as e:  # writing the report (-o into a missing folder, a full disk, stdout on /dev/full)
        where = e.filename if e.filename else "the output"
        if not e.filename:
            _silence_stdout()
        return _fail(f"cannot write {where}: {e.strerror or type(e).__name__}")
    except Exception as e:  # an input podcap could not handle must never end in a traceback
        from podcap.sources.safe_yaml import InputError

        if isinstance(e, InputError):
            return _fail(e)
        if os.environ.get("PODCAP_DEBUG"):
            raise
        try:
            print(_one_line(f"podcap: internal error: {type(e).__name__}: {e} (set PODCAP_DEBUG=1 for the "
                            "traceback; please report it with the input)"), file=sys.stderr)
        except (OSError, ValueError):
            pass
        return EXIT_USAGE
    finally:
        if getattr(a, "max_input_mb", None) is not None:
            from podcap.sources.reading import set_max_input_mb

            set_max_input_mb(None)


def entry() -> None:
    """The `podcap` command and `python -m podcap`: :func:`main`, then the process ends.

    Before it ends, every object is moved out of the cyclic garbage collector's sight (``gc.freeze``): the
    interpreter's shutdown otherwise runs a full collection over every object the check made and every
    module it loaded, only to free memory the process is about to give back (~7 ms of a small template's
    check, ~9 ms of a 500-subnet one). Nothing else changes: atexit handlers run and the standard streams
    are flushed as usual. Only here, never in :func:`main`, which a long-lived process (the CDK plugin,
    the tests) may call many times."""
    code = main()
    import gc

    gc.freeze()
    raise SystemExit(code)


if __name__ == "__main__":
    entry()
