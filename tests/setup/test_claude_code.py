"""The real handshake: `rlm-mcp setup claude-code` from an installed wheel, then `claude mcp list` says Connected.

Claude Code comes from the npm registry into a temporary prefix; `claude` runs with a PATH that holds
neither the venv's bin nor this interpreter's, as when a user starts it from a shell with no venv active.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.wheel import InstalledWheel, install_wheel


@pytest.fixture(scope="module")
def claude(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `claude` command, installed with npm into a temporary prefix."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: install Node.js and npm to run the Claude Code handshake")
    prefix = tmp_path_factory.mktemp("npm")
    done = subprocess.run(
        [npm, "install", "--global", "--prefix", str(prefix), "--no-fund", "--no-audit", "@anthropic-ai/claude-code"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"npm install @anthropic-ai/claude-code failed:\n{done.stdout}\n{done.stderr}"
    return prefix / "bin" / "claude"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstalledWheel]:
    yield install_wheel(tmp_path_factory.mktemp("wheel"))


def _environment(home: Path, *path: Path) -> dict[str, str]:
    """A user's shell with no venv active: HOME, a PATH of `path` and the system's, no Python of ours."""
    node = shutil.which("node")
    folders = [*map(str, path), *([os.path.dirname(node)] if node else []), "/usr/bin", "/bin"]
    return {
        "HOME": str(home),
        "PATH": os.pathsep.join(folders),
        "RLM_CACHE_DIR": str(home / "cache"),
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_")},
    }


def _run(command: list[str | Path], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.parametrize("claude_on_path", [True, False], ids=["claude-mcp-add", "json-file"])
def test_claude_mcp_list_connects_to_the_registered_server(
    claude_on_path: bool, claude: Path, installed: InstalledWheel, tmp_path: Path
) -> None:
    """Registered through `claude mcp add` or, with no `claude` on PATH, its ~/.claude.json: either way Connected."""
    home = tmp_path / "home"
    home.mkdir()
    setup_env = _environment(home, *([claude.parent] if claude_on_path else []))
    registered = _run([installed.command, "setup", "claude-code", "--backend", "local"], setup_env, home)
    assert registered.returncode == 0, registered.stderr
    assert ("registered rlm with Claude Code" if claude_on_path else "wrote rlm into") in registered.stdout

    listed = _run([claude, "mcp", "list"], _environment(home, claude.parent), home)
    assert listed.returncode == 0, listed.stderr
    assert f"rlm: {installed.command} serve --backend local - ✔ Connected" in listed.stdout, listed.stdout
