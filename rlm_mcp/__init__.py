"""rlm-mcp: a persistent, sandboxed Python REPL over a whole repository, for coding agents."""

__version__ = "0.1.0"

# Bound after the subpackage is imported, so `rlm_mcp.ask` is the function, as the README shows.
from rlm_mcp.ask import AskResult, ask

__all__ = ["AskResult", "__version__", "ask"]
