"""Each client's MCP configuration as `rlm-mcp setup` writes it: the file, its keys, the absolute command, merging."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from rlm_mcp.config import Settings
from tests.setup.conftest import INSTALLED, Place, Setup

COMMAND = [str(INSTALLED)] if INSTALLED.is_file() else [sys.executable, "-m", "rlm_mcp"]
MODEL = ["--model", "anthropic/claude-haiku-4-5"]
ASK_TIMEOUT_S = int(Settings.ask_max_seconds)

# client -> (user-scope file under HOME, servers key) on Linux
JSON_CLIENTS = {
    "claude-code": (".claude.json", "mcpServers"),
    "claude-desktop": (".config/Claude/claude_desktop_config.json", "mcpServers"),
    "cursor": (".cursor/mcp.json", "mcpServers"),
    "vscode": (".config/Code/User/mcp.json", "servers"),
    "gemini": (".gemini/settings.json", "mcpServers"),
}


def _entry(path: Path, key: str) -> dict[str, Any]:
    servers: dict[str, Any] = json.loads(path.read_text())[key]
    return servers["rlm"]  # type: ignore[no-any-return]


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the expected paths are Linux's")


@pytest.mark.parametrize("client", sorted(JSON_CLIENTS))
def test_each_json_client_gets_the_absolute_command_under_its_servers_key(
    client: str, run_setup: Setup, place: Place
) -> None:
    """The entry lands in the client's own file under its key, launching this installation's command by path."""
    run_setup(client, *MODEL)
    relative, key = JSON_CLIENTS[client]
    entry = _entry(place.home / relative, key)
    assert [entry["command"], *entry["args"]] == [*COMMAND, "serve", *MODEL]
    assert Path(entry["command"]).is_absolute() and Path(entry["command"]).is_file()


def test_vscode_entries_say_stdio_and_pass_keys_by_reference(run_setup: Setup, place: Place) -> None:
    """VS Code's mcp.json takes `servers` with "type": "stdio"; a key is `${env:NAME}`, never its value."""
    run_setup("vscode", "--env", "OPENAI_API_KEY")
    entry = _entry(place.home / ".config/Code/User/mcp.json", "servers")
    assert entry["type"] == "stdio"
    assert entry["env"] == {"OPENAI_API_KEY": "${env:OPENAI_API_KEY}"}


def test_cursor_and_gemini_reference_keys_in_their_own_syntax(run_setup: Setup, place: Place) -> None:
    """Cursor interpolates `${env:NAME}`, Gemini CLI `${NAME}`; Gemini's per-call timeout (ms) outlasts rlm_ask's."""
    run_setup("cursor", "--env", "ANTHROPIC_API_KEY")
    run_setup("gemini", "--env", "ANTHROPIC_API_KEY")
    assert _entry(place.home / ".cursor/mcp.json", "mcpServers")["env"] == {
        "ANTHROPIC_API_KEY": "${env:ANTHROPIC_API_KEY}"
    }
    gemini = _entry(place.home / ".gemini/settings.json", "mcpServers")
    assert gemini["env"] == {"ANTHROPIC_API_KEY": "${ANTHROPIC_API_KEY}"}
    assert gemini["timeout"] > ASK_TIMEOUT_S * 1000


def test_codex_gets_a_toml_table_with_a_tool_timeout_longer_than_rlm_ask(run_setup: Setup, place: Place) -> None:
    """Codex's [mcp_servers.rlm]: the command, env_vars by name, and tool_timeout_sec above rlm_ask's 600 s."""
    run_setup("codex", *MODEL, "--env", "ANTHROPIC_API_KEY")
    entry = tomllib.loads((place.home / ".codex/config.toml").read_text())["mcp_servers"]["rlm"]
    assert [entry["command"], *entry["args"]] == [*COMMAND, "serve", *MODEL]
    assert entry["env_vars"] == ["ANTHROPIC_API_KEY"]
    assert entry["tool_timeout_sec"] > ASK_TIMEOUT_S
    assert entry["startup_timeout_sec"] >= 60


