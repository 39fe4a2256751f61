"""`rlm-mcp setup CLIENT`: register this installation in a client's MCP configuration, or print it.

The entry names this installation's command by its absolute path, so a client started outside the
venv (no PATH to it) still connects. Claude Code is registered through its own `claude mcp add` when
`claude` is on PATH; every other client, and Claude Code without it, through its config file.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rlm_mcp.clients.files import merged_json, merged_toml, toml_table, write_with_backup
from rlm_mcp.clients.formats import Client, Scope, Server, clients, config_file, policy_file
from rlm_mcp.clients.policy import write_policy
from rlm_mcp.config import Settings
from rlm_mcp.errors import ConfigError

CLIENTS = tuple(clients(sys.platform))
SECRET_SETTINGS = ("api_key", "http_token")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def installed_command() -> tuple[str, ...]:
    """This installation's `rlm-mcp`, absolute: the script beside the interpreter, else `python -m rlm_mcp`."""
    scripts = Path(sys.executable).parent  # not resolved: a venv's python is a symlink out of the venv
    for script in (scripts / "rlm-mcp", scripts / "rlm-mcp.exe"):
        if script.is_file():
            return (str(script),)
    return (sys.executable, "-m", "rlm_mcp")


def serve_arguments(chosen: Mapping[str, Any]) -> tuple[str, ...]:
    """`serve` and a flag for every setting given a value in `chosen` (parsed flags), to register with the client."""
    arguments = ["serve"]
    for spec in dataclasses.fields(Settings):
        value = chosen.get(spec.name)
        if value is None:
            continue
        flag = "--" + spec.name.replace("_", "-")
        if spec.name in SECRET_SETTINGS:
            raise ConfigError(
                f"{flag} would write a secret into the client's config: pass its variable with --env NAME"
            )
        arguments += [flag, str(value).lower() if isinstance(value, bool) else str(value)]
    return tuple(arguments)


def checked_env_names(names: list[str]) -> tuple[str, ...]:
    """The variable names for --env; a NAME=value is refused, so no value lands in a config file."""
    for name in names:
        if not _VARIABLE.fullmatch(name):
            raise ConfigError(
                f"--env takes a variable's name (e.g. ANTHROPIC_API_KEY), not {name.split('=')[0]}=...: "
                "the client passes its value on from the environment it runs in"
            )
    return tuple(dict.fromkeys(names))


def snippet(client_name: str, server: Server, scope: Scope = "user") -> str:
    """What `--print` shows: the `claude mcp add` line for Claude Code, else the entry in the file's format."""
    client = clients(sys.platform)[client_name]
    if client_name == "claude-code":
        return shlex.join(_claude_add(server, scope, "claude")) + "\n"
    if client_name == "codex":
        return toml_table(client.servers_key, server.name, client.entry(server))
    return json.dumps({client.servers_key: {server.name: client.entry(server)}}, indent=2) + "\n"


def setup(
    client_name: str,
    server: Server,
    *,
    scope: Scope = "user",
    path: Path | None = None,
    with_policy: bool = False,
    home: Path | None = None,
    project: Path | None = None,
) -> list[str]:
    """Register `server` with the client; returns the lines to tell the user (what was written where)."""
    client = clients(sys.platform)[client_name]
    home, project = home or Path.home(), project or Path.cwd()
    policy_target = policy_file(client, scope, home, project) if with_policy else None
    if with_policy and policy_target is None:
        raise ConfigError(f"{client.name} reads no instructions file: drop --policy")
    claude = shutil.which("claude") if client_name == "claude-code" and path is None else None
    if claude is not None:
        told = [_add_with_claude(claude, server, scope)]
    else:
        target = path or config_file(client, scope, home, project)
        told = [_write_entry(client, server, target)]
    if server.env_names and client.env_note:
        told.append(f"note: {client.env_note} ({', '.join(server.env_names)})")
    if policy_target is not None:
        write_policy(policy_target, server.name)
        told.append(f"wrote the usage policy for {server.name} into {policy_target}")
    return told


def _claude_add(server: Server, scope: Scope, claude: str) -> list[str]:
    return [claude, "mcp", "add", "--scope", scope, server.name, "--", *server.argv]


def _add_with_claude(claude: str, server: Server, scope: Scope) -> str:
    """`claude mcp add`, after removing an entry of the same name at that scope (add refuses to replace one)."""
    subprocess.run([claude, "mcp", "remove", "--scope", scope, server.name], capture_output=True, text=True, timeout=60)
    added = subprocess.run(_claude_add(server, scope, claude), capture_output=True, text=True, timeout=60)
    if added.returncode != 0:
        raise ConfigError(
            f"`claude mcp add` failed ({(added.stderr or added.stdout).strip()[:500]}): run "
            f"`rlm-mcp setup claude-code --print` and the command it shows yourself"
        )
    return f"registered {server.name} with Claude Code ({scope} scope): {shlex.join(server.argv)}"


def _write_entry(client: Client, server: Server, target: Path) -> str:
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    merge = merged_toml if target.suffix == ".toml" else merged_json
    backup = write_with_backup(target, merge(existing, client.servers_key, server.name, client.entry(server), target))
    kept = f" (the previous file is {backup})" if backup else ""
    return f"wrote {server.name} into {target}{kept}: {shlex.join(server.argv)}"
