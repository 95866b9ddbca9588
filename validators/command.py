"""The `podcap` command's process: what the console script and ``python -m podcap`` run.

Only the process entry point lives here, never anything a library caller imports: what it does to the
interpreter (below) is right for a process podcap owns from its first line to its exit, and for no
other."""
from __future__ import annotations

import sys


def _untranslated(message: str) -> str:
    return message


def _untranslated_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def _argparse_without_gettext() -> None:
    """Import argparse with its message wrappers bound to the identity, not to gettext.

    argparse passes every message it builds through ``gettext.gettext`` (``from gettext import gettext as
    _, ngettext``), and each call searches the locale folders for a ``messages`` catalog again (gettext
    keeps no record of a catalog it did not find), besides the import of gettext and locale and the compile
    of gettext's plural-forms pattern: ~2.5 ms of every run of `podcap check`, about a tenth of its own
    start-up. CPython ships no argparse catalog, so the messages are the same English ones. The stand-in is
    in ``sys.modules`` only while argparse is imported: any later ``import gettext`` gets the real module."""
    if "argparse" in sys.modules or "gettext" in sys.modules:
        return
    stand_in = type(sys)("gettext")
    stand_in.gettext, stand_in.ngettext = _untranslated, _untranslated_plural
    sys.modules["gettext"] = stand_in
    try:
        import argparse  # noqa: F401  (bound to the stand-in's functions for the process's life)
    finally:
        del sys.modules["gettext"]


def run() -> None:
    """:func:`podcap.cli.entry` (main, then exit), with argparse imported as above first."""
    _argparse_without_gettext()
    from podcap.cli import entry

    entry()


if __name__ == "__main__":
    run()
