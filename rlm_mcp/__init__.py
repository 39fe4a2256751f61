"""rlm-mcp: a persistent, sandboxed Python REPL over a whole repository, for coding agents."""

from importlib.metadata import version as _installed_version

__version__ = _installed_version("rlm-mcp")  # the installed distribution's, so it never drifts from pyproject

# Bound after the subpackage is imported, so `rlm_mcp.ask` is the function, as the README shows.
from rlm_mcp.ask import AskResult, ask

__all__ = ["AskResult", "__version__", "ask"]
