"""rlm-mcp: a persistent, sandboxed Python REPL over a whole repository, for coding agents."""

__version__ = "0.1.0"
