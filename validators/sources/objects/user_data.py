"""Kubelet max pods from node user data, whatever carries it (launch templates and configurations in
CloudFormation, Terraform and the CDK constructs; eksctl; Karpenter and EC2NodeClass userData).

The one reader every source calls: :func:`read_user_data`. Each AMI family sets max pods its own way, and
each is read with a real parser, as the node's own boot code reads it (docs/user-data.md has the
precedence and the sources):

* AL2, ``/etc/eks/bootstrap.sh`` (awslabs/amazon-eks-ami ``templates/al2/runtime/bootstrap.sh``), read with
  :mod:`shlex`. bootstrap.sh writes ``maxPods`` into kubelet's config file from ``eni-max-pods.txt`` while
  ``--use-max-pods`` is ``true`` (the default), and passes ``--kubelet-extra-args`` (or an exported
  ``KUBELET_EXTRA_ARGS``) to kubelet's command line, where ``--max-pods=N`` beats the config file whatever
  ``--use-max-pods`` says (kubelet flags override its config file; repeated, the last wins).
  ``--use-max-pods false`` without such a flag leaves ``maxPods`` out of kubelet's config file (the AMI's
  ``templates/al2/runtime/kubelet-config.json`` has none), so kubelet's own default, 110, applies.
  bootstrap.sh has **no** ``--max-pods`` option: its argument loop keeps an unknown option as a positional
  argument and uses only the first positional (the cluster name), so ``bootstrap.sh c --max-pods 20``
  leaves the AMI default in force. That is reported as a problem, never read as 20.
* AL2023, nodeadm ``NodeConfig`` (``apiVersion: node.eks.aws/v1alpha1``): in MIME multi-part user data only
  the ``application/node.eks.aws`` parts count (nodeadm ``configprovider/mime.go``), each possibly base64
  or gzip; without MIME the whole user data is one NodeConfig. Later parts merge over earlier ones as
  nodeadm's ``MergeNodeConfigs`` does (mergo with override; ``kubelet.config`` merged key by key;
  ``kubelet.flags`` appended). ``kubelet.flags`` ``--max-pods`` beats ``kubelet.config.maxPods``, which
  beats ``kubelet.maxPodsExpression`` (evaluated by the caller with
  :func:`podcap.engine.expression.evaluate_max_pods_expression`, it needs the instance type).
* Bottlerocket TOML (:mod:`tomllib`): ``settings.kubernetes.max-pods``.
* Windows (``<powershell>``): ``Start-EKSBootstrap.ps1 -KubeletExtraArgs '--max-pods=N'``.

User data may be base64 (and gzip) encoded. Pieces a source could not resolve arrive as tokens (see
``Resolver.resolve_text``) with their :class:`Unknown` in ``partial``; a token that could set max pods makes
the answer unknown (``problem``), never a default.
"""
from __future__ import annotations

import base64
import binascii
import re
import shlex
from collections.abc import Mapping

from podcap.model.records import record
from podcap.model.unknown import Unknown
from podcap.sources.intrinsics import TOKEN_RE
from podcap.sources.objects.cni_config import token_unknowns
from podcap.sources.safe_yaml import InputError, load_yaml

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

NODECONFIG_MEDIA_TYPE = "application/node.eks.aws"
MAX_USER_DATA_CHARS = 1_000_000  # EC2 allows 16 KB (raw); a launch template's text, decoded, is far below
AL2, AL2023, BOTTLEROCKET, WINDOWS = "al2", "al2023", "bottlerocket", "windows"
KUBELET_DEFAULT_MAX_PODS = 110  # KubeletConfiguration maxPods default (kubelet's own, no AMI involved)


