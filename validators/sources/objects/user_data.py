"""Kubelet max pods from node user data, whatever carries it (launch templates and configurations in
CloudFormation, Terraform and the CDK constructs; eksctl; Karpenter and EC2NodeClass userData).

AMI families read it differently: AL2 ``bootstrap.sh`` flags, AL2023 nodeadm ``NodeConfig`` (MIME
multi-part), Bottlerocket TOML settings.
"""
from __future__ import annotations

import base64
import binascii
import email
import re
from collections.abc import Mapping

from podcap.model.unknown import Unknown
from podcap.sources.intrinsics import TOKEN_RE, as_int
from podcap.sources.objects.cni_config import token_unknowns
from podcap.sources.safe_yaml import InputError, load_yaml

_MAX_PODS_FLAG = re.compile(r"(?<![\w-])--max-pods(?:\s*=\s*|\s+)[\"']?([^\s\"'\\;]+)")
_USE_MAX_PODS = re.compile(r"(?<![\w-])--use-max-pods(?:\s*=\s*|\s+)[\"']?(\w+)", re.IGNORECASE)
_TOML_MAX_PODS = re.compile(r"^\s*\"?max-pods\"?\s*=\s*[\"']?([^\s\"'#]+)", re.MULTILINE)
_YAML_MAX_PODS = re.compile(r"^\s*maxPods\s*:\s*[\"']?([^\s\"'#]+)", re.MULTILINE)
_MENTIONS = re.compile(r"max-?pods|maxPods|max_pods", re.IGNORECASE)


def maybe_b64decode(text: str) -> str:
    s = text.strip()
    if not s or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", s) or len(s) < 8:
        return text
    try:
        decoded = base64.b64decode(s, validate=False)
        return decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return text


def _mime_parts(text: str) -> list[str]:
    if not re.search(r"^content-type:\s*multipart/", text, re.MULTILINE | re.IGNORECASE):
        return [text]
    try:
        msg = email.message_from_string(text.lstrip())
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode("utf-8", errors="replace"))
            else:
                parts.append(str(part.get_payload()))
        return parts or [text]
    except Exception:
        return [text]


def _nodeadm_max_pods(part: str) -> list[str]:
    out: list[str] = []
    for doc_text in re.split(r"^---\s*$", part, flags=re.MULTILINE):
        if "NodeConfig" not in doc_text:
            continue
        try:
            doc = load_yaml(doc_text, "user data")
        except InputError:  # (unknown pieces of the text, for one, are not YAML)
            out.extend(_YAML_MAX_PODS.findall(doc_text))
            out.extend(_MAX_PODS_FLAG.findall(doc_text))
            continue
        spec = doc.get("spec") if isinstance(doc, dict) else None
        kubelet = spec.get("kubelet") if isinstance(spec, dict) else None
        config = kubelet.get("config") if isinstance(kubelet, dict) else None
        if isinstance(config, dict) and "maxPods" in config:
            out.append(str(config["maxPods"]))
        flags = kubelet.get("flags") if isinstance(kubelet, dict) else None
        if isinstance(flags, list):
            for f in flags:
                out.extend(_MAX_PODS_FLAG.findall(str(f)))
    return out


_FLAG_BEFORE = re.compile(r"--([\w.-]+)(?:=|[ \t]+)[\"']?")
_YAML_KEY_BEFORE = re.compile(r"^[ \t]*(?:-[ \t]+)?[\"']?([\w.-]+)[\"']?[ \t]*:[ \t]+[\"']?[^\"'#]*$")
_ASSIGNMENT_BEFORE = re.compile(r"^[ \t]*(?:export[ \t]+)?[\"']?([\w.-]+)[\"']?[ \t]*=[ \t]*[\"']?[^\s\"']*$")
_BOOTSTRAP_CLUSTER_BEFORE = re.compile(r"bootstrap\.sh[ \t]+[\"']?$")
# names of flags and keys whose value may carry kubelet settings (max-pods among them)
_KUBELET_SETTING_NAME = re.compile(r"max.?pods|kubelet|extra|args|flags|opts|options|config", re.IGNORECASE)


