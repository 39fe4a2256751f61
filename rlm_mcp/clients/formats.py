"""Where each MCP client keeps its servers and what one entry looks like there.

Looked up in each client's documentation (2026-12): Claude Desktop, Cursor, Gemini CLI and Claude
Code's JSON files use `mcpServers`; VS Code's mcp.json uses `servers` with `"type": "stdio"`; Codex
reads TOML `[mcp_servers.NAME]` tables. Variables are passed on by name, in each client's own syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rlm_mcp.errors import ConfigError

Scope = Literal["user", "project"]
TIMEOUT_MARGIN_S = 60
"""A client's per-call limit is rlm_ask's own time limit plus this, so the server's limit hits first."""


@dataclass(frozen=True)
class Server:
    """What a client launches: an absolute command, its arguments, and variables it passes on by name."""

    name: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    env_names: tuple[str, ...]
    call_timeout_s: float

    @property
    def argv(self) -> list[str]:
        return [*self.command, *self.args]


@dataclass(frozen=True)
class Client:
    """One client: its config file per scope (relative to home or the project), its servers key, its entry."""

    name: str
    files: dict[Scope, tuple[str, ...]]
    servers_key: str
    entry: Callable[[Server], dict[str, Any]]
    policy_files: dict[Scope, str]
    env_note: str = ""
    """Said when --env names are given but this client cannot pass a variable on by name."""


def _referenced(server: Server, template: str) -> dict[str, str]:
    return {name: template.format(name=name) for name in server.env_names}


def _stdio(server: Server, env: dict[str, str], **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"command": server.command[0], "args": [*server.command[1:], *server.args]}
    if env:
        entry["env"] = env
    return {**extra, **entry}


def _claude_code(server: Server) -> dict[str, Any]:
    # Claude Code starts stdio servers with its own environment: the variables arrive without an env block.
    return _stdio(server, {}, type="stdio")


def _claude_desktop(server: Server) -> dict[str, Any]:
    return _stdio(server, {})


def _cursor(server: Server) -> dict[str, Any]:
    return _stdio(server, _referenced(server, "${{env:{name}}}"))


def _vscode(server: Server) -> dict[str, Any]:
    return _stdio(server, _referenced(server, "${{env:{name}}}"), type="stdio")


def _gemini(server: Server) -> dict[str, Any]:
    return _stdio(server, _referenced(server, "${{{name}}}"), timeout=int(server.call_timeout_s * 1000))


def _codex(server: Server) -> dict[str, Any]:
    entry: dict[str, Any] = {"command": server.command[0], "args": [*server.command[1:], *server.args]}
    if server.env_names:
        entry["env_vars"] = list(server.env_names)
    # The first start may build the sandbox image; Codex's default (10 s) would give up on it.
    entry["startup_timeout_sec"] = 300
    entry["tool_timeout_sec"] = int(server.call_timeout_s)
    return entry


def _desktop_config(platform: str) -> tuple[str, ...]:
    if platform == "darwin":
        return ("Library", "Application Support", "Claude", "claude_desktop_config.json")
    if platform == "win32":
        return ("AppData", "Roaming", "Claude", "claude_desktop_config.json")
    return (".config", "Claude", "claude_desktop_config.json")


def _vscode_user_config(platform: str) -> tuple[str, ...]:
    if platform == "darwin":
        return ("Library", "Application Support", "Code", "User", "mcp.json")
    if platform == "win32":
        return ("AppData", "Roaming", "Code", "User", "mcp.json")
    return (".config", "Code", "User", "mcp.json")


def clients(platform: str) -> dict[str, Client]:
    """Every supported client by its `rlm-mcp setup` name, with the paths of `platform` (sys.platform)."""
    return {
        "claude-code": Client(
            "claude-code",
            {"user": (".claude.json",), "project": (".mcp.json",)},
            "mcpServers",
            _claude_code,
            {"user": ".claude/CLAUDE.md", "project": "CLAUDE.md"},
        ),
        "claude-desktop": Client(
            "claude-desktop",
            {"user": _desktop_config(platform)},
            "mcpServers",
            _claude_desktop,
            {},
            env_note="Claude Desktop passes on no variable by name: add them to the entry's env block yourself",
        ),
        "cursor": Client(
            "cursor",
            {"user": (".cursor", "mcp.json"), "project": (".cursor", "mcp.json")},
            "mcpServers",
            _cursor,
            {"user": "AGENTS.md", "project": "AGENTS.md"},
        ),
        "vscode": Client(
            "vscode",
            {"user": _vscode_user_config(platform), "project": (".vscode", "mcp.json")},
            "servers",
            _vscode,
            {"user": "AGENTS.md", "project": "AGENTS.md"},
        ),
        "codex": Client(
            "codex",
            {"user": (".codex", "config.toml"), "project": (".codex", "config.toml")},
            "mcp_servers",
            _codex,
            {"user": ".codex/AGENTS.md", "project": "AGENTS.md"},
        ),
        "gemini": Client(
            "gemini",
            {"user": (".gemini", "settings.json"), "project": (".gemini", "settings.json")},
            "mcpServers",
            _gemini,
            {"user": ".gemini/GEMINI.md", "project": "GEMINI.md"},
        ),
    }


def config_file(client: Client, scope: Scope, home: Path, project: Path) -> Path:
    """The file `client` reads its `scope` servers from."""
    if scope not in client.files:
        raise ConfigError(f"{client.name} has no {scope} configuration: use --scope user, or --path FILE")
    return (home if scope == "user" else project).joinpath(*client.files[scope])


def policy_file(client: Client, scope: Scope, home: Path, project: Path) -> Path | None:
    """The instructions file `client`'s agent reads at `scope`, or None where it has none."""
    relative = client.policy_files.get(scope)
    if relative is None:
        return None
    # Cursor and VS Code read AGENTS.md from the project only, whatever the server's scope.
    base = home if scope == "user" and relative.startswith(".") else project
    return base / relative
