"""Registering with MCP clients (`rlm-mcp setup CLIENT`): Claude Code and Desktop, Cursor, VS Code, Codex, Gemini."""

from rlm_mcp.clients.formats import TIMEOUT_MARGIN_S, Server
from rlm_mcp.clients.policy import policy
from rlm_mcp.clients.setup import CLIENTS, checked_env_names, installed_command, serve_arguments, setup, snippet

__all__ = [
    "CLIENTS",
    "TIMEOUT_MARGIN_S",
    "Server",
    "checked_env_names",
    "installed_command",
    "policy",
    "serve_arguments",
    "setup",
    "snippet",
]