def _open_unknown_pieces(text: str, partial: Mapping[str, Unknown], after: int = 0) -> list[Unknown]:
    """Unknown pieces of user data (tokens, see Resolver.resolve_text) that could set kubelet max-pods.

    A piece is harmless when it is the value of a named flag or key that does not carry kubelet settings
    (``--apiserver-endpoint ${Cluster.Endpoint}``, ``certificateAuthority: ${Ca}``, ``CLUSTER=${Name}``) or
    bootstrap.sh's cluster name; anywhere else (a bare line, kubelet extra args, the whole user data) it
    could hold ``--max-pods`` or ``maxPods``, so podcap cannot say what the node's max-pods is.
    """
    out: list[Unknown] = []
    for m in TOKEN_RE.finditer(text, after):
        unk = partial.get(m.group(0))
        if unk is None:
            continue
        prefix = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
        flags = list(_FLAG_BEFORE.finditer(prefix))
        named = None
        if flags and re.fullmatch(r"[^\s\"']*", prefix[flags[-1].end():]):
            named = flags[-1].group(1)
        else:
            key = _YAML_KEY_BEFORE.search(prefix) or _ASSIGNMENT_BEFORE.search(prefix)
            if key:
                named = key.group(1)
            elif _BOOTSTRAP_CLUSTER_BEFORE.search(prefix):
                continue
        if named is not None and not _KUBELET_SETTING_NAME.search(named):
            continue
        out.append(unk)
    return out


def kubelet_max_pods_from_user_data(text: str, partial: Mapping[str, Unknown] | None = None
                                    ) -> tuple[int | None, str | None]:
    """(max-pods, problem) from node user data: bootstrap.sh ``--max-pods`` (also in kubelet extra args),
    nodeadm ``NodeConfig`` ``spec.kubelet.config.maxPods`` (MIME multipart too), Bottlerocket ``max-pods``.

    ``(None, None)``: the user data does not set it. ``(None, problem)``: it mentions max-pods but the value
    cannot be read (or ``--use-max-pods false`` without a value: it is set elsewhere), or ``partial`` says
    part of the text is unknown where it could set max-pods (see :func:`_open_unknown_pieces`).
    """
    partial = partial or {}
    found: list[str] = []
    for part in _mime_parts(text):
        if "NodeConfig" in part:
            found.extend(_nodeadm_max_pods(part))
            continue
        found.extend(_MAX_PODS_FLAG.findall(part))
        if "[settings.kubernetes]" in part or "settings.kubernetes" in part:
            found.extend(_TOML_MAX_PODS.findall(part))
    if found:
        raw = found[-1]  # the last one given wins, as for repeated kubelet flags
        unknowns = token_unknowns(raw, partial)
        if unknowns:
            return None, f"the value is not known ({unknowns[0].reason})"
        n = as_int(raw, "max-pods", "")
        if isinstance(n, Unknown) or n <= 0:
            return None, f"{raw!r} is not a number of pods"
        last = max((m.end() for m in _MENTIONS.finditer(text)), default=0)
        later = _open_unknown_pieces(text, partial, after=last)
        if later:
            return None, (f"max-pods is set to {n}, but a later part of the user data is not known and could set "
                          f"it again ({later[0].reason})")
        return n, None
    pieces = _open_unknown_pieces(text, partial)
    if pieces:
        return None, f"part of the user data is not known and could set max-pods ({pieces[0].reason})"
    use = _USE_MAX_PODS.search(text)
    if use and use.group(1).lower() == "false":
        return None, ("bootstrap.sh --use-max-pods false without --max-pods: max-pods is set outside the "
                      "user data podcap reads (kubelet's own default is 110)")
    if _MENTIONS.search(text):
        return None, "the user data mentions max-pods but podcap cannot read the value"
    return None, None
