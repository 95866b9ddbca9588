"""Run the `podcap` CLI in process (fast) or as a bounded subprocess, and judge its one-line promise.

podcap promises, for any input: exit 0, 1 or 2; bad input -> exit 2 with one clear line on stderr; never
"internal error"; bounded time and memory.
"""
from __future__ import annotations

import contextlib
import io
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    cpu: float = 0.0  # CPU seconds of this process during the run (in-process runs; steadier than wall time)

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]

    def assert_promise(self, max_seconds: float = 10.0) -> Run:
        assert self.code in (0, 1, 2), (self.code, self.err[-500:])
        assert "internal error" not in self.err, self.err[-1000:]
        assert "Traceback" not in self.err, self.err[-1000:]
        # the bound is on CPU time where it was measured (a busy shared machine stretches wall time),
        # with wall time allowed three times the bound
        assert self.cpu < max_seconds, f"{self.cpu:.1f} s CPU"
        assert self.seconds < 3 * max_seconds, f"{self.seconds:.1f} s"
        return self

    def assert_one_line_error(self, *needles: str, max_seconds: float = 10.0) -> Run:
        self.assert_promise(max_seconds)
        assert self.code == 2, (self.code, self.err[-500:], self.out[-300:])
        errors = [ln for ln in self.err_lines if ln.startswith("podcap")]
        assert len(errors) == 1, self.err
        line = errors[0]
        assert line.startswith("podcap: error: "), line
        assert len(line) <= 1100, len(line)
        for n in needles:
            assert n in line, (n, line)
        return self


def cli(args: list[str], env: dict[str, str] | None = None) -> Run:
    """``podcap.cli.main(args)`` with stdout/stderr captured."""
    from podcap.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    t0 = time.monotonic()
    c0 = time.process_time()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as e:  # argparse
                code = e.code if isinstance(e.code, int) else 2
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Run(code, out.getvalue(), err.getvalue(), time.monotonic() - t0, time.process_time() - c0)


def subprocess_cli(args: list[str], *, mem_mb: int = 1024, timeout: float = 60, stdout=None,
                   env: dict[str, str] | None = None, cwd: str | None = None) -> Run:
    """`python -m podcap ARGS` with an address-space limit of ``mem_mb`` MB and a timeout."""
    limit = mem_mb * 1024 * 1024

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "podcap", *args], preexec_fn=bound, timeout=timeout, check=False,
                       stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE,
                       env={**os.environ, **(env or {})}, cwd=cwd)
    out = p.stdout.decode("utf-8", "replace") if isinstance(p.stdout, bytes) else ""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(p.returncode, out, p.stderr.decode("utf-8", "replace"), time.monotonic() - t0, cpu)