def test_codex_timeout_follows_a_longer_ask_limit(run_setup: Setup, place: Place) -> None:
    """Registering with --ask-max-seconds 1800 passes it to serve and raises Codex's tool timeout past it."""
    run_setup("codex", "--ask-max-seconds", "1800")
    entry = tomllib.loads((place.home / ".codex/config.toml").read_text())["mcp_servers"]["rlm"]
    assert entry["args"][:2] == ["serve", "--ask-max-seconds"] and float(entry["args"][2]) == 1800
    assert entry["tool_timeout_sec"] > 1800


def test_merging_keeps_other_servers_and_settings_and_backs_up_the_old_file(run_setup: Setup, place: Place) -> None:
    """Another server and other top-level keys survive; the file as it was is kept as <file>.bak."""
    config = place.home / ".cursor/mcp.json"
    config.parent.mkdir()
    original = json.dumps({"theme": "dark", "mcpServers": {"other": {"command": "/usr/bin/other", "args": []}}})
    config.write_text(original)
    run_setup("cursor")
    document = json.loads(config.read_text())
    assert document["theme"] == "dark"
    assert set(document["mcpServers"]) == {"other", "rlm"}
    assert document["mcpServers"]["other"] == {"command": "/usr/bin/other", "args": []}
    assert (place.home / ".cursor/mcp.json.bak").read_text() == original


def test_codex_merge_replaces_its_own_table_and_keeps_the_rest(run_setup: Setup, place: Place) -> None:
    """Running setup twice leaves one [mcp_servers.rlm] (with the new flags); other tables and keys are kept."""
    config = place.home / ".codex/config.toml"
    config.parent.mkdir()
    config.write_text(
        'model = "gpt-5"\n\n[mcp_servers.other]\ncommand = "other"\n\n'
        '[mcp_servers.rlm]\ncommand = "old"\n\n[mcp_servers.rlm.env]\nX = "1"\n\n[profiles.fast]\nmodel = "o4"\n'
    )
    run_setup("codex", *MODEL)
    run_setup("codex", *MODEL)
    text = config.read_text()
    document = tomllib.loads(text)
    assert text.count("[mcp_servers.rlm]") == 1
    assert document["model"] == "gpt-5" and document["profiles"] == {"fast": {"model": "o4"}}
    assert document["mcp_servers"]["other"] == {"command": "other"}
    assert document["mcp_servers"]["rlm"]["command"] == COMMAND[0]
    assert "env" not in document["mcp_servers"]["rlm"]


def test_project_scope_writes_the_projects_file(run_setup: Setup, place: Place) -> None:
    """--scope project writes .vscode/mcp.json / .mcp.json in the folder setup runs in, not under HOME."""
    run_setup("vscode", "--scope", "project")
    run_setup("claude-code", "--scope", "project")
    assert _entry(place.project / ".vscode/mcp.json", "servers")["type"] == "stdio"
    assert _entry(place.project / ".mcp.json", "mcpServers")["command"] == COMMAND[0]
    assert not (place.home / ".claude.json").exists()


def test_path_writes_the_file_given(run_setup: Setup, place: Place) -> None:
    """--path names the config file to merge into, for a client keeping it somewhere else."""
    target = place.project / "elsewhere.json"
    run_setup("claude-desktop", "--path", str(target), "--name", "repo-rlm")
    assert _entry_named(target, "mcpServers", "repo-rlm")["command"] == COMMAND[0]