@record(frozen=True)
class UserDataMaxPods:
    """What a node's user data says about kubelet max pods.

    ``max_pods``: the value the user data sets; ``expression``: AL2023's ``kubelet.maxPodsExpression`` when
    it decides (no ``maxPods`` beside it); ``origin``: where the value came from, in words; ``family``: the
    AMI family the text is written for, when it tells; ``problem``: why the answer cannot be known (the
    caller makes it an Unknown). All None: the user data sets nothing, the AMI default applies.
    """

    max_pods: int | None = None
    expression: str | None = None
    origin: str | None = None
    family: str | None = None
    problem: str | None = None
    from_flag: bool = False  # a kubelet --max-pods flag sets it (or, with a problem, holds no number)


@record
class _Found:
    """A parser's answer before the unknown-pieces checks."""

    value: str | int | None = None  # the raw value (may hold a token)
    expression: str | None = None
    origin: str | None = None
    family: str | None = None
    problem: str | None = None
    kubelet_default: bool = False  # value is kubelet's built-in default (nothing in the user data sets it)
    flag: bool = False  # the value is a kubelet --max-pods flag


# --------------------------------------------------------------------------- decoding and parts


def maybe_b64decode(text: str) -> str:
    """Base64 user data (a launch template's UserData is base64), gzip'd or not; else the text as given."""
    s = text.strip()
    if not s or len(s) < 8 or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", s):
        return text
    try:
        raw = base64.b64decode(s, validate=False)
    except (binascii.Error, ValueError):
        return text
    raw = _maybe_gunzip(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def _maybe_gunzip(raw: bytes) -> bytes:
    if raw[:2] == b"\x1f\x8b":
        import gzip  # only gzip'd user data needs it

        try:
            return gzip.decompress(raw)[: MAX_USER_DATA_CHARS * 4]
        except (OSError, EOFError, ValueError):
            return raw
    return raw


def _is_mime(text: str) -> bool:
    return bool(re.search(r"^content-type:\s*multipart/", text, re.MULTILINE | re.IGNORECASE))


def _mime_parts(text: str) -> list[tuple[str, str]] | None:
    """(media type, decoded body) of each leaf part; None when the text is not MIME multi-part."""
    if not _is_mime(text):
        return None
    import email  # the email package (~20 ms of imports) only for MIME multi-part user data
    import email.policy

    try:
        msg = email.message_from_string(text.lstrip(), policy=email.policy.compat32)
    except Exception:
        return None
    if not msg.is_multipart():
        return None
    parts: list[tuple[str, str]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            body = _maybe_gunzip(payload).decode("utf-8", errors="replace")
        else:
            body = str(part.get_payload())
        parts.append((part.get_content_type().lower(), body))
    return parts


def _mime_parts_of(text: str) -> list[str]:
    """Every part's text (kept for callers of the old helpers)."""
    parts = _mime_parts(text)
    return [b for _, b in parts] if parts is not None else [text]


# --------------------------------------------------------------------------- classification


_NODECONFIG = re.compile(r"^\s*[\"']?kind[\"']?\s*:\s*[\"']?NodeConfig\b", re.MULTILINE)
_TOML_SETTINGS = re.compile(r"^\s*(\[\s*settings[.\]\s\"]|settings\.[\w.\"-]+\s*=)", re.MULTILINE)


def _is_nodeconfig(text: str) -> bool:
    return bool(_NODECONFIG.search(text)) or "node.eks.aws/" in text


def _is_bottlerocket(text: str) -> bool:
    return not text.lstrip().startswith("#!") and bool(_TOML_SETTINGS.search(text))


def _is_powershell(text: str) -> bool:
    return bool(re.search(r"<powershell>|Start-EKSBootstrap\.ps1", text, re.IGNORECASE))


# --------------------------------------------------------------------------- AL2 bootstrap.sh

# bootstrap.sh's options (each takes the next argument as its value, see its `while [[ $# -gt 0 ]]` loop)
BOOTSTRAP_OPTIONS = frozenset({
    "--use-max-pods", "--b64-cluster-ca", "--apiserver-endpoint", "--kubelet-extra-args", "--enable-docker-bridge",
    "--aws-api-retry-attempts", "--docker-config-json", "--containerd-config-file", "--pause-container-account",
    "--pause-container-version", "--dns-cluster-ip", "--container-runtime", "--ip-family", "--service-ipv4-cidr",
    "--service-ipv6-cidr", "--enable-local-outpost", "--cluster-id", "--mount-bpf-fs", "--local-disks",
})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# what ends a command (a "$(...)" inside an argument does not: its parentheses are kept as words)
_SHELL_OPERATORS = frozenset({";", "&&", "||", "|", "&", ";;", "<", ">", ">>", "<<", "|&", ">&"})
_VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _shell_words(line: str) -> list[str]:
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


def _substitute(value: str, variables: Mapping[str, str]) -> str:
    return _VAR_REF.sub(lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), value)


def kubelet_flag_max_pods(args: list[str]) -> str | None:
    """The last ``--max-pods`` among kubelet command-line words (pflag: ``--max-pods=N`` or ``--max-pods N``;
    repeated, the last wins)."""
    found: str | None = None
    for i, word in enumerate(args):
        if word.startswith("--max-pods="):
            found = word.split("=", 1)[1]
        elif word == "--max-pods" and i + 1 < len(args):
            found = args[i + 1]
    return found


def _kubelet_args_max_pods(value: str) -> tuple[str | None, str | None]:
    """(max-pods, problem) from a kubelet-extra-args string."""
    try:
        words = shlex.split(value, posix=True)
    except ValueError as e:
        return None, f"kubelet extra args {value!r} cannot be split into words ({e})"
    return kubelet_flag_max_pods(words), None


def _read_bootstrap_sh(text: str, partial: Mapping[str, Unknown]) -> _Found | None:
    """The last ``bootstrap.sh`` call of a shell script (or cloud-config runcmd), as bootstrap.sh reads it."""
    joined = re.sub(r"\\\r?\n", " ", text)
    variables: dict[str, str] = {}
    exported: dict[str, str] = {}
    found: _Found | None = None
    elsewhere = ""  # a line outside bootstrap.sh calls that mentions max pods (jq on kubelet's config ...)
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "bootstrap.sh" not in stripped and _MENTIONS.search(stripped) and not re.match(
                r"^(export\s+)?[A-Za-z_][A-Za-z0-9_]*=\S*$", stripped):
            elsewhere = stripped
        if "bootstrap.sh" not in stripped:
            m = re.match(r"^(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", stripped)
            if m:
                try:
                    words = _shell_words(m.group(2) + "=" + m.group(3))
                except ValueError:
                    continue
                if words and _ASSIGNMENT.match(words[0]):
                    name, value = words[0].split("=", 1)
                    value = _substitute(value, variables)
                    variables[name] = value
                    if m.group(1):
                        exported[name] = value
            continue
        try:
            words = _shell_words(stripped)
        except ValueError as e:
            found = _Found(family=AL2, problem=f"the bootstrap.sh line cannot be split into words ({e})")
            continue
        at = next((i for i, w in enumerate(words) if w.endswith("bootstrap.sh")), None)
        if at is None:
            continue
        env = dict(exported)
        for w in words[:at]:
            if _ASSIGNMENT.match(w):
                k, v = w.split("=", 1)
                env[k] = _substitute(v, variables)
        args: list[str] = []
        for w in words[at + 1:]:
            if w in _SHELL_OPERATORS:
                break
            args.append(_substitute(w, variables))
        found = _bootstrap_call(args, env, partial)
    if found is not None and (found.value is None or found.kubelet_default) and found.problem is None and elsewhere:
        shown = elsewhere if len(elsewhere) <= 80 else elsewhere[:77] + "..."
        found = _Found(family=AL2, problem=(
            f"the script sets max pods outside bootstrap.sh ({shown!r}), which podcap does not run"))
    return found


def _bootstrap_call(args: list[str], env: Mapping[str, str], partial: Mapping[str, Unknown]) -> _Found:
    """One bootstrap.sh invocation: its argument loop, then what reaches kubelet."""
    options: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word in BOOTSTRAP_OPTIONS:
            options[word] = args[i + 1] if i + 1 < len(args) else ""  # the last one given wins
            i += 2
        else:
            positional.append(word)
            i += 1
    extra = options.get("--kubelet-extra-args", env.get("KUBELET_EXTRA_ARGS", ""))
    where = ("bootstrap.sh --kubelet-extra-args" if "--kubelet-extra-args" in options
             else "KUBELET_EXTRA_ARGS for bootstrap.sh")
    use_max_pods = options.get("--use-max-pods", env.get("USE_MAX_PODS", "true"))
    raw, problem = _kubelet_args_max_pods(extra)
    if problem:
        return _Found(family=AL2, problem=problem)
    if raw is not None:
        return _Found(value=raw, family=AL2, origin=f"{where} --max-pods={raw}")
    stray = kubelet_flag_max_pods(positional)
    ignored = ""
    if stray is not None or any(w.startswith("--max-pods") for w in positional):
        shown = f"--max-pods {stray}" if stray is not None else "--max-pods"
        name = (" and takes it as the cluster name, so the node does not join" if positional
                and positional[0].startswith("--max-pods") else "")
        if not name and use_max_pods != "true" and not token_unknowns(use_max_pods, partial):
            # the stray option changes nothing: what --use-max-pods decides below is what kubelet runs
            ignored = f"; bootstrap.sh ignores '{shown}' (it has no --max-pods option)"
        else:
            why = ""
            unknowns = token_unknowns(stray or "", partial)
            if unknowns:
                why = f" (its value is not known either: {unknowns[0].reason})"
            return _Found(family=AL2, problem=(
                f"bootstrap.sh has no --max-pods option: the EKS AL2 AMI's bootstrap.sh ignores '{shown}' (kept as "
                f"a positional argument){name}, so kubelet does not get it; set max pods with --kubelet-extra-args "
                f"'--max-pods=N'{why}"))
    if use_max_pods != "true":
        unknowns = token_unknowns(use_max_pods, partial)
        if unknowns:
            return _Found(family=AL2, problem=(
                f"bootstrap.sh --use-max-pods is not known ({unknowns[0].reason}), so neither is whether "
                "bootstrap.sh writes the AMI's max pods"))
        set_by = (f"--use-max-pods {use_max_pods}" if "--use-max-pods" in options
                  else f"with USE_MAX_PODS={use_max_pods}")
        # bootstrap.sh writes maxPods into kubelet-config.json only when USE_MAX_PODS is exactly "true"; the
        # AMI's kubelet-config.json has no maxPods of its own, so kubelet runs its built-in default, 110
        return _Found(value=KUBELET_DEFAULT_MAX_PODS, family=AL2, kubelet_default=True, origin=(
            f"bootstrap.sh {set_by} without --max-pods in --kubelet-extra-args: kubelet's "
            f"own default {KUBELET_DEFAULT_MAX_PODS} (bootstrap.sh writes no maxPods, and the AL2 AMI's "
            f"kubelet-config.json has none){ignored}"))
    return _Found(family=AL2)


# --------------------------------------------------------------------------- AL2023 NodeConfig


_YAML_TOKEN = re.compile(r"podcapUnknownToken(\d+)x")


def _yaml_safe_tokens(text: str) -> str:
    """Tokens as plain YAML scalars (``@`` cannot start one), restored by :func:`_restore_tokens`."""
    return TOKEN_RE.sub(lambda m: f"podcapUnknownToken{m.group(1)}x", text)


def _restore_tokens(value: Any) -> Any:
    if isinstance(value, str):
        return _YAML_TOKEN.sub(lambda m: f"@@podcap-unknown-{m.group(1)}@@", value)
    if isinstance(value, list):
        return [_restore_tokens(v) for v in value]
    if isinstance(value, dict):
        return {k: _restore_tokens(v) for k, v in value.items()}
    return value


def _yaml_docs(text: str) -> list[str]:
    return [d for d in re.split(r"^---[ \t]*(?:#.*)?$", text, flags=re.MULTILINE) if d.strip()]


def _merge_nodeconfig(dst: dict[str, Any], src: Mapping[str, Any]) -> None:
    """nodeadm MergeNodeConfigs for the fields that decide max pods: later values override, ``config``
    merged key by key, ``flags`` appended; an empty value does not override (mergo WithOverride)."""
    kubelet = src.get("kubelet") if isinstance(src.get("kubelet"), dict) else {}
    k = dst.setdefault("kubelet", {"config": {}, "flags": [], "maxPodsExpression": ""})
    if isinstance(kubelet.get("config"), dict):
        k["config"].update(kubelet["config"])
    if isinstance(kubelet.get("flags"), list):
        k["flags"].extend(str(f) for f in kubelet["flags"])
    if kubelet.get("maxPodsExpression"):
        k["maxPodsExpression"] = kubelet["maxPodsExpression"]


def _read_nodeconfigs(bodies: list[str], partial: Mapping[str, Unknown]) -> _Found:
    merged: dict[str, Any] = {}
    for body in bodies:
        body = maybe_b64decode(body)
        for doc_text in _yaml_docs(body):
            try:
                doc = _restore_tokens(load_yaml(_yaml_safe_tokens(doc_text), "user data"))
            except InputError as e:
                if TOKEN_RE.search(doc_text) and re.search(r"max.?pods", doc_text, re.IGNORECASE):
                    pieces = token_unknowns(doc_text, partial)
                    if pieces:
                        return _Found(family=AL2023, problem=f"the value is not known ({pieces[0].reason})")
                return _Found(family=AL2023, problem=f"a NodeConfig is not YAML podcap can read: {e}")
            if not isinstance(doc, dict) or doc.get("kind") != "NodeConfig":
                continue
            spec = doc.get("spec")
            if spec is not None and not isinstance(spec, dict):
                return _Found(family=AL2023, problem="NodeConfig spec is not a mapping")
            _merge_nodeconfig(merged, spec or {})
    kubelet = merged.get("kubelet") or {"config": {}, "flags": [], "maxPodsExpression": ""}
    flag = kubelet_flag_max_pods(_flag_words(kubelet["flags"]))
    if flag is not None:
        return _Found(value=flag, family=AL2023, origin=f"NodeConfig spec.kubelet.flags --max-pods={flag}",
                      flag=True)
    if "maxPods" in kubelet["config"]:
        return _Found(value=kubelet["config"]["maxPods"], family=AL2023,
                      origin="NodeConfig spec.kubelet.config.maxPods")
    expr = kubelet["maxPodsExpression"]
    if expr:
        if not isinstance(expr, str):
            return _Found(family=AL2023, problem=f"NodeConfig spec.kubelet.maxPodsExpression is {expr!r}, not text")
        unknowns = token_unknowns(expr, partial)
        if unknowns:
            return _Found(family=AL2023, problem=f"maxPodsExpression is not known ({unknowns[0].reason})")
        return _Found(expression=expr, family=AL2023, origin="NodeConfig spec.kubelet.maxPodsExpression")
    return _Found(family=AL2023)


def _flag_words(flags: list[str]) -> list[str]:
    words: list[str] = []
    for f in flags:
        try:
            words.extend(shlex.split(f))
        except ValueError:
            words.append(f)
    return words


# --------------------------------------------------------------------------- Bottlerocket and Windows


def _quote_bare_tokens(text: str) -> str:
    """Unknown pieces in TOML values (``max-pods = @@podcap-unknown-1@@``) as strings, so the rest parses."""
    return re.sub(r"(=\s*)(@@podcap-unknown-\d+@@)", r'\1"\2"', text)


def _read_bottlerocket(text: str) -> _Found:
    import tomllib  # only Bottlerocket settings are TOML

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        try:
            doc = tomllib.loads(_quote_bare_tokens(text))
        except tomllib.TOMLDecodeError as e:
            return _Found(family=BOTTLEROCKET, problem=f"the Bottlerocket settings are not TOML podcap can read ({e})")
    settings = doc.get("settings")
    kube = settings.get("kubernetes") if isinstance(settings, dict) else None
    if isinstance(kube, dict) and "max-pods" in kube:
        return _Found(value=kube["max-pods"], family=BOTTLEROCKET, origin="Bottlerocket settings.kubernetes.max-pods")
    return _Found(family=BOTTLEROCKET)


_PS_EXTRA_ARGS = re.compile(r"-KubeletExtraArgs\s*:?\s*(?:\"([^\"]*)\"|'([^']*)'|(\S+))", re.IGNORECASE)


def _read_powershell(text: str) -> _Found:
    """EKS Windows AMI: ``& $EKSBootstrapScriptFile -EKSClusterName c -KubeletExtraArgs '--max-pods=N'``."""
    found = _Found(family=WINDOWS)
    for m in _PS_EXTRA_ARGS.finditer(text):
        value = next(g for g in m.groups() if g is not None)
        raw, problem = _kubelet_args_max_pods(value)
        if problem:
            return _Found(family=WINDOWS, problem=problem)
        if raw is not None:
            found = _Found(value=raw, family=WINDOWS, origin=f"Start-EKSBootstrap.ps1 -KubeletExtraArgs --max-pods={raw}")
    return found


# --------------------------------------------------------------------------- unknown pieces

_MENTIONS = re.compile(r"max-?pods|maxPods|max_pods", re.IGNORECASE)
_FLAG_BEFORE = re.compile(r"--([\w.-]+)(?:=|[ \t]+)[\"']?")
_YAML_KEY_BEFORE = re.compile(r"^[ \t]*(?:-[ \t]+)?[\"']?([\w.-]+)[\"']?[ \t]*:[ \t]+[\"']?[^\"'#]*$")
_ASSIGNMENT_BEFORE = re.compile(r"^[ \t]*(?:export[ \t]+)?[\"']?([\w.-]+)[\"']?[ \t]*=[ \t]*[\"']?[^\s\"']*$")
_BOOTSTRAP_CLUSTER_BEFORE = re.compile(r"bootstrap\.sh[ \t]+[\"']?$")
# names of flags and keys whose value may carry kubelet settings (max-pods among them)
_KUBELET_SETTING_NAME = re.compile(r"max.?pods|kubelet|extra|args|flags|opts|options|config|expression",
                                   re.IGNORECASE)


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


# --------------------------------------------------------------------------- the reader


def _positive_int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw > 0 else None
    if isinstance(raw, float) and raw.is_integer() and raw > 0:
        return int(raw)
    if isinstance(raw, str) and len(raw) <= 40 and re.fullmatch(r"\s*\+?\d+\s*", raw):  # int() stops at 4300 digits
        n = int(raw)
        return n if n > 0 else None
    return None


def _parse(text: str, partial: Mapping[str, Unknown]) -> _Found:
    parts = _mime_parts(text)
    if parts is not None:
        nodeconfigs = [b for t, b in parts if t == NODECONFIG_MEDIA_TYPE]
        if nodeconfigs:
            dropin = [b for t, b in parts if t != NODECONFIG_MEDIA_TYPE and "nodeadm.d" in b and _MENTIONS.search(b)]
            if dropin:  # drop-ins in /etc/eks/nodeadm.d/ merge over user data (nodeadm doc/examples.md)
                return _Found(family=AL2023, problem=(
                    "a script in the user data writes a NodeConfig drop-in under /etc/eks/nodeadm.d/ that mentions "
                    "max pods; drop-ins win over the user data's NodeConfig and podcap does not run scripts"))
            return _read_nodeconfigs(nodeconfigs, partial)
        for kind_test, reader in ((_is_bottlerocket, _read_bottlerocket), (_is_powershell, _read_powershell)):
            hits = [b for _, b in parts if kind_test(b)]
            if hits:
                return reader(hits[-1])
        found: _Found | None = None
        for _, body in parts:
            if "bootstrap.sh" in body:
                found = _read_bootstrap_sh(body, partial) or found
        return found or _Found()
    if _is_powershell(text):
        return _read_powershell(text)
    if _is_nodeconfig(text) and not text.lstrip().startswith("#!"):
        return _read_nodeconfigs([text], partial)
    if _is_bottlerocket(text):
        return _read_bottlerocket(text)
    if "bootstrap.sh" in text:
        return _read_bootstrap_sh(text, partial) or _Found(family=AL2)
    return _Found()


def read_user_data(text: str, partial: Mapping[str, Unknown] | None = None) -> UserDataMaxPods:
    """What ``text`` (node user data, base64 or not) sets for kubelet max pods, per AMI family.

    ``partial``: token -> Unknown for pieces of ``text`` the source could not resolve (see
    ``Resolver.resolve_text``); a token that could set max pods makes the answer a ``problem``.
    """
    partial = dict(partial or {})
    if not isinstance(text, str):
        return UserDataMaxPods(problem=f"user data is a {type(text).__name__}, not text")
    if len(text) > MAX_USER_DATA_CHARS:
        return UserDataMaxPods(problem=f"user data is {len(text)} characters long, more than podcap reads")
    decoded = maybe_b64decode(text)
    found = _parse(decoded, partial)
    fam = found.family
    if found.problem:
        return UserDataMaxPods(family=fam, problem=found.problem)
    if found.value is not None or found.expression is not None:
        raw = found.value if found.value is not None else found.expression
        if isinstance(raw, str):
            unknowns = token_unknowns(raw, partial)
            if unknowns:
                return UserDataMaxPods(family=fam, problem=f"the value is not known ({unknowns[0].reason})")
        n = None
        if found.value is not None:
            n = _positive_int(found.value)
            if n is None:
                return UserDataMaxPods(family=fam, from_flag=found.flag,
                                       problem=f"{found.value!r} is not a number of pods ({found.origin})")
        last = max((m.end() for m in _MENTIONS.finditer(decoded)), default=0)
        later = _open_unknown_pieces(decoded, partial, after=last)
        if later:
            what = f"max-pods is set to {n}" if n is not None else "max pods is set by maxPodsExpression"
            return UserDataMaxPods(family=fam, problem=(
                f"{what}, but a later part of the user data is not known and could set it again "
                f"({later[0].reason})"))
        return UserDataMaxPods(max_pods=n, expression=found.expression if n is None else None,
                               origin=found.origin, family=fam, from_flag=found.flag)
    pieces = _open_unknown_pieces(decoded, partial)
    if pieces:
        return UserDataMaxPods(family=fam, problem=(
            f"part of the user data is not known and could set max-pods ({pieces[0].reason})"))
    if fam is None and _MENTIONS.search(decoded):
        return UserDataMaxPods(problem="the user data mentions max-pods but podcap cannot read the value")
    return UserDataMaxPods(family=fam)


def kubelet_max_pods_from_user_data(text: str, partial: Mapping[str, Unknown] | None = None
                                    ) -> tuple[int | None, str | None]:
    """(max-pods, problem): :func:`read_user_data` for the callers written before it.

    An AL2023 ``maxPodsExpression`` needs the instance type to evaluate, which this signature does not
    carry: it is a problem here (read it with :func:`read_user_data` instead).
    """
    r = read_user_data(text, partial)
    if r.problem:
        return None, r.problem
    if r.expression is not None:
        return None, (f"max pods comes from the NodeConfig maxPodsExpression {r.expression!r}, which depends on "
                      "the instance type")
    return r.max_pods, None
