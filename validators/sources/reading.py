"""Bounded, encoding-aware reading of input files: every source reads its files through here.

Why: an input path can name something that is not a file at all (``/dev/zero`` never ends, a FIFO blocks
until a writer comes, ``-`` is not standard input here), a symlink loop, a file the process may not read,
or a file far larger than any template or plan (a 1 GB file read whole twice only to say "cannot tell what
this is"). Each of those becomes one :class:`~podcap.sources.safe_yaml.InputError` line, before anything
large is read.

* Only regular files are read; the size limit is checked on ``stat`` and again while reading (``/proc``
  files report size 0).
* The limit is :data:`DEFAULT_MAX_INPUT_MB` MB (CloudFormation accepts templates of at most 1 MB, and the
  largest ``terraform show -json`` plans seen are tens of MB); ``PODCAP_MAX_INPUT_MB`` or
  ``podcap --max-input-mb N`` change it.
* Text is UTF-8 with or without a byte-order mark, or UTF-16 / UTF-32 with one (as YAML 1.2 and
  RFC 8259 allow); anything else is refused with the offset of the first bad byte.
* Telling the kind of an input reads a bounded head (:func:`read_head`), never the whole file.
"""
from __future__ import annotations

import codecs
import errno
import os
import stat

DEFAULT_MAX_INPUT_MB = 256
ENV_MAX_INPUT_MB = "PODCAP_MAX_INPUT_MB"
MAX_NAME = 200  # characters of a file name echoed in a message

_override_mb: float | None = None


def _input_error(message: str) -> Exception:
    from podcap.sources.safe_yaml import InputError

    return InputError(message)


def shown(name: object, limit: int = MAX_NAME) -> str:
    """A file name or raw value as it may appear in a one-line message: no line breaks, bounded length."""
    text = str(name)
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def set_max_input_mb(mb: float | None) -> None:
    """Override the size limit for this process (the CLI's ``--max-input-mb``); None restores the default."""
    global _override_mb
    if mb is not None and not (mb > 0):
        raise _input_error(f"--max-input-mb must be a positive number, got {mb}")
    _override_mb = mb


def max_input_bytes() -> int:
    """The size limit in bytes: --max-input-mb, else PODCAP_MAX_INPUT_MB, else the default."""
    mb: float | None = _override_mb
    if mb is None:
        raw = os.environ.get(ENV_MAX_INPUT_MB, "").strip()
        if raw:
            try:
                mb = float(raw)
            except ValueError:
                mb = -1
            if not (0 < mb < 1e9):
                raise _input_error(f"{ENV_MAX_INPUT_MB}={shown(raw, 40)!r} is not a positive number of MB")
    if mb is None:
        mb = DEFAULT_MAX_INPUT_MB
    return int(mb * 1024 * 1024)


def _why(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "a symlink loop"
    if e.errno == errno.ENOENT:
        return "no such file"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ENAMETOOLONG:
        return "file name too long"
    if e.errno == errno.ENOTDIR:
        return "no such file (a part of the path is not a folder)"
    return (e.strerror or type(e).__name__).lower()


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: str, what: str = "") -> os.stat_result:
    """``stat`` of a regular file within the size limit; InputError (one line) otherwise."""
    label = shown(path)
    suffix = f" {what}" if what else ""
    if path == "-":
        raise _input_error("-: reading standard input is not supported; name a file")
    try:
        st = os.stat(path)
    except OSError as e:
        raise _input_error(f"{label}: cannot read{suffix}: {_why(e)}") from None
    except ValueError:  # an embedded NUL in the name
        raise _input_error(f"{label}: not a valid file name") from None
    if not stat.S_ISREG(st.st_mode):
        raise _input_error(f"{label}: cannot read{suffix}: {_kind(st.st_mode)}, not a regular file")
    limit = max_input_bytes()
    if st.st_size > limit:
        raise _too_large(label, st.st_size, limit)
    return st


def _too_large(label: str, size: int | None, limit: int) -> Exception:
    what = f"{size / 1024 / 1024:.0f} MB" if size is not None else "larger than the limit"
    return _input_error(f"{label}: {what}, over the {limit / 1024 / 1024:g} MB input limit; raise it with "
                        f"--max-input-mb or {ENV_MAX_INPUT_MB} if this really is a template or plan")


def read_bytes(path: str, what: str = "", limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most the size limit; InputError (one line) when it cannot be read."""
    check_regular(path, what)
    cap = max_input_bytes() if limit is None else limit
    label = shown(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(cap + 1)
    except OSError as e:
        raise _input_error(f"{label}: cannot read{' ' + what if what else ''}: {_why(e)}") from None
    if len(raw) > cap:
        if limit is None:
            raise _too_large(label, None, cap)
        return raw[:cap]
    return raw


def read_head(path: str, size: int) -> bytes:
    """At most ``size`` bytes from the start of a regular file (to tell what it is)."""
    return read_bytes(path, limit=size)


_BOMS = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def encoding_of(raw: bytes) -> tuple[str, int]:
    """(codec, BOM length) of raw input: the BOM's encoding, else UTF-8."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name, len(bom)
    return "utf-8", 0


def decode(raw: bytes | str, filename: str) -> str:
    """Text of a file: UTF-8 (BOM optional), UTF-16 or UTF-32 with a BOM; InputError otherwise."""
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    name, skip = encoding_of(raw)
    try:
        return raw[skip:].decode(name)
    except UnicodeDecodeError as e:
        label = "UTF-8" if name == "utf-8" else name.upper()
        raise _input_error(f"{shown(filename)}: not {label} text (byte {e.start + skip})") from None


def decode_head(raw: bytes) -> str:
    """Best-effort text of a bounded head (a cut multi-byte character at the end is dropped)."""
    name, skip = encoding_of(raw)
    return raw[skip:].decode(name, errors="ignore")