def _entry_named(path: Path, key: str, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(path.read_text())[key][name]
    return entry


@pytest.mark.parametrize("client", ["claude-desktop", "cursor", "vscode", "codex", "gemini"])
def test_print_shows_the_entry_and_writes_nothing(client: str, run_setup: Setup, place: Place) -> None:
    """--print gives the entry in the client's format (parseable as is) and touches no file."""
    shown = run_setup(client, "--print").stdout
    parsed = tomllib.loads(shown)["mcp_servers"] if client == "codex" else json.loads(shown)[JSON_CLIENTS[client][1]]
    assert parsed["rlm"]["command"] == COMMAND[0]
    assert not any(place.home.iterdir()) and not any(place.project.iterdir())


def test_print_for_claude_code_is_the_claude_mcp_add_line(run_setup: Setup) -> None:
    """Claude Code's entry is printed as the `claude mcp add` command that registers it at user scope."""
    shown = run_setup("claude-code", "--print", *MODEL).stdout
    assert shown.split() == ["claude", "mcp", "add", "--scope", "user", "rlm", "--", *COMMAND, "serve", *MODEL]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["cursor", "--api-key", "sk-secret"], "--api-key would write a secret into the client's config"),
        (["cursor", "--env", "OPENAI_API_KEY=sk-secret"], "--env takes a variable's name"),
        (["claude-desktop", "--scope", "project"], "claude-desktop has no project configuration"),
        (["claude-desktop", "--policy"], "claude-desktop reads no instructions file"),
        (["cursor", "--memory", "lots"], "--memory"),
    ],
)
def test_refused_requests_say_why_and_write_nothing(args: list[str], said: str, run_setup: Setup, place: Place) -> None:
    """A secret value, a NAME=value, a scope or policy the client lacks, a bad setting: refused before writing."""
    done = run_setup(*args, check=False)
    assert done.returncode == 2
    assert said in done.stderr
    assert "sk-secret" not in done.stderr
    assert not any(place.home.iterdir()) and not any(place.project.iterdir())


def test_a_config_that_is_not_json_is_left_alone(run_setup: Setup, place: Place) -> None:
    """A file setup cannot parse (VS Code allows comments) is not rewritten; the error says to add the entry by hand."""
    config = place.project / ".vscode/mcp.json"
    config.parent.mkdir()
    config.write_text('{\n  // mine\n  "servers": {}\n}\n')
    done = run_setup("vscode", "--scope", "project", check=False)
    assert done.returncode == 2
    assert "is not plain JSON" in done.stderr and "--print" in done.stderr
    assert config.read_text() == '{\n  // mine\n  "servers": {}\n}\n'


@pytest.mark.parametrize(
    ("client", "scope", "relative"),
    [
        ("claude-code", "user", "home/.claude/CLAUDE.md"),
        ("claude-code", "project", "project/CLAUDE.md"),
        ("codex", "user", "home/.codex/AGENTS.md"),
        ("codex", "project", "project/AGENTS.md"),
        ("gemini", "user", "home/.gemini/GEMINI.md"),
        ("cursor", "user", "project/AGENTS.md"),
        ("vscode", "project", "project/AGENTS.md"),
    ],
)
def test_policy_goes_to_the_instructions_file_the_agent_reads(
    client: str, scope: str, relative: str, run_setup: Setup, place: Place
) -> None:
    """--policy writes when to use the rlm tools into that agent's CLAUDE.md / AGENTS.md / GEMINI.md."""
    run_setup(client, "--scope", scope, "--policy")
    text = (place.home.parent / relative).read_text()
    for tool in ("rlm_load_context", "rlm_exec", "rlm_query", "rlm_ask", "rlm_status"):
        assert tool in text


def test_policy_is_refreshed_in_place_and_keeps_the_rest_of_the_file(run_setup: Setup, place: Place) -> None:
    """Running setup --policy twice leaves one policy section, and the user's own instructions around it."""
    agents = place.project / "AGENTS.md"
    agents.write_text("# House rules\n\nUse tabs.\n")
    run_setup("codex", "--scope", "project", "--policy")
    run_setup("codex", "--scope", "project", "--policy", "--name", "big")
    text = agents.read_text()
    assert text.startswith("# House rules\n\nUse tabs.\n")
    assert text.count("rlm-mcp policy: start") == 1
    assert "the `big` MCP server" in text


def test_a_codex_merge_that_would_drop_another_table_writes_nothing(run_setup: Setup, place: Place) -> None:
    """A header line inside another table's multi-line string is not our table: rather than cut the tables after
    it, setup refuses (the file parses the same before and after, but for our entry, or it is not written)."""
    config = place.home / ".codex/config.toml"
    config.parent.mkdir()
    original = '[profiles.x]\nnote = """\n[mcp_servers.rlm]\n"""\n\n[profiles.y]\nretries = 1 # """\n'
    config.write_text(original)
    done = run_setup("codex", check=False)
    assert done.returncode == 2, done.stderr
    assert "would change more than that entry" in done.stderr and "--print" in done.stderr
    assert config.read_text() == original
