"""Packaging: the installed import names are `podcap` and `podcap.cdk`, and nothing generic at top level.

`pip install podcap` once installed top-level `validators` (shadowing the PyPI package of that name) and
`infra` (shadowed in turn by any CDK project's own `infra/`). The source folders keep their names; the
mapping lives in pyproject.toml, and these tests hold it to the folders on disk and to a built wheel.
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _packages_on_disk() -> set[str]:
    """Every folder with an __init__.py, named as it installs (validators -> podcap, infra -> podcap.cdk)."""
    names: set[str] = set()
    for folder, prefix in (("validators", "podcap"), ("infra", "podcap.cdk")):
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            names.add(".".join([prefix, *rel.parts]) if rel.parts else prefix)
    return names


def test_package_list_matches_the_folders():
    setuptools_cfg = PYPROJECT["tool"]["setuptools"]
    assert setuptools_cfg["package-dir"] == {"podcap": "validators", "podcap.cdk": "infra"}
    assert set(setuptools_cfg["packages"]) == _packages_on_disk()


def test_console_script_and_cdk_extra_range():
    assert PYPROJECT["project"]["scripts"] == {"podcap": "podcap.command:run"}
    cdk = PYPROJECT["project"]["optional-dependencies"]["cdk"]
    lib = next(d for d in cdk if d.startswith("aws-cdk-lib"))
    assert "==" not in lib and "<3" in lib  # a compatible 2.x range, never an exact pin


def test_python_m_podcap_runs_from_outside_the_checkout(tmp_path):
    # From another folder the source folders are not on sys.path: only the installed names resolve.
    p = subprocess.run([sys.executable, "-m", "podcap", "maxpods", "m5.large", "--format", "json"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    assert '"m5.large"' in p.stdout
    code = "import podcap.cdk, sys; print(podcap.cdk.__name__, 'aws_cdk' in sys.modules)"
    q = subprocess.run([sys.executable, "-c", code],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert q.returncode == 0, q.stderr
    assert q.stdout.split() == ["podcap.cdk", "False"]  # importing podcap.cdk loads no aws-cdk-lib


@pytest.mark.slow
def test_wheel_installs_only_podcap(tmp_path):
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True, timeout=600, check=False)
    if p.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {p.stderr.strip()[-300:]}")
    wheel = next(tmp_path.glob("podcap-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"podcap"}
    assert "podcap/cdk/validation.py" in names
    assert "podcap/data/instance_limits.json" in names
    assert "podcap/schemas/report.schema.json" in names
    import podcap

    meta = zipfile.ZipFile(wheel).read(f"podcap-{podcap.__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {podcap.__version__}\n" in meta  # pyproject's dynamic version is podcap.__version__


def test_one_version_everywhere():
    """podcap.__version__ (validators/__init__.py) is the version: the installed distribution's metadata,
    ``podcap --version``, the reports' tool version and the AWS user agent all say it."""
    from importlib.metadata import version

    import podcap
    from podcap.aws_clients import USER_AGENT_EXTRA
    from podcap.report._common import TOOL_VERSION

    assert "version" not in PYPROJECT["project"] and PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "podcap.__version__"}
    assert podcap.__version__.count(".") == 2 and all(p.isdigit() for p in podcap.__version__.split("."))
    assert version("podcap") == podcap.__version__  # the development install's metadata (scripts/setup.sh)
    assert TOOL_VERSION == podcap.__version__
    assert USER_AGENT_EXTRA == f"podcap/{podcap.__version__}"
    p = subprocess.run([sys.executable, "-m", "podcap", "--version"], capture_output=True, text=True, timeout=60,
                       check=False)
    assert (p.returncode, p.stdout.strip()) == (0, f"podcap {podcap.__version__}")
