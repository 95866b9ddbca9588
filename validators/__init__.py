"""podcap: EKS pod networking capacity checks (the engine, sources, rules and reporters)."""

# The one place the version is written: pyproject.toml reads it (``[tool.setuptools.dynamic]``), and so do
# ``podcap --version``, the reports' tool version and the AWS user agent, without asking the installed
# distribution's metadata at start-up (a listing of every folder on sys.path, each check).
__version__ = "0.1.0"
